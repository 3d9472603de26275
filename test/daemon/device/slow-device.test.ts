/**
 * The issue-13 repro against the real emulated DEF, on fake time: every reply 8 s late. A PREPARE must
 * fail with DEVICE_TIMEOUT after its last retransmission, (1 + MAX_RETRANSMITS) × REPLY_TIMEOUT_MS =
 * 4 s with the defaults (docs/DEVICE_LINK.md §5), not run to the 60 s resolve deadline; and the nonce
 * it left behind is harmless: the same invoice prepared again gets the same nonce.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { createFiscalDevice } from "../../../daemon/device/index.js";
import { MemoryTransport } from "../../../daemon/transport/index.js";
import { type FiscalError, toHex } from "../../../protocol/index.js";
import { track } from "../../support/settle.js";
import { activate, saleInvoice, serveMemory, setFaults, startDef, type TestDef } from "./fixtures.js";

/** docs/DEVICE_LINK.md §5 with the default session settings: 4 × 1,000 ms. */
const PREPARE_BOUND_MS = 4_000;

/** Advances fake time in small steps until `promise` settles. */
async function finish<T>(promise: Promise<T>): Promise<T> {
  const call = track(promise);
  while (!call.settled()) await vi.advanceTimersByTimeAsync(10);
  const outcome = await call.result;
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

let def: TestDef | null = null;
afterEach(async () => {
  vi.useRealTimers();
  await def?.stop();
  def = null;
});

describe("a device whose every reply is 8 s late", () => {
  it("fails a PREPARE with DEVICE_TIMEOUT after 4 s instead of resolving it for 60 s", async () => {
    def = await startDef(1313);
    vi.useFakeTimers();
    const device = createFiscalDevice(new MemoryTransport(serveMemory(def)));
    await finish(device.open());
    await finish(device.session.waitConnected(1_000));
    await finish(activate(device, def.emulator.deviceId));
    setFaults(def, { delay_ms: 8_000 });
    const prepare = track(device.prepare(saleInvoice(1)));
    await vi.advanceTimersByTimeAsync(PREPARE_BOUND_MS - 1);
    expect(prepare.settled()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(prepare.settled()).toBe(true);
    const outcome = await prepare.result;
    expect(outcome.ok).toBe(false);
    const error = (outcome as { error: FiscalError }).error;
    expect(error.errorName).toBe("DEVICE_TIMEOUT");
    expect(error.details).toMatchObject({ command: "PREPARE", resolved: false, cannot_seal: true });
    setFaults(def, { delay_ms: 0 });
    await vi.advanceTimersByTimeAsync(8_000);
    await finish(device.session.waitConnected(10_000));
    const pending = await finish(device.listPending());
    const again = await finish(device.prepare(saleInvoice(1)));
    expect(pending.pending.map((p) => toHex(p.nonce))).toEqual([toHex(again.nonce)]);
    await finish(device.close());
  });
});
