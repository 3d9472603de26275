/**
 * Error messages follow Accept-Language (docs/API.md §8): French by default, English when asked;
 * the code, the name and the JSON keys never change with the language, and `detail` stays English.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authHeaders, makeApp } from "./harness.js";

const { app } = makeApp();
beforeAll(() => app.ready());
afterAll(() => app.close());

async function unknown(acceptLanguage?: string) {
  const headers = authHeaders(acceptLanguage === undefined ? {} : { "accept-language": acceptLanguage });
  return app.inject({ method: "GET", url: "/v1/invoices/NO-SUCH-1", headers });
}

describe("an error's message", () => {
  it("is French without Accept-Language, and says so in Content-Language", async () => {
    const res = await unknown();
    expect(res.statusCode).toBe(404);
    expect(res.headers["content-language"]).toBe("fr");
    expect(res.json().error).toEqual({
      code: 115,
      name: "RECORD_NOT_FOUND",
      message: "aucun enregistrement fiscal ne correspond",
      detail: 'no invoice has the id or Idempotency-Key "NO-SUCH-1"',
    });
  });

  it("is English when English is preferred", async () => {
    const res = await unknown("en-US,en;q=0.9,fr;q=0.5");
    expect(res.headers["content-language"]).toBe("en");
    expect(res.json().error).toMatchObject({
      code: 115,
      name: "RECORD_NOT_FOUND",
      message: "no fiscal record matches",
    });
  });

  it("is French for a language the product does not speak", async () => {
    const res = await unknown("ln-CD, sw;q=0.8");
    expect(res.json().error.message).toBe("aucun enregistrement fiscal ne correspond");
  });

  it("localises each issue too, the field's detail staying English", async () => {
    const res = await app.inject({
      method: "POST",
      url: "/v1/invoices",
      headers: {
        ...authHeaders({ "accept-language": "en" }),
        "idempotency-key": "LANG-ISSUE-1",
        "content-type": "application/json",
      },
      payload: { type: "SALE", surprise: 1 },
    });
    expect(res.statusCode).toBe(422);
    const issue = res.json().error.issues.find((i: { path: string }) => i.path === "/surprise");
    expect(issue).toMatchObject({
      code: 304,
      message: "an unknown field was sent",
      detail: expect.any(String),
    });
  });
});
