/**
 * A Transport decorator that records every chunk in both directions in one timeline, so a test can
 * replay the wire and check frame ordering (no second request before the first one's reply).
 */
import type { Transport } from "../../../daemon/transport/index.js";
import { type Frame, FrameParser } from "../../../protocol/index.js";

/** One frame on the wire, in the order it crossed. */
export interface WireFrame {
  readonly dir: "host→device" | "device→host";
  readonly frame: Frame;
}

/** Records and forwards. */
export class RecordingTransport implements Transport {
  private readonly chunks: Array<{ readonly out: boolean; readonly bytes: Uint8Array }> = [];

  /** Assigns only. */
  constructor(private readonly inner: Transport) {}

  get address(): string {
    return this.inner.address;
  }

  open(): Promise<void> {
    return this.inner.open();
  }

  write(bytes: Uint8Array): Promise<void> {
    this.chunks.push({ out: true, bytes: bytes.slice() });
    return this.inner.write(bytes);
  }

  onData(handler: (bytes: Uint8Array) => void): void {
    this.inner.onData((bytes) => {
      this.chunks.push({ out: false, bytes: bytes.slice() });
      handler(bytes);
    });
  }

  onDisconnect(handler: (reason: Error) => void): void {
    this.inner.onDisconnect(handler);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** Bytes the host wrote that were not part of an intact frame (interleaved writes would show here). */
  hostGarbage(): number {
    const parser = new FrameParser();
    for (const chunk of this.chunks) if (chunk.out) parser.push(chunk.bytes);
    const c = parser.counters;
    return c.garbageBytes + c.headerCrcErrors + c.frameCrcErrors + parser.buffered;
  }

  /** Every intact frame, in wire order (one parser per direction). */
  frames(): WireFrame[] {
    const out = new FrameParser();
    const back = new FrameParser();
    const frames: WireFrame[] = [];
    for (const chunk of this.chunks) {
      const parser = chunk.out ? out : back;
      for (const event of parser.push(chunk.bytes)) {
        if (event.kind === "frame") {
          frames.push({ dir: chunk.out ? "host→device" : "device→host", frame: event.frame });
        }
      }
    }
    return frames;
  }
}
