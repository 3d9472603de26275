import { afterEach, describe, expect, it } from "vitest";
import {
  CODE_DEF_PATTERN,
  crc8,
  decodeBusy,
  decodeNak,
  decodeResponse,
  ERRORS,
  encodeCanonical,
  encodeFrame,
  encodeRequest,
  FiscalError,
  FrameType,
  toHex,
} from "../../protocol/index.js";
import { sale } from "./fixtures.js";
import { boot, shutdownAll } from "./harness.js";
import type { WireHost } from "./wire-host.js";

afterEach(shutdownAll);

/** A sound 9-byte header (HCRC correct) with chosen fields. */
function header(version: number, type: number, seq: number, length: number): Uint8Array {
  const h = new Uint8Array([0xa5, 0x5a, version, type, seq >> 8, seq & 0xff, length >> 8, length & 0xff, 0]);
  h[8] = crc8(h, 0, 8);
  return h;
}

async function expectErrorReply(host: WireHost, seq: number, payload: Uint8Array): Promise<number> {
  host.sendRequest(seq, payload);
  const frame = await host.nextFrame();
  expect(frame).toMatchObject({ type: FrameType.RESPONSE, seq });
  try {
    decodeResponse("STATUS", frame.payload);
  } catch (err) {
    if (err instanceof FiscalError) return err.code;
  }
  throw new Error("expected an error reply");
}

describe("link rules", () => {
  it("replays the cached reply to a repeated SEQ and payload without executing again", async () => {
    const { host, emulator } = await boot({ activate: true });
    const prepared = await host.call("PREPARE", { invoice: sale("R-1") as never });
    const commit = encodeRequest("COMMIT", { nonce: prepared.nonce, payload_hash: prepared.payload_hash });
    host.sendRequest(500, commit);
    const first = await host.nextFrame();
    host.sendRequest(500, commit);
    const second = await host.nextFrame();
    expect(toHex(encodeFrame(second))).toBe(toHex(encodeFrame(first)));
    expect(decodeResponse("COMMIT", second.payload).auth_code).toMatch(new RegExp(CODE_DEF_PATTERN));
    expect((await host.call("STATUS", {})).last_fiscal_number).toBe(1);
    expect(emulator.counters.replaysServed).toBe(1);
    // The same SEQ with another payload is a new request, and is executed.
    host.sendRequest(500, encodeRequest("TIME_GET", {}));
    expect(decodeResponse("TIME_GET", (await host.nextFrame()).payload).valid).toBe(true);
  });

  it("NAKs a frame whose CRC fails, stays silent on a bad header, NAKs oversize and unsupported", async () => {
    const { host, emulator } = await boot();
    const good = encodeFrame({ type: FrameType.REQUEST, seq: 42, payload: encodeRequest("INFO", {}) });
    const damaged = good.slice();
    damaged[12] = damaged[12]! ^ 0x01;
    host.sendBytes(damaged);
    const nak = await host.nextFrame();
    expect(nak).toMatchObject({ type: FrameType.NAK, seq: 42 });
    expect(decodeNak(nak.payload)).toBe(ERRORS.FRAME_CRC.code);
    host.sendBytes(good);
    expect((await host.nextFrame()).type).toBe(FrameType.RESPONSE);
    const badHeader = good.slice();
    badHeader[5] = badHeader[5]! ^ 0x10;
    host.sendBytes(badHeader);
    expect(await host.quietFor(150)).toBe(true);
    host.sendBytes(header(1, FrameType.REQUEST, 43, 40_000));
    const oversize = await host.nextFrame();
    expect(oversize).toMatchObject({ type: FrameType.NAK, seq: 43 });
    expect(decodeNak(oversize.payload)).toBe(ERRORS.FRAME_TOO_LARGE.code);
    host.sendBytes(header(2, FrameType.REQUEST, 44, 0));
    const unsupported = await host.nextFrame();
    expect(decodeNak(unsupported.payload)).toBe(ERRORS.FRAME_VERSION.code);
    expect(emulator.counters).toMatchObject({
      frameCrcErrors: 1,
      headerCrcErrors: 1,
      oversizeFrames: 1,
      unsupportedFrames: 1,
      naksSent: 3,
    });
  });

  it("answers undecodable payloads with coded errors", async () => {
    const { host } = await boot();
    expect(await expectErrorReply(host, 1, new Uint8Array([0xff, 0x00]))).toBe(ERRORS.CBOR_INVALID.code);
    const nonCanonical = new Uint8Array([0xb8, 0x01, 0x63, 0x63, 0x6d, 0x64, 0x64, 0x49, 0x4e, 0x46, 0x4f]);
    expect(await expectErrorReply(host, 2, nonCanonical)).toBe(ERRORS.CBOR_NOT_CANONICAL.code);
    expect(await expectErrorReply(host, 3, encodeCanonical({ cmd: "STATUS", extra: 1 }))).toBe(
      ERRORS.MESSAGE_INVALID.code,
    );
    expect(await expectErrorReply(host, 4, encodeCanonical({ nocmd: 1 }))).toBe(ERRORS.MESSAGE_INVALID.code);
    expect(await expectErrorReply(host, 5, encodeCanonical({ cmd: "FORMAT_DISK" }))).toBe(
      ERRORS.UNKNOWN_COMMAND.code,
    );
  });

  it("abandons a partial frame after the inter-byte timeout", async () => {
    const { host, emulator } = await boot();
    host.sendBytes(header(1, FrameType.REQUEST, 7, 100));
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect((await host.call("TIME_GET", {})).valid).toBe(true);
    expect(emulator.counters.truncated).toBe(1);
  });

  it("answers BUSY to a new request while one is in progress, and ignores a retransmission of it", async () => {
    const { host, emulator } = await boot({ faults: { delay_ms: 300 } });
    host.sendRequest(10, encodeRequest("STATUS", {}));
    host.sendRequest(11, encodeRequest("INFO", {}));
    host.sendRequest(10, encodeRequest("STATUS", {}));
    const busy = await host.nextFrame();
    expect(busy).toMatchObject({ type: FrameType.BUSY, seq: 11 });
    expect(decodeBusy(busy.payload)).toBeGreaterThanOrEqual(300);
    const reply = await host.nextFrame();
    expect(reply).toMatchObject({ type: FrameType.RESPONSE, seq: 10 });
    expect(await host.quietFor(100)).toBe(true);
    expect(emulator.counters).toMatchObject({ busySent: 1, duplicatesIgnored: 1, requestsExecuted: 1 });
  });

  it("greets every host that attaches with a BOOT event", async () => {
    const { host, hostEnd } = await boot();
    hostEnd.close();
    hostEnd.reopen();
    const boot2 = await host.waitEvent("BOOT");
    expect(boot2.state).toBe("UNACTIVATED");
  });
});
