/**
 * The text of a request: a JSON body must be valid UTF-8 (docs/API.md §8: otherwise 400 FIELD_TYPE at
 * `/`, like any body that is not JSON), and every string and key in it must be well-formed UTF-16 once
 * parsed (a JSON escape of a lone surrogate is refused with FIELD_TYPE at the field's JSON pointer), so
 * no text is ever sealed with U+FFFD in place of what the POS sent.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InvoiceView } from "../../../daemon/fiscal/types.js";
import { ErrorResponseSchema } from "../../../daemon/http/schemas.js";
import { canonicaliseInvoiceV2, ERRORS, isFiscalError } from "../../../protocol/index.js";
import { saleBody } from "./fakes.js";
import { authHeaders, expectConforms, makeApp } from "./harness.js";

const h = makeApp();
beforeAll(async () => {
  await h.app.ready();
});
afterAll(async () => {
  await h.app.close();
});

let keySeq = 0;
function post(payload: string | Buffer) {
  keySeq += 1;
  return h.app.inject({
    method: "POST",
    url: "/v1/invoices",
    headers: authHeaders({ "idempotency-key": `TEXT-${keySeq}`, "content-type": "application/json" }),
    payload,
  });
}

function fiscaliseCalls(): number {
  return h.service.calls.filter((c) => c.op === "fiscalise").length;
}

/** A sale whose first item's name holds `bytes` between "Su" and "cre", as raw bytes of the body. */
function bodyWithNameBytes(bytes: readonly number[]): Buffer {
  const text = JSON.stringify(saleBody());
  const at = text.indexOf("Sucre") + 2;
  return Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from(bytes), Buffer.from(text.slice(at))]);
}

/** Body text with `\uXXXX` escapes written literally (JSON.stringify would keep the escape too). */
function withName(escaped: string): string {
  return JSON.stringify(saleBody()).replace('"Sucre 1 kg"', `"${escaped}"`);
}

describe("a body that is not valid UTF-8", () => {
  // The five sequences of the issue: a byte never valid in UTF-8, an overlong "/", a lone continuation
  // byte, a truncated three-byte sequence and an encoded surrogate (CESU-8).
  const invalid: [string, number[]][] = [
    ["FF", [0xff]],
    ["C0 AF", [0xc0, 0xaf]],
    ["80", [0x80]],
    ["E2 82", [0xe2, 0x82]],
    ["ED A0 80", [0xed, 0xa0, 0x80]],
  ];
  for (const [name, bytes] of invalid) {
    it(`is refused with 400 FIELD_TYPE at / (bytes ${name} in an item name), never sealed`, async () => {
      const before = fiscaliseCalls();
      const res = await post(bodyWithNameBytes(bytes));
      expect(res.statusCode).toBe(400);
      expectConforms(ErrorResponseSchema, res.json());
      const { error } = res.json();
      expect(error).toMatchObject({
        code: ERRORS.FIELD_TYPE.code,
        name: "FIELD_TYPE",
        issues: [{ path: "/", code: ERRORS.FIELD_TYPE.code }],
      });
      expect(error.detail).toMatch(/not valid UTF-8/);
      expect(error.issues[0].detail).toMatch(/not valid UTF-8/);
      expect(fiscaliseCalls()).toBe(before);
    });
  }

  it("does not touch valid multi-byte UTF-8: é, € and an emoji are sealed as sent", async () => {
    const res = await post(bodyWithNameBytes([...Buffer.from("é€😀")]));
    expect(res.statusCode).toBe(201);
    expect(res.json<InvoiceView>().invoice?.items[0]?.name).toBe("Sué€😀cre 1 kg");
  });
});

describe("lone surrogates in the parsed JSON", () => {
  const cases: [string, string, string][] = [
    ["a lone high surrogate in an item name", withName("Sucre \\ud800"), "/items/0/name"],
    ["a lone low surrogate in an item name", withName("\\udc00 Sucre"), "/items/0/name"],
    ["a reversed pair in an item name", withName("\\udfff\\ud800"), "/items/0/name"],
    [
      "a lone surrogate in a comment line",
      JSON.stringify(saleBody({ comments: { B: "NOTE" } })).replace("NOTE", "merci \\ud83d"),
      "/comments/B",
    ],
    [
      "a lone surrogate in a reference reason",
      JSON.stringify(
        saleBody({ type: "CREDIT", reference: { nature: "RAM", fiscal_number: 1, reason: "R" } }),
      ).replace('"R"', '"\\udbff"'),
      "/reference/reason",
    ],
  ];
  for (const [name, payload, path] of cases) {
    it(`422 FIELD_TYPE at ${path}: ${name}`, async () => {
      const before = fiscaliseCalls();
      const res = await post(payload);
      expect(res.statusCode).toBe(422);
      expectConforms(ErrorResponseSchema, res.json());
      const { error } = res.json();
      expect(error.code).toBe(ERRORS.INVOICE_INVALID.code);
      expect(error.issues).toContainEqual(
        expect.objectContaining({
          path,
          code: ERRORS.FIELD_TYPE.code,
          detail: expect.stringMatching(/UTF/),
        }),
      );
      expect(fiscaliseCalls()).toBe(before);
    });
  }

  it("422 FIELD_TYPE at the key's own pointer for a lone surrogate in a key (not just FIELD_UNKNOWN)", async () => {
    const payload = JSON.stringify(saleBody()).replace('"kind":', '"x\\udc00":1,"kind":');
    const res = await post(payload);
    expect(res.statusCode).toBe(422);
    const issues = res.json().error.issues as { path: string; code: number }[];
    // The pointer holds the very key sent: the answer escapes the lone surrogate, never replaces it.
    const atKey = issues.filter((i) => i.path === "/items/0/x\udc00");
    expect(atKey).toEqual([expect.objectContaining({ code: ERRORS.FIELD_TYPE.code })]);
    expect(res.body).toContain("x\\udc00");
  });

  it("accepts a well-formed surrogate pair (an emoji written as a JSON escape)", async () => {
    const res = await post(withName("Sucre \\ud83d\\ude00"));
    expect(res.statusCode).toBe(201);
    expect(res.json<InvoiceView>().invoice?.items[0]?.name).toBe("Sucre 😀");
  });
});

describe("the protocol's canonicalisation (what the service seals)", () => {
  it("refuses a lone surrogate anywhere in the invoice, so no caller can seal one", () => {
    const body = saleBody({ client: { type: "PP", name: "Ngoy \ud800" } });
    let thrown: unknown;
    try {
      canonicaliseInvoiceV2(body, {
        cashierId: "CASHIER-1",
        defaultClientRef: "REF-1",
        isf: "ISF-TEST-0001",
        seller: { nif: "A1234567B", name: "Boutique", address: "Kinshasa" },
      });
    } catch (err) {
      thrown = err;
    }
    expect(isFiscalError(thrown, "INVOICE_INVALID")).toBe(true);
    expect((thrown as { details: { issues: unknown[] } }).details.issues).toContainEqual(
      expect.objectContaining({ path: "/client/name", code: ERRORS.FIELD_TYPE.code }),
    );
  });
});
