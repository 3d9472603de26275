/**
 * createFiscalDevice from the daemon's `device` settings: the usb ids reach `auto` discovery, the
 * tunables reach the session, and the session logs on the logger it is given (the daemon's pino
 * logger), so link_down and the like reach the journal instead of a silent logger.
 */
import { describe, expect, it } from "vitest";
import { defaultConfig } from "../../../daemon/config.js";
import { createFiscalDevice } from "../../../daemon/device/index.js";
import { FakeUsb } from "../transport/fakes.js";

/** A pino-shaped logger that keeps what it is given. */
function recordingLogger() {
  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const at =
    (level: string) =>
    (fields: object, message: string): void => {
      lines.push({ level, fields: fields as Record<string, unknown>, message });
    };
  return { lines, logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") } };
}

describe("a device built from the daemon's device settings", () => {
  it("searches the configured usb ids, uses the configured tunables and logs on the daemon's logger", async () => {
    const { lines, logger } = recordingLogger();
    const settings = {
      ...defaultConfig().device,
      usbIds: ["0483:5740"],
      replyTimeoutMs: 777,
      // Long enough that no retry runs before close().
      reconnectInitialDelayMs: 60_000,
      reconnectMaxDelayMs: 300_000,
    };
    const device = createFiscalDevice(settings, {
      logger,
      listSerialPorts: async () => [],
      loadUsb: async () => new FakeUsb(),
    });
    try {
      expect(device.session.config.replyTimeoutMs).toBe(777);
      await device.open();
      const down = lines.find((l) => l.message === "device.link_down");
      expect(down).toMatchObject({ level: "warn", fields: { event: "device.link_down", address: "auto" } });
      expect(String(down?.fields.reason)).toContain("looked for USB ids 0483:5740");
    } finally {
      await device.close();
    }
  });
});
