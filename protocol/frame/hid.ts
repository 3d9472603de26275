/**
 * How a frame travels over USB-HID, whose reports have a fixed size. Pure: the caller passes the
 * clock in. Layout of one report (docs/PROTOCOL.md §3):
 *
 *   off  size  field
 *   0    1     REPORT_ID  0x01
 *   1    1     CTRL       bit7 FIRST, bit6 LAST, bits5..0 fragment index (mod 64)
 *   2    1     COUNT      valid data bytes in this report, 1..61
 *   3    61    DATA       frame bytes, zero-padded
 */
import { FiscalError } from "../errors.js";
import { MAX_FRAME_BYTES } from "./frame.js";

/** Bytes in one HID report, report ID included. */
export const HID_REPORT_BYTES = 64;
/** The report ID our reports carry. */
export const HID_REPORT_ID = 0x01;
/** Frame bytes one report carries. */
export const HID_DATA_BYTES = HID_REPORT_BYTES - 3;
/** A partial frame older than this (since its last fragment) is discarded. */
export const HID_REASSEMBLY_TIMEOUT_MS = 500;

const FIRST = 0x80;
const LAST = 0x40;
const INDEX_MASK = 0x3f;

/** Splits one encoded frame into HID reports. */
export function fragmentFrame(frame: Uint8Array): Uint8Array[] {
  if (frame.length === 0 || frame.length > MAX_FRAME_BYTES) {
    throw new FiscalError("FRAME_TOO_LARGE", `cannot fragment a frame of ${frame.length} bytes`);
  }
  const reports: Uint8Array[] = [];
  for (let off = 0, index = 0; off < frame.length; off += HID_DATA_BYTES, index++) {
    const chunk = frame.subarray(off, Math.min(off + HID_DATA_BYTES, frame.length));
    const report = new Uint8Array(HID_REPORT_BYTES);
    report[0] = HID_REPORT_ID;
    report[1] =
      (off === 0 ? FIRST : 0) | (off + HID_DATA_BYTES >= frame.length ? LAST : 0) | (index & INDEX_MASK);
    report[2] = chunk.length;
    report.set(chunk, 3);
    reports.push(report);
  }
  return reports;
}

/** Why reassembly dropped data. */
export type ReassemblyFault =
  | "bad-report"
  | "orphan"
  | "out-of-order"
  | "interrupted"
  | "timeout"
  | "oversize";

/** What one report produced: a whole frame, a fault, or nothing yet. */
export type ReassemblyEvent =
  | { readonly kind: "frame"; readonly bytes: Uint8Array }
  | { readonly kind: "fault"; readonly fault: ReassemblyFault; readonly droppedBytes: number };

/** Rebuilds frames from HID reports. One instance per direction of one device. */
export class HidReassembler {
  private parts: Uint8Array[] = [];
  private size = 0;
  private nextIndex = 0;
  private lastAt = 0;

  constructor(private readonly timeoutMs: number = HID_REASSEMBLY_TIMEOUT_MS) {}

  /** True while a frame is half received. */
  get inProgress(): boolean {
    return this.parts.length > 0;
  }

  /** Discards a partial frame whose last fragment is older than the timeout. */
  expire(nowMs: number): ReassemblyEvent[] {
    if (this.parts.length > 0 && nowMs - this.lastAt > this.timeoutMs) return [this.drop("timeout")];
    return [];
  }

  /** Feeds one whole report, report ID first, as read from the device. */
  push(report: Uint8Array, nowMs: number): ReassemblyEvent[] {
    const events = this.expire(nowMs);
    if (report.length < 4 || report[0] !== HID_REPORT_ID) return [...events, this.fault("bad-report", 0)];
    const ctrl = report[1]!;
    const count = report[2]!;
    if (count === 0 || count > HID_DATA_BYTES || 3 + count > report.length) {
      return [...events, this.fault("bad-report", 0)];
    }
    const index = ctrl & INDEX_MASK;
    if (ctrl & FIRST) {
      if (this.parts.length > 0) events.push(this.drop("interrupted"));
      if (index !== 0) return [...events, this.fault("out-of-order", count)];
    } else if (this.parts.length === 0) {
      return [...events, this.fault("orphan", count)];
    } else if (index !== this.nextIndex) {
      events.push(this.drop("out-of-order"));
      return events;
    }
    if (this.size + count > MAX_FRAME_BYTES) {
      events.push(this.drop("oversize"));
      return events;
    }
    this.parts.push(report.slice(3, 3 + count));
    this.size += count;
    this.nextIndex = (index + 1) & INDEX_MASK;
    this.lastAt = nowMs;
    if (ctrl & LAST) events.push({ kind: "frame", bytes: this.take() });
    return events;
  }

  private take(): Uint8Array {
    const out = new Uint8Array(this.size);
    let off = 0;
    for (const p of this.parts) {
      out.set(p, off);
      off += p.length;
    }
    this.parts = [];
    this.size = 0;
    this.nextIndex = 0;
    return out;
  }

  private drop(fault: ReassemblyFault): ReassemblyEvent {
    const droppedBytes = this.size;
    this.parts = [];
    this.size = 0;
    this.nextIndex = 0;
    return { kind: "fault", fault, droppedBytes };
  }

  private fault(fault: ReassemblyFault, droppedBytes: number): ReassemblyEvent {
    return { kind: "fault", fault, droppedBytes };
  }
}
