/**
 * What the device counts on its links: every frame in and out, and every kind of damage, so
 * corruption is never swallowed silently (docs/EMULATOR.md §5 lists them).
 */

/** Running totals of what crossed the links. */
export interface LinkCounters {
  framesIn: number;
  framesOut: number;
  headerCrcErrors: number;
  frameCrcErrors: number;
  oversizeFrames: number;
  unsupportedFrames: number;
  garbageBytes: number;
  truncated: number;
  naksSent: number;
  busySent: number;
  replaysServed: number;
  duplicatesIgnored: number;
  requestsExecuted: number;
  repliesDropped: number;
  unexpectedFrames: number;
  disconnects: number;
}

/** All counters at zero. */
export function zeroCounters(): LinkCounters {
  return {
    framesIn: 0,
    framesOut: 0,
    headerCrcErrors: 0,
    frameCrcErrors: 0,
    oversizeFrames: 0,
    unsupportedFrames: 0,
    garbageBytes: 0,
    truncated: 0,
    naksSent: 0,
    busySent: 0,
    replaysServed: 0,
    duplicatesIgnored: 0,
    requestsExecuted: 0,
    repliesDropped: 0,
    unexpectedFrames: 0,
    disconnects: 0,
  };
}
