/**
 * Link counters of one device session, for the status endpoint and the Prometheus metrics
 * (docs/DEVICE_LINK.md §Counters). Corruption is counted, never swallowed: every CRC failure, NAK,
 * retransmission and timeout shows here.
 */

/** Running totals since the session started (a type alias, so it fits `Record<string, number>`). */
export type LinkCounters = {
  /** Frames written: requests (retransmissions included) and NAKs. */
  framesSent: number;
  /** Frames received intact (replies, NAKs, BUSY, events). */
  framesReceived: number;
  /** Received frames whose header or frame CRC failed. */
  crcErrors: number;
  /** Bytes skipped while hunting for a start of frame. */
  garbageBytes: number;
  /** Partial frames abandoned after the inter-byte timeout. */
  truncatedFrames: number;
  /** Frames with a sound header but an unknown version or type, or an oversize length. */
  malformedFrames: number;
  /** NAKs from the device ("your request arrived damaged"). */
  naksReceived: number;
  /** NAKs we sent for damaged replies (the device replays its cached reply). */
  naksSent: number;
  /** Requests written again with the same SEQ and bytes, after a timeout or a NAK. */
  retransmits: number;
  /** Reply timeouts. */
  timeouts: number;
  /** BUSY answers. */
  busy: number;
  /** Replies, NAKs or BUSY for a SEQ no longer in flight (late or duplicate), ignored. */
  staleFrames: number;
  /** Device events (BOOT, STATE_CHANGED). */
  events: number;
  /** Times the link came back after going away. */
  reconnects: number;
  /** Times the link went away (unplug, hang-up, unresponsive device recycled). */
  disconnects: number;
  /** State-changing requests whose reply was lost and whose outcome was then established. */
  resolved: number;
  /** Lost replies that could not be resolved before the deadline or close (outcome "in-doubt"). */
  unresolved: number;
  /** Requests refused because the queue was full. */
  queueRejected: number;
  /** Requests refused at once because the device was away. */
  unavailableRejected: number;
};

/** All-zero counters. */
export function zeroLinkCounters(): LinkCounters {
  return {
    framesSent: 0,
    framesReceived: 0,
    crcErrors: 0,
    garbageBytes: 0,
    truncatedFrames: 0,
    malformedFrames: 0,
    naksReceived: 0,
    naksSent: 0,
    retransmits: 0,
    timeouts: 0,
    busy: 0,
    staleFrames: 0,
    events: 0,
    reconnects: 0,
    disconnects: 0,
    resolved: 0,
    unresolved: 0,
    queueRejected: 0,
    unavailableRejected: 0,
  };
}
