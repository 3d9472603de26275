import { describe, expect, it } from "vitest";
import { createMemoryLinkPair } from "../../../emulator/link/memory.js";

const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);
const ALL_BYTES_REVERSED = ALL_BYTES.slice().reverse();

/** Resolves after every setImmediate queued so far has run. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function collector(): { chunks: Uint8Array[]; push: (bytes: Uint8Array) => void; all: () => Uint8Array } {
  const chunks: Uint8Array[] = [];
  return {
    chunks,
    push: (bytes) => chunks.push(bytes),
    all: () => new Uint8Array(Buffer.concat(chunks)),
  };
}

describe("memory link pair", () => {
  it("passes all 256 byte values both ways, later and not re-entrantly, copying the buffers", async () => {
    const { device, host } = createMemoryLinkPair();
    const atDevice = collector();
    const atHost = collector();
    device.onData(atDevice.push);
    host.onData(atHost.push);
    const out = ALL_BYTES.slice();
    host.write(out);
    out.fill(0); // the caller reusing its buffer must not change what was sent
    expect(atDevice.chunks).toHaveLength(0);
    await nextTurn();
    expect(atDevice.all()).toEqual(ALL_BYTES);
    device.write(ALL_BYTES_REVERSED);
    expect(atHost.chunks).toHaveLength(0);
    await nextTurn();
    expect(atHost.all()).toEqual(ALL_BYTES_REVERSED);
  });

  it("a device answering from its data handler does not recurse into the host", async () => {
    const { device, host } = createMemoryLinkPair();
    let depth = 0;
    let maxDepth = 0;
    let rounds = 0;
    device.onData((bytes) => device.write(bytes));
    host.onData((bytes) => {
      depth++;
      maxDepth = Math.max(maxDepth, depth);
      if (++rounds < 5) host.write(bytes);
      depth--;
    });
    host.write(Uint8Array.of(1, 2, 3));
    for (let i = 0; i < 12; i++) await nextTurn();
    expect(rounds).toBe(5);
    expect(maxDepth).toBe(1);
  });

  it("host close fires onHostGone once, drops writes, and reopen attaches again", async () => {
    const { device, host } = createMemoryLinkPair();
    const events: string[] = [];
    const atHost = collector();
    host.onData(atHost.push);
    device.onHostAttached(() => events.push("attached"));
    device.onHostGone(() => events.push("gone"));
    expect(device.hostAttached).toBe(true);
    device.write(Uint8Array.of(9)); // in flight when the host closes: lost with it
    host.close();
    host.close();
    device.write(Uint8Array.of(8));
    await nextTurn();
    expect(events).toEqual(["gone"]);
    expect(device.hostAttached).toBe(false);
    expect(atHost.chunks).toHaveLength(0);
    host.reopen();
    device.write(ALL_BYTES);
    await nextTurn();
    expect(events).toEqual(["gone", "attached"]);
    expect(atHost.all()).toEqual(ALL_BYTES);
  });

  it("disconnect() tells the host end, which can reopen; close() is final", async () => {
    const { device, host } = createMemoryLinkPair();
    let hostSawClose = 0;
    let gone = 0;
    host.onClose(() => hostSawClose++);
    device.onHostGone(() => gone++);
    await device.disconnect();
    await nextTurn();
    expect(hostSawClose).toBe(1);
    expect(gone).toBe(1);
    expect(host.isOpen).toBe(false);
    host.reopen();
    expect(device.hostAttached).toBe(true);
    await device.close();
    await device.close();
    await nextTurn();
    expect(hostSawClose).toBe(2);
    expect(gone).toBe(2);
    expect(() => host.reopen()).toThrow(/closed/);
  });
});
