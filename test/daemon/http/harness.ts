/**
 * The test harness of the HTTP suites: an app over the fakes, request helpers, a captured logger, and
 * a check that an answer has exactly the shape its response schema documents.
 */
import { Writable } from "node:stream";
import pino, { type Logger } from "pino";
import { Registry } from "prom-client";
import type { TSchema } from "typebox";
import { expect } from "vitest";
import { buildApp, type HttpConfig } from "../../../daemon/http/app.js";
import { compileChecker, type IssueChecker } from "../../../protocol/schema-issues.js";
import { DayReportsUnderTest } from "./day-world.js";
import { FakeInvoiceService, FakeKeys, FakeStatus, receiptsFor } from "./fakes.js";

/** The known keys of `makeApp`. */
export const KEYS = { cashier1: "sk_test_cashier_1_0123456789", revoked: "sk_test_revoked_abcdef" } as const;

/** A captured pino logger: every line it writes, as text. */
export function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString("utf8"));
      done();
    },
  });
  return { logger: pino({ level: "info" }, stream), lines };
}

/**
 * An app over the fakes, with one valid and one revoked key; the report routes reach a real DayReports
 * (day-world.ts), whose device and store are removed when the app closes.
 */
export function makeApp(config: Partial<HttpConfig> = {}, logger?: Logger) {
  const service = new FakeInvoiceService();
  const reports = new DayReportsUnderTest();
  const keys = new FakeKeys();
  const caller = keys.add(KEYS.cashier1, "CASHIER-1");
  keys.add(KEYS.revoked, "CASHIER-2", true);
  const status = new FakeStatus();
  const registry = new Registry();
  const app = buildApp({
    invoices: service,
    receipts: receiptsFor(),
    reports,
    keys,
    status,
    metrics: registry,
    logger,
    config: { version: "0.1.0-test", ...config },
  });
  app.addHook("onClose", async () => reports.stop());
  return { app, service, reports, keys, status, registry, caller };
}

/** Headers of an authenticated JSON request on the default Host. */
export function authHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${KEYS.cashier1}`, host: "127.0.0.1:8765", ...extra };
}

const checkers = new Map<TSchema, IssueChecker>();

/**
 * Asserts that `value` matches `schema`. The serialiser filters by the response schema, but it does
 * not validate (a wrong type is coerced, a missing required field is a 500): this checks the rest.
 */
export function expectConforms(schema: TSchema, value: unknown): void {
  let checker = checkers.get(schema);
  if (checker === undefined) {
    checker = compileChecker(schema);
    checkers.set(schema, checker);
  }
  expect(checker.issues(value)).toEqual([]);
}
