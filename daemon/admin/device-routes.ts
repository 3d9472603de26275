/**
 * The DEF over the admin channel (docs/ADMIN.md §Device): while the daemon holds the device port,
 * `stalela device info | status | time | self-test | export` go through these routes instead of
 * waiting for a port they cannot open. The JSON forms are built here once, for the routes and for the
 * CLI's direct path alike, so a command prints the same whichever way it went.
 */
import type { FastifyInstance } from "fastify";
import Type, { type Static, type TSchema } from "typebox";
import {
  errorNameOf,
  FiscalError,
  fromHex,
  JOURNAL_PAGE_MAX,
  JOURNALED_REPORT_KINDS,
  type ResultOf,
  type SealedRecord,
  toHex,
} from "../../protocol/index.js";
import { compileChecker } from "../../protocol/schema-issues.js";
import type { DeviceLink } from "../device-link.js";

/** What the routes need from the daemon's device link. */
export type AdminDevice = Pick<
  DeviceLink,
  "info" | "status" | "readJournal" | "getReport" | "timeGet" | "timeSet" | "selfTest"
>;

/** A protocol result as JSON: every byte string as lower-case hex. */
export type Hexed<T> = T extends Uint8Array
  ? string
  : T extends readonly (infer U)[]
    ? Hexed<U>[]
    : T extends object
      ? { [K in keyof T]: Hexed<T[K]> }
      : T;

/** Turns byte arrays into hex, so a protocol result prints as JSON. */
export function hexed<T>(value: T): Hexed<T> {
  if (value instanceof Uint8Array) return toHex(value) as Hexed<T>;
  if (Array.isArray(value)) return value.map(hexed) as Hexed<T>;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hexed(v)])) as Hexed<T>;
  }
  return value as Hexed<T>;
}

/** The device clock against this computer's: skew > 0 means the device is ahead. */
export interface ClockReading {
  readonly device_time: string;
  readonly host_time: string;
  readonly skew_ms: number;
  readonly offset_ms: number;
  readonly valid: boolean;
}

/** `device info --json`: INFO with its bytes as hex. */
export type InfoReport = Hexed<ResultOf<"INFO">>;
/** `device status --json`: STATUS with its bytes as hex, plus the clock judged against this computer's. */
export type StatusReport = Hexed<ResultOf<"STATUS">> & { readonly clock_check: ClockReading };
/** `device time --json`: the clock, and whether it was just set. */
export type TimeReport = { readonly set: boolean } & ClockReading;
/** `device self-test --json`: SELF_TEST as the device answered. */
export type SelfTestReport = ResultOf<"SELF_TEST">;
/** One JOURNAL_READ page with its bytes as hex. */
export type JournalPage = Hexed<ResultOf<"JOURNAL_READ">>;

/** The clock of a device answer against this computer's time at the middle of the round trip. */
export function clockReading(clock: ResultOf<"TIME_GET">, hostNow: number): ClockReading {
  return {
    device_time: new Date(clock.now).toISOString(),
    host_time: new Date(hostNow).toISOString(),
    skew_ms: clock.now - hostNow,
    offset_ms: clock.offset_ms,
    valid: clock.valid,
  };
}

/** Runs `ask` and returns its answer with this computer's time at the middle of the round trip. */
async function timed<T>(ask: () => Promise<T>, now: () => number): Promise<{ answer: T; hostMid: number }> {
  const before = now();
  const answer = await ask();
  return { answer, hostMid: Math.round((before + now()) / 2) };
}

/** INFO as JSON. */
export async function infoReport(device: Pick<AdminDevice, "info">): Promise<InfoReport> {
  return hexed(await device.info());
}

/** STATUS as JSON, with its clock judged at the middle of the round trip. */
export async function statusReport(
  device: Pick<AdminDevice, "status">,
  now: () => number = Date.now,
): Promise<StatusReport> {
  const { answer, hostMid } = await timed(() => device.status(), now);
  return { ...hexed(answer), clock_check: clockReading(answer.clock, hostMid) };
}

/** The device clock (TIME_GET). */
export async function clockReport(device: AdminDevice, now: () => number = Date.now): Promise<TimeReport> {
  const { answer, hostMid } = await timed(() => device.timeGet(), now);
  return { set: false, ...clockReading(answer, hostMid) };
}

/**
 * Sets the device clock to `target` (ms since the epoch), or to this computer's time when "now" (taken
 * just before sending, so no delay before it counts as skew), then reads it back.
 */
export async function setClock(
  device: AdminDevice,
  target: number | "now",
  now: () => number = Date.now,
): Promise<TimeReport> {
  await device.timeSet(target === "now" ? now() : target);
  return { ...(await clockReport(device, now)), set: true };
}

/** SELF_TEST. */
export async function selfTestReport(device: AdminDevice): Promise<SelfTestReport> {
  return device.selfTest();
}

/** INFO back from its JSON form (what a journal export needs from it). */
export function infoFromReport(report: InfoReport): ResultOf<"INFO"> {
  return {
    ...report,
    public_key: fromHex(report.public_key),
    activation:
      report.activation === null
        ? null
        : { bytes: fromHex(report.activation.bytes), signature: fromHex(report.activation.signature) },
    activation_bundle:
      report.activation_bundle === null
        ? null
        : {
            bytes: fromHex(report.activation_bundle.bytes),
            signature: fromHex(report.activation_bundle.signature),
          },
  };
}

/** `GET /admin/v1/device/report`: GET_REPORT with the report's bytes as hex. */
export type ReportPage = Hexed<ResultOf<"GET_REPORT">>;

/** A GET_REPORT answer back from its JSON form. */
export function reportFromPage(page: ReportPage): ResultOf<"GET_REPORT"> {
  return {
    report: { record: fromHex(page.report.record), signature: fromHex(page.report.signature) },
    last: page.last,
  };
}

/** A JOURNAL_READ page back from its JSON form. */
export function journalFromPage(page: JournalPage): ResultOf<"JOURNAL_READ"> {
  const entries: SealedRecord[] = page.entries.map((e) => ({
    record: fromHex(e.record),
    signature: fromHex(e.signature),
    auth_code: e.auth_code,
    qr: e.qr,
    ...(e.invoice !== undefined && { invoice: fromHex(e.invoice) }),
  }));
  return { entries, next: page.next, last: page.last };
}

const TimeSetBody = Type.Object(
  {
    now: Type.Union([
      Type.Literal("now"),
      Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: "ms since the epoch" }),
    ]),
  },
  { additionalProperties: false },
);
const Count = Type.String({ pattern: "^[1-9][0-9]{0,15}$" });
const JournalQuery = Type.Object(
  { from: Count, limit: Type.Optional(Count) },
  { additionalProperties: false },
);
const ReportQuery = Type.Object(
  { kind: Type.Enum([...JOURNALED_REPORT_KINDS]), number: Type.Optional(Count) },
  { additionalProperties: false },
);

/** Validates a request part with its typebox schema; a mismatch is the first issue's 3xx code. */
function validator<S extends TSchema>(schema: S, part: string): (value: unknown) => Static<S> {
  const checker = compileChecker(schema);
  return (value) => {
    const issues = checker
      .issues(value)
      .map((i) => ({ ...i, path: `/${part}${i.path === "/" ? "" : i.path}` }));
    if (issues.length === 0) return value as Static<S>;
    const first = issues[0]!;
    throw new FiscalError(errorNameOf(first.code) ?? "FIELD_TYPE", `${first.path} ${first.message}`, {
      issues,
    });
  };
}

const timeSetBody = validator(TimeSetBody, "body");
const journalQuery = validator(JournalQuery, "query");
const reportQuery = validator(ReportQuery, "query");

/**
 * Registers the device routes on the admin app. `deviceOf` gives the daemon's device link, or
 * undefined while the daemon has not handed it over yet (DEVICE_UNAVAILABLE).
 */
export function registerDeviceRoutes(app: FastifyInstance, deviceOf: () => AdminDevice | undefined): void {
  const device = (): AdminDevice => {
    const link = deviceOf();
    if (link === undefined)
      throw new FiscalError("DEVICE_UNAVAILABLE", "the daemon's device link is not ready");
    return link;
  };
  app.get("/admin/v1/device/info", async () => infoReport(device()));
  app.get("/admin/v1/device/status", async () => statusReport(device()));
  app.get("/admin/v1/device/time", async () => clockReport(device()));
  app.post("/admin/v1/device/time", async (request) => setClock(device(), timeSetBody(request.body).now));
  app.post("/admin/v1/device/self-test", async () => selfTestReport(device()));
  app.get("/admin/v1/device/journal", async (request) => {
    const query = journalQuery(request.query);
    const limit = Number(query.limit ?? JOURNAL_PAGE_MAX);
    if (limit > JOURNAL_PAGE_MAX) {
      throw new FiscalError("FIELD_RANGE", `/query/limit must be at most ${JOURNAL_PAGE_MAX}`);
    }
    return hexed(await device().readJournal(Number(query.from), limit));
  });
  app.get("/admin/v1/device/report", async (request) => {
    const { kind, number } = reportQuery(request.query);
    const args = number === undefined ? { kind } : { kind, number: Number(number) };
    return hexed(await device().getReport(args));
  });
}
