import { decode as cborxDecode } from "cbor-x";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type CborValue,
  decodeCanonical,
  decodeStored,
  encodeCanonical,
  FiscalError,
  fromHex,
  toHex,
} from "../../protocol/index.js";

// RFC 8949 Appendix A examples that fall inside the protocol's subset.
const RFC_EXAMPLES: [CborValue, string][] = [
  [0, "00"],
  [1, "01"],
  [10, "0a"],
  [23, "17"],
  [24, "1818"],
  [25, "1819"],
  [100, "1864"],
  [1000, "1903e8"],
  [1000000, "1a000f4240"],
  [1000000000000, "1b000000e8d4a51000"],
  [-1, "20"],
  [-10, "29"],
  [-100, "3863"],
  [-1000, "3903e7"],
  [false, "f4"],
  [true, "f5"],
  [null, "f6"],
  [new Uint8Array(), "40"],
  [fromHex("01020304"), "4401020304"],
  ["", "60"],
  ["a", "6161"],
  ["IETF", "6449455446"],
  ['"\\', "62225c"],
  ["\u00fc", "62c3bc"],
  ["\u6c34", "63e6b0b4"],
  ["\ud800\udd51", "64f0908591"],
  [[], "80"],
  [[1, 2, 3], "83010203"],
  [[1, [2, 3], [4, 5]], "8301820203820405"],
  [{}, "a0"],
  [{ a: 1, b: [2, 3] }, "a26161016162820203"],
  [["a", { b: "c" }], "826161a161626163"],
  [{ a: "A", b: "B", c: "C", d: "D", e: "E" }, "a56161614161626142616361436164614461656145"],
];

const valueArb: fc.Arbitrary<CborValue> = fc.letrec<{ value: CborValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.maxSafeInteger(),
    fc.string(),
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie("value"), { maxKeys: 4 }),
  ),
})).value;

describe("deterministic CBOR", () => {
  it.each(RFC_EXAMPLES)("encodes %o as in RFC 8949 Appendix A", (value, hex) => {
    expect(toHex(encodeCanonical(value))).toBe(hex);
    expect(decodeCanonical(fromHex(hex))).toEqual(value);
  });

  it("sorts map keys by their encoded bytes: shorter keys first, then bytewise (RFC 8949 §4.2.1)", () => {
    expect(toHex(encodeCanonical({ aa: 3, b: 2, a: 1 }))).toBe("a3616101616202626161 03".replace(" ", ""));
    expect(toHex(encodeCanonical({ Z: 1, a: 2 }))).toBe("a2615a016161 02".replace(" ", ""));
  });

  it("gives the same bytes whatever the key order", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 8 }), fc.integer(), { maxKeys: 12 }), (dict) => {
        const shuffled = Object.fromEntries(Object.entries(dict).reverse());
        expect(encodeCanonical(shuffled)).toEqual(encodeCanonical(dict));
      }),
    );
  });

  it("round-trips every value of the subset", () => {
    fc.assert(
      fc.property(valueArb, (value) => {
        const bytes = encodeCanonical(value);
        // Compared as hex: cbor-x tags the buffers it decodes with a cached DataView property.
        expect(toHex(encodeCanonical(decodeCanonical(bytes)))).toBe(toHex(bytes));
      }),
    );
  });

  it("decodes stored (already checked) bytes to the same value as the canonical decoder", () => {
    fc.assert(
      fc.property(valueArb, (value) => {
        const bytes = encodeCanonical(value);
        expect(toHex(encodeCanonical(decodeStored(bytes)))).toBe(toHex(bytes));
      }),
    );
    expect(() => decodeStored(fromHex("ff"))).toThrow(/CBOR_INVALID/);
    expect(() => decodeStored(fromHex("f93e00"))).toThrow(/CBOR_INVALID/);
  });

  it("omits undefined properties instead of encoding them", () => {
    expect(toHex(encodeCanonical({ a: 1, b: undefined }))).toBe("a1616101");
  });

  it("refuses floats, unsafe integers and values outside the subset", () => {
    expect(() => encodeCanonical(1.5)).toThrow(/E210/);
    expect(() => encodeCanonical(2 ** 53)).toThrow(/E210/);
    expect(() => encodeCanonical(new Date() as unknown as CborValue)).toThrow(/E210/);
  });

  /** The code `decodeCanonical` refuses `hex` with. */
  function codeOf(hex: string): number {
    try {
      decodeCanonical(fromHex(hex));
    } catch (err) {
      if (err instanceof FiscalError) return err.code;
      throw err;
    }
    throw new Error(`${hex} was accepted`);
  }

  // Outside the data model (§5): CBOR_INVALID 210, whether or not the bytes are otherwise canonical.
  it.each([
    ["a half-precision float", "f93e00"],
    ["a single-precision float", "fa47c35000"],
    ["a double-precision float", "fb3ff8000000000000"],
    ["a float whose value is an integer (1.0)", "f93c00"],
    ["a duplicate map key", "a2616101616102"],
    ["a duplicate map key written with two length encodings", "a26161017801616102"],
    ["an integer map key", "a10102"],
    ["a negative integer map key", "a12002"],
    ["a byte-string map key", "a1416101"],
    ["an array map key", "a1800102"],
    ["invalid UTF-8 in a text string (a lone continuation byte)", "6180"],
    ["invalid UTF-8 in a text string (a truncated sequence)", "62c328"],
    ["an overlong UTF-8 form", "62c0af"],
    ["a UTF-16 surrogate written in UTF-8", "63eda080"],
    ["a code point above U+10FFFF", "64f4908080"],
    ["invalid UTF-8 in a map key", "a161ff01"],
    ["an indefinite-length text string", "7f61616162ff"],
    ["an indefinite-length map", "bf616101ff"],
    ["an indefinite-length byte string", "5f4101ff"],
    ["an indefinite-length array", "9f0102ff"],
    ["a tag", "c11a514b67b0"],
    ["undefined", "f7"],
    ["a simple value other than false, true and null", "f0"],
    ["false written with a one-byte simple value head", "f814"],
    ["the integer 2^53", "1b0020000000000000"],
    ["the integer −2^53", "3b001fffffffffffff"],
    ["the map key __proto__", "a1695f5f70726f746f5f5f01"],
    ["a byte after the item", "0102"],
  ])("refuses %s with CBOR_INVALID 210", (_what, hex) => {
    expect(codeOf(hex)).toBe(210);
  });

  // In the data model but not in deterministic encoding: CBOR_NOT_CANONICAL 211.
  it.each([
    ["a non-shortest integer", "1817"],
    ["a non-shortest negative integer (−1 as 38 00)", "3800"],
    ["an integer with an 8-byte head that fits 4", "1b0000000000000001"],
    ["a non-shortest text length", "780161"],
    ["a non-shortest byte-string length", "580101"],
    ["a non-shortest array length", "980101"],
    ["a non-shortest map length", "b8016161 01".replace(" ", "")],
    ["unsorted map keys", "a2616201616102"],
    ["keys sorted as strings, not by encoded length (RFC 8949 §4.2.1)", "a2626161016162 02".replace(" ", "")],
  ])("refuses %s with CBOR_NOT_CANONICAL 211", (_what, hex) => {
    expect(codeOf(hex)).toBe(211);
  });

  it("accepts integers up to ±(2^53 − 1) exactly, and encodes nothing beyond", () => {
    // 2^53 − 1 = 0x1fffffffffffff; −(2^53 − 1) is major type 1 with argument 2^53 − 2.
    expect(decodeCanonical(fromHex("1b001fffffffffffff"))).toBe(9_007_199_254_740_991);
    expect(decodeCanonical(fromHex("3b001ffffffffffffe"))).toBe(-9_007_199_254_740_991);
    expect(toHex(encodeCanonical(9_007_199_254_740_991))).toBe("1b001fffffffffffff");
    expect(toHex(encodeCanonical(-9_007_199_254_740_991))).toBe("3b001ffffffffffffe");
    expect(() => encodeCanonical(9_007_199_254_740_992)).toThrow(/E210/);
    expect(() => encodeCanonical(-9_007_199_254_740_992)).toThrow(/E210/);
  });

  it("accepts well-formed UTF-8 of every length, a byte-order mark included", () => {
    expect(decodeCanonical(fromHex("6d c3a9 e282ac f0908591 efbbbf 61".replace(/ /g, "")))).toBe(
      "\u00e9\u20ac\ud800\udd51\ufeffa",
    );
    expect(decodeCanonical(fromHex("a163c3a96101"))).toEqual({ "\u00e9a": 1 });
  });

  it("refuses trailing bytes, truncation and absurd nesting with CBOR_INVALID", () => {
    expect(() => decodeCanonical(fromHex("0102"))).toThrow(/E210/);
    expect(() => decodeCanonical(fromHex("a1"))).toThrow(/E210/);
    expect(() => decodeCanonical(new Uint8Array(100_000).fill(0x81))).toThrow(/E210/);
    expect(() => decodeCanonical(encodeCanonical(nest(20)))).toThrow(/E210/);
  });

  it("never throws anything but a coded error on 50,000 random byte strings", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeCanonical(bytes);
        } catch (err) {
          expect((err as Error).message).toMatch(/^E21[01] /);
        }
      }),
      { numRuns: 50_000 },
    );
  });

  it("is read back identically by cbor-x, an independent decoder", () => {
    fc.assert(
      fc.property(valueArb, (value) => {
        expect(normaliseBuffers(cborxDecode(encodeCanonical(value)))).toEqual(value);
      }),
    );
  });
});

function nest(depth: number): CborValue {
  return depth === 0 ? 0 : [nest(depth - 1)];
}

function normaliseBuffers(value: unknown): unknown {
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (Array.isArray(value)) return value.map(normaliseBuffers);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normaliseBuffers(v)]));
  }
  return typeof value === "bigint" ? Number(value) : value;
}

describe("what the protocol's CBOR subset never uses is refused before decoding, the same way every time", () => {
  /** The refusal of `bytes`: code and message, which must not depend on the stack left. */
  function refusal(bytes: Uint8Array): { code: number; message: string } {
    try {
      decodeCanonical(bytes);
    } catch (err) {
      if (err instanceof FiscalError) return { code: err.code, message: err.message };
      throw err;
    }
    throw new Error("expected a refusal");
  }

  const cases: [string, Uint8Array, RegExp][] = [
    ["a run of 100,000 tags", new Uint8Array(100_000).fill(0xc6), /a tag is outside/],
    ["100,000 nested one-item arrays", new Uint8Array(100_000).fill(0x81), /nesting deeper than 16/],
    ["a half-precision float", Uint8Array.of(0xf9, 0x3c, 0x00), /a float or a simple value/],
    ["an indefinite-length array", Uint8Array.of(0x9f, 0x01, 0xff), /indefinite length/],
    ["a text string longer than the bytes left", Uint8Array.of(0x78, 0xff, 0x61), /truncated/],
  ];
  it.each(cases)("%s: CBOR_INVALID, identical on every call", (_what, bytes, message) => {
    const first = refusal(bytes);
    expect(first.code).toBe(210);
    expect(first.message).toMatch(message);
    for (let i = 0; i < 3; i++) expect(refusal(bytes)).toEqual(first);
  });

  it("still decodes the deepest nesting the subset allows (16 levels)", () => {
    const bytes = Uint8Array.of(...new Array(16).fill(0x81), 0x01);
    let value: unknown = decodeCanonical(bytes);
    for (let i = 0; i < 16; i++) value = (value as unknown[])[0];
    expect(value).toBe(1);
  });
});
