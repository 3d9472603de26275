/**
 * FrameReceiver: bytes from the link in, frames and device events out. One FrameParser with the
 * inter-byte timeout (`expirePartial()` after the line went quiet, so a truncated frame cannot hold back
 * the frames behind it), and every kind of damage counted.
 */
import {
  type DeviceEvent,
  decodeEvent,
  type Frame,
  FrameParser,
  FrameType,
  type ParseEvent,
} from "../../protocol/index.js";
import type { LinkCounters } from "./counters.js";

/** Where the receiver hands what it found. */
export interface ReceiverSinks {
  /** A reply, NAK or BUSY (anything but an event). */
  frame(frame: Frame): void;
  /** A decoded device event. */
  event(event: DeviceEvent): void;
  /** A frame whose header was sound but whose CRC failed. */
  damaged(seq: number, type: number): void;
  /** Bytes whose header CRC failed: not even their SEQ is known. */
  garbled(): void;
}

/** Parses the incoming byte stream of one session. */
export class FrameReceiver {
  private readonly parser = new FrameParser();
  private silenceTimer: NodeJS.Timeout | null = null;

  /** Assigns only. */
  constructor(
    private readonly counts: LinkCounters,
    private readonly interByteTimeoutMs: number,
    private readonly sinks: ReceiverSinks,
  ) {}

  /** Feeds bytes; arms the inter-byte timer while a frame is half received. */
  push(bytes: Uint8Array): void {
    this.handle(this.parser.push(bytes));
    this.stopTimer();
    if (this.parser.buffered > 0) {
      this.silenceTimer = setTimeout(() => {
        this.silenceTimer = null;
        this.handle(this.parser.expirePartial());
      }, this.interByteTimeoutMs);
    }
  }

  /** Drops a partial frame: it belongs to a link session that is over. */
  reset(): void {
    this.stopTimer();
    this.parser.reset();
  }

  private stopTimer(): void {
    if (this.silenceTimer !== null) clearTimeout(this.silenceTimer);
    this.silenceTimer = null;
  }

  private handle(events: readonly ParseEvent[]): void {
    for (const event of events) {
      switch (event.kind) {
        case "frame":
          this.counts.framesReceived++;
          this.onFrame(event.frame);
          break;
        case "garbage":
          this.counts.garbageBytes += event.bytes;
          break;
        case "header-crc":
          // Nothing in the header is trustworthy, not even the SEQ to NAK it.
          this.counts.crcErrors++;
          this.sinks.garbled();
          break;
        case "frame-crc":
          this.counts.crcErrors++;
          this.sinks.damaged(event.seq, event.type);
          break;
        case "oversize":
        case "unsupported":
          this.counts.malformedFrames++;
          break;
        case "truncated":
          this.counts.truncatedFrames++;
          break;
      }
    }
  }

  private onFrame(frame: Frame): void {
    if (frame.type !== FrameType.EVENT) {
      this.sinks.frame(frame);
      return;
    }
    this.counts.events++;
    let event: DeviceEvent;
    try {
      event = decodeEvent(frame.payload);
    } catch {
      this.counts.malformedFrames++;
      return;
    }
    this.sinks.event(event);
  }
}
