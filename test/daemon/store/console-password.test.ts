/**
 * The console password in the store (daemon/store/console-password.ts): an scrypt hash with its own
 * salt and cost (RFC 7914), checked in constant time; the password itself is nowhere in the store.
 */
import { scryptSync } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditLog } from "../../../daemon/store/audit.js";
import {
  ConsolePasswords,
  PASSWORD_MIN_CHARS,
  SCRYPT_PARAMS,
} from "../../../daemon/store/console-password.js";
import { ServiceHarness } from "../fiscal/harness.js";

let h: ServiceHarness;
let passwords: ConsolePasswords;
beforeEach(async () => {
  h = await new ServiceHarness().start();
  passwords = new ConsolePasswords(h.db, new AuditLog(h.db), () => 1_700_000_000_000);
});
afterEach(() => h.stop());

describe("console password", () => {
  it("is none until set; then only the right password verifies", async () => {
    expect(passwords.setAt()).toBeNull();
    expect(await passwords.verify("anything at all")).toBe(false);
    await passwords.set("le mot de passe de la boutique", "tech");
    expect(passwords.setAt()).toBe(1_700_000_000_000);
    expect(await passwords.verify("le mot de passe de la boutique")).toBe(true);
    expect(await passwords.verify("le mot de passe de la boutiquE")).toBe(false);
    expect(await passwords.verify("")).toBe(false);
  });

  it("stores scrypt(N=2^15, r=8, p=1) of the password with a 16-byte salt, never the password", async () => {
    const password = "un-mot-de-passe-long";
    await passwords.set(password, "tech");
    const row = h.db.prepare("SELECT * FROM console_password").get() as Record<string, unknown>;
    expect(row.algorithm).toBe("scrypt");
    expect(JSON.parse(row.params_json as string)).toEqual({ N: 32768, r: 8, p: 1 });
    expect(SCRYPT_PARAMS).toEqual({ N: 32768, r: 8, p: 1 });
    expect((row.salt as Buffer).length).toBe(16);
    const expected = scryptSync(password, row.salt as Buffer, 32, {
      N: 32768,
      r: 8,
      p: 1,
      maxmem: 64 * 1024 * 1024,
    });
    expect(row.hash).toEqual(expected);
    const text = JSON.stringify(h.db.prepare("SELECT * FROM console_password, audit_log").all());
    expect(text).not.toContain(password);
  });

  it("a reset replaces the hash and salt, and is logged as one", async () => {
    await passwords.set("premier mot de passe", "tech");
    const first = h.db.prepare("SELECT salt, hash FROM console_password").get();
    await passwords.set("second mot de passe", "tech");
    expect(h.db.prepare("SELECT salt, hash FROM console_password").get()).not.toEqual(first);
    expect(await passwords.verify("premier mot de passe")).toBe(false);
    expect(await passwords.verify("second mot de passe")).toBe(true);
    const actions = h.db.prepare("SELECT action FROM audit_log WHERE action LIKE 'console.%'").pluck().all();
    expect(actions).toEqual(["console.password.set", "console.password.reset"]);
  });

  it(`refuses a password under ${PASSWORD_MIN_CHARS} characters, counted as characters`, async () => {
    await expect(passwords.set("court", "tech")).rejects.toThrow(/E303/);
    // Nine accented characters are nine, not eighteen bytes.
    await expect(passwords.set("éééééééééé".slice(0, 9), "tech")).rejects.toThrow(/E303/);
    await passwords.set("éééééééééé", "tech");
    expect(await passwords.verify("éééééééééé")).toBe(true);
    // NFC and NFD spellings of the same text are the same password.
    expect(await passwords.verify("éééééééééé".normalize("NFD"))).toBe(true);
  });
});
