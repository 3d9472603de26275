import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  encodeFrame,
  FrameType,
  fragmentFrame,
  HID_DATA_BYTES,
  HID_REASSEMBLY_TIMEOUT_MS,
  HID_REPORT_BYTES,
  HidReassembler,
  MAX_PAYLOAD_BYTES,
  type ReassemblyEvent,
} from "../../protocol/index.js";

const frameOf = (payloadLength: number): Uint8Array =>
  encodeFrame({
    type: FrameType.REQUEST,
    seq: 1,
    payload: new Uint8Array(payloadLength).map((_, i) => i & 0xff),
  });

const framesOut = (events: ReassemblyEvent[]): Uint8Array[] =>
  events.flatMap((e) => (e.kind === "frame" ? [e.bytes] : []));
const faultsOut = (events: ReassemblyEvent[]): string[] =>
  events.flatMap((e) => (e.kind === "fault" ? [e.fault] : []));

describe("USB-HID fragmentation", () => {
  it("lays a short frame out in one 64-byte report: ID, FIRST|LAST, count, data, zero padding", () => {
    const frame = frameOf(3);
    const [report, ...rest] = fragmentFrame(frame);
    expect(rest).toHaveLength(0);
    expect(report!.length).toBe(HID_REPORT_BYTES);
    expect([...report!.subarray(0, 3)]).toEqual([0x01, 0xc0, frame.length]);
    expect(report!.subarray(3, 3 + frame.length)).toEqual(frame);
    expect(report!.subarray(3 + frame.length).every((b) => b === 0)).toBe(true);
  });

  it("numbers fragments and marks only the first and the last", () => {
    const reports = fragmentFrame(frameOf(200));
    expect(reports).toHaveLength(Math.ceil((200 + 13) / HID_DATA_BYTES));
    expect(reports.map((r) => r[1])).toEqual([0x80, 0x01, 0x02, 0x43]);
  });

  it("reassembles any frame up to the maximum size", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_PAYLOAD_BYTES }), (n) => {
        const frame = frameOf(n);
        const r = new HidReassembler();
        const out = fragmentFrame(frame).flatMap((report) => r.push(report, 0));
        expect(framesOut(out)).toEqual([frame]);
        expect(r.inProgress).toBe(false);
      }),
      { numRuns: 50 },
    );
  });

  it("drops an orphan continuation, an out-of-order fragment and an interrupted frame", () => {
    const reports = fragmentFrame(frameOf(200));
    const r = new HidReassembler();
    expect(faultsOut(r.push(reports[1]!, 0))).toEqual(["orphan"]);
    r.push(reports[0]!, 0);
    expect(faultsOut(r.push(reports[2]!, 0))).toEqual(["out-of-order"]);
    r.push(reports[0]!, 0);
    const restart = r.push(reports[0]!, 0);
    expect(faultsOut(restart)).toEqual(["interrupted"]);
    const done = reports.slice(1).flatMap((rep) => r.push(rep, 0));
    expect(framesOut(done)).toEqual([frameOf(200)]);
  });

  it("discards a partial frame after the reassembly timeout", () => {
    const reports = fragmentFrame(frameOf(100));
    const r = new HidReassembler();
    r.push(reports[0]!, 1000);
    expect(r.expire(1000 + HID_REASSEMBLY_TIMEOUT_MS)).toEqual([]);
    expect(r.expire(1001 + HID_REASSEMBLY_TIMEOUT_MS)).toEqual([
      { kind: "fault", fault: "timeout", droppedBytes: HID_DATA_BYTES },
    ]);
    expect(faultsOut(r.push(reports[1]!, 2000))).toEqual(["orphan"]);
  });

  it("refuses malformed reports and frames that grow beyond the maximum", () => {
    const r = new HidReassembler();
    expect(faultsOut(r.push(new Uint8Array([0x02, 0xc0, 1, 0]), 0))).toEqual(["bad-report"]);
    expect(faultsOut(r.push(new Uint8Array([0x01, 0xc0, 0, 0]), 0))).toEqual(["bad-report"]);
    expect(faultsOut(r.push(new Uint8Array([0x01, 0xc0, 62, 0]), 0))).toEqual(["bad-report"]);
    const first = new Uint8Array(HID_REPORT_BYTES);
    first.set([0x01, 0x80, HID_DATA_BYTES]);
    r.push(first, 0);
    let events: ReassemblyEvent[] = [];
    for (let i = 1; i < 1000 && events.length === 0; i++) {
      const next = first.slice();
      next[1] = i & 0x3f;
      events = r.push(next, 0);
    }
    expect(faultsOut(events)).toEqual(["oversize"]);
  });

  it("survives random reports without throwing", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 70 }), { maxLength: 50 }), (reports) => {
        const r = new HidReassembler();
        for (const [i, rep] of reports.entries()) r.push(rep, i * 10);
      }),
    );
  });
});
