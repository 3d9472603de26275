import zlib from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { crc8, crc32 } from "../../protocol/index.js";

const CHECK = new TextEncoder().encode("123456789");

describe("CRC", () => {
  it("CRC-32/ISO-HDLC has the catalogue check value", () => {
    expect(crc32(CHECK)).toBe(0xcbf43926);
  });

  it("CRC-8/SMBUS has the catalogue check value", () => {
    expect(crc8(CHECK)).toBe(0xf4);
  });

  it("CRC-32 agrees with zlib on random data and sub-ranges", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.nat(), fc.nat(), (bytes, a, b) => {
        const start = bytes.length === 0 ? 0 : a % bytes.length;
        const end = start + (bytes.length === 0 ? 0 : b % (bytes.length - start + 1));
        expect(crc32(bytes, start, end)).toBe(zlib.crc32(bytes.subarray(start, end)));
      }),
    );
  });
});
