/**
 * Messages to and from CBOR payloads. A request is a map `{ cmd, ...args }`; a reply is
 * `{ ok: true, result }` or `{ ok: false, error: { code, message, issues? } }` (docs/PROTOCOL.md §5).
 * Every decode validates against the catalogue and fails with a coded FiscalError.
 */
import { type CborValue, decodeCanonical, encodeCanonical } from "../cbor.js";
import { type FieldIssue, FiscalError, fiscalErrorFromWire } from "../errors.js";
import { compileChecker, type IssueChecker } from "../schema-issues.js";
import {
  type ArgsOf,
  BusySchema,
  COMMANDS,
  type Command,
  type DeviceEvent,
  EventSchema,
  NakSchema,
  type ResultOf,
} from "./catalogue.js";

const argCheckers = new Map<Command, IssueChecker>();
const resultCheckers = new Map<Command, IssueChecker>();
for (const [name, spec] of Object.entries(COMMANDS) as [Command, (typeof COMMANDS)[Command]][]) {
  argCheckers.set(name, compileChecker(spec.args));
  resultCheckers.set(name, compileChecker(spec.result));
}
const eventChecker = compileChecker(EventSchema);
const busyChecker = compileChecker(BusySchema);
const nakChecker = compileChecker(NakSchema);

/** A decoded request. */
export interface Request<C extends Command = Command> {
  readonly cmd: C;
  readonly args: ArgsOf<C>;
}

function isMap(value: CborValue): value is { readonly [key: string]: CborValue } {
  return (
    value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof Uint8Array)
  );
}

function messageInvalid(what: string, issues: readonly FieldIssue[]): FiscalError {
  const first = issues[0];
  return new FiscalError("MESSAGE_INVALID", first ? `${what}: ${first.path} ${first.message}` : what, {
    issues,
  });
}

/** Encodes a request payload. */
export function encodeRequest<C extends Command>(cmd: C, args: ArgsOf<C>): Uint8Array {
  return encodeCanonical({ ...(args as Record<string, CborValue>), cmd });
}

/** Decodes and validates a request payload (device side). */
export function decodeRequest(payload: Uint8Array): Request {
  const value = decodeCanonical(payload);
  if (!isMap(value)) throw new FiscalError("MESSAGE_INVALID", "a request is a CBOR map");
  const { cmd, ...args } = value;
  if (typeof cmd !== "string")
    throw messageInvalid("request", [{ path: "/cmd", code: 301, message: "is required" }]);
  const checker = argCheckers.get(cmd as Command);
  if (checker === undefined)
    throw new FiscalError("UNKNOWN_COMMAND", `unknown command ${JSON.stringify(cmd.slice(0, 32))}`);
  const issues = checker.issues(args);
  if (issues.length > 0) throw messageInvalid(`${cmd} arguments`, issues);
  return { cmd: cmd as Command, args: args as ArgsOf<Command> };
}

/** Encodes a success reply (device side). */
export function encodeResult<C extends Command>(_cmd: C, result: ResultOf<C>): Uint8Array {
  return encodeCanonical({ ok: true, result: result as CborValue });
}

/** Encodes an error reply (device side). */
export function encodeError(error: FiscalError): Uint8Array {
  const issues = error.details?.issues?.map((i) => ({ path: i.path, code: i.code, message: i.message }));
  return encodeCanonical({ ok: false, error: { code: error.code, message: error.text, issues } });
}

/**
 * Decodes a reply to `cmd` (host side): returns the validated result, or throws the device's error as
 * a FiscalError with the device's code (MESSAGE_INVALID when the reply itself is malformed).
 */
export function decodeResponse<C extends Command>(cmd: C, payload: Uint8Array): ResultOf<C> {
  const value = decodeCanonical(payload);
  if (!isMap(value) || typeof value.ok !== "boolean") {
    throw new FiscalError("MESSAGE_INVALID", `${cmd} reply is not { ok, … }`);
  }
  if (value.ok) {
    const result = value.result;
    const issues = resultCheckers.get(cmd)!.issues(result);
    if (issues.length > 0) throw messageInvalid(`${cmd} result`, issues);
    return result as ResultOf<C>;
  }
  const error = value.error ?? null;
  if (!isMap(error) || typeof error.code !== "number" || typeof error.message !== "string") {
    throw new FiscalError("MESSAGE_INVALID", `${cmd} error reply is not { code, message }`);
  }
  const issues = Array.isArray(error.issues) ? (error.issues as unknown as FieldIssue[]) : undefined;
  throw fiscalErrorFromWire(error.code, error.message, issues);
}

/** Encodes an unsolicited event. */
export function encodeEvent(event: DeviceEvent): Uint8Array {
  return encodeCanonical(event as unknown as CborValue);
}

/** Decodes an unsolicited event; throws MESSAGE_INVALID. */
export function decodeEvent(payload: Uint8Array): DeviceEvent {
  const value = decodeCanonical(payload);
  const issues = eventChecker.issues(value);
  if (issues.length > 0) throw messageInvalid("event", issues);
  return value as unknown as DeviceEvent;
}

/** Encodes a BUSY payload. */
export function encodeBusy(retryAfterMs: number): Uint8Array {
  return encodeCanonical({ retry_after_ms: retryAfterMs });
}

/** Decodes a BUSY payload: the delay the device asks for. */
export function decodeBusy(payload: Uint8Array): number {
  const value = decodeCanonical(payload);
  if (!busyChecker.check(value))
    throw new FiscalError("MESSAGE_INVALID", "BUSY payload is not { retry_after_ms }");
  return (value as { retry_after_ms: number }).retry_after_ms;
}

/** Encodes a NAK payload with the protocol error code that caused it. */
export function encodeNak(code: number): Uint8Array {
  return encodeCanonical({ code });
}

/** Decodes a NAK payload: the error code. */
export function decodeNak(payload: Uint8Array): number {
  const value = decodeCanonical(payload);
  if (!nakChecker.check(value)) throw new FiscalError("MESSAGE_INVALID", "NAK payload is not { code }");
  return (value as { code: number }).code;
}
