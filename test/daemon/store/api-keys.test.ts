import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ServiceHarness } from "../fiscal/harness.js";

let h: ServiceHarness;
beforeEach(async () => {
  h = await new ServiceHarness().start();
});
afterEach(() => h.stop());

describe("API keys", () => {
  it("verifies a key, refuses a wrong one, and refuses a revoked one with its own code", () => {
    const { key, info } = h.keys.create("CASHIER-9", null, "tech");
    expect(h.keys.verify(key)).toEqual({ apiKeyId: info.id, cashierId: "CASHIER-9" });
    // One character changed (never to itself: a key ending in "A" would make "…A" the right key).
    expect(() => h.keys.verify(`${key.slice(0, -1)}${key.endsWith("A") ? "B" : "A"}`)).toThrow(/E601/);
    expect(() => h.keys.verify("nonsense")).toThrow(/E601/);
    h.keys.revoke(info.id, "tech");
    expect(() => h.keys.verify(key)).toThrow(/E602/);
    // The store keeps SHA-256 of the secret, never the key: the secret's text and its raw bytes appear
    // in no column of the key's row, nor in the audit log.
    const prefix = `stl_${info.id}_`;
    expect(key.startsWith(prefix)).toBe(true);
    const secret = key.slice(prefix.length);
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const row = h.db.prepare("SELECT * FROM api_keys WHERE id = ?").get(info.id) as Record<string, unknown>;
    expect(row.secret_hash).toEqual(createHash("sha256").update(secret).digest());
    const secretBytes = Buffer.from(secret, "base64url");
    const stored = [
      ...Object.values(row),
      ...h.db
        .prepare("SELECT * FROM audit_log")
        .all()
        .flatMap((r) => Object.values(r as object)),
    ].map((v) => (Buffer.isBuffer(v) ? v : Buffer.from(String(v))));
    expect(stored.length).toBeGreaterThan(Object.keys(row).length);
    for (const needle of [Buffer.from(key), Buffer.from(secret), secretBytes]) {
      expect(stored.filter((v) => v.includes(needle))).toEqual([]);
    }
  });
});
