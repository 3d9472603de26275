/**
 * Reading a reply payload, and telling the device's own refusal apart from a reply this host cannot
 * read. The difference matters for COMMIT: a refusal the device answered (`{ ok: false, error: { code,
 * message } }`, whatever the code) means it sealed nothing, while a reply that is not valid CBOR or
 * does not match the catalogue says nothing about what the device did, so it is in doubt like a lost
 * one (docs/DEVICE_LINK.md §5).
 */
import {
  type CborValue,
  type Command,
  decodeCanonical,
  decodeResponse,
  type FiscalError,
  isFiscalError,
  type ResultOf,
} from "../../protocol/index.js";
import { UnsettledError } from "./recovery.js";

/** A reply that could not be read (bad CBOR, or outside the catalogue); `error` is the decoder's. */
export class ReplyUndecodableError extends UnsettledError {
  override readonly name: string = "ReplyUndecodableError";
  /** Assigns only. */
  constructor(
    readonly command: Command,
    readonly error: FiscalError,
  ) {
    super(`the ${command} reply could not be read: ${error.message}`, { cause: error });
  }
}

function isMap(value: CborValue | undefined): value is { readonly [key: string]: CborValue | undefined } {
  return (
    value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof Uint8Array)
  );
}

/** True when `payload` is a well-formed error reply: the device itself refused the request. */
export function isDeviceRefusal(payload: Uint8Array): boolean {
  let value: CborValue;
  try {
    value = decodeCanonical(payload);
  } catch {
    return false;
  }
  if (!isMap(value) || value.ok !== false || !isMap(value.error)) return false;
  const { code, message } = value.error;
  return typeof code === "number" && Number.isSafeInteger(code) && code >= 0 && typeof message === "string";
}

/**
 * Decodes the reply to `cmd`: its result, or the device's refusal as a coded FiscalError. A payload
 * that is neither throws ReplyUndecodableError.
 */
export function decodeReply<C extends Command>(cmd: C, payload: Uint8Array): ResultOf<C> {
  try {
    return decodeResponse(cmd, payload);
  } catch (err) {
    if (!isFiscalError(err) || isDeviceRefusal(payload)) throw err;
    throw new ReplyUndecodableError(cmd, err);
  }
}
