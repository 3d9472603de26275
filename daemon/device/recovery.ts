/**
 * The ambiguity rule: what to do when a state-changing request may have acted but its reply was lost
 * (every retransmission timed out, or the link dropped). Never a blind fresh COMMIT. Each command has a
 * strategy that asks the device and returns the true outcome or a definite error (docs/DEVICE_LINK.md
 * §Lost replies):
 *
 *   COMMIT    ABORT {nonce} (NONCE_UNKNOWN / NONCE_EXPIRED are fine: either way the nonce can no longer
 *             commit), then GET_RECORD {payload_hash}: found = committed, RECORD_NOT_FOUND = not.
 *   PREPARE   PREPARE again: the device answers the same nonce for the same payload, and PREPARE moves
 *             no counter.
 *   ABORT     ABORT again: NONCE_UNKNOWN means the first one did it.
 *   ACTIVATE  INFO: activated by this bundle = done; not activated = ACTIVATE again.
 *   TIME_SET  TIME_SET again: it sets an absolute time, so a repeat only re-applies it.
 */
import {
  type ArgsOf,
  bytesEqual,
  type Command,
  FiscalError,
  isFiscalError,
  openActivationRecord,
  type ResultOf,
  sha256,
  toHex,
} from "../../protocol/index.js";
import type { ExchangeFailure } from "./exchange.js";

/** An exchange that failed at the link level (as opposed to the device answering with an error). */
export class ExchangeError extends Error {
  override readonly name = "ExchangeError";
  /** Assigns only. */
  constructor(
    readonly reason: ExchangeFailure,
    readonly command: Command,
  ) {
    super(`${command} exchange failed: ${reason}`);
  }
}

/** The device answered recovery with something that settles nothing; the session tries again later. */
export class UnsettledError extends Error {
  override readonly name = "UnsettledError";
}

/** The coded error for an exchange failure that needs no resolution (or was not state-changing). */
export function failureError(failure: ExchangeError, address: string): FiscalError {
  const what = `${failure.command} on ${address}`;
  switch (failure.reason) {
    case "busy":
      return new FiscalError("DEVICE_BUSY", `${what}: the device stayed busy`, { reason: failure.reason });
    case "link-down":
      return new FiscalError("DEVICE_UNAVAILABLE", `${what}: the device went away`, {
        reason: failure.reason,
      });
    default:
      return new FiscalError("DEVICE_TIMEOUT", `${what}: no reply after every retransmission`, {
        reason: failure.reason,
      });
  }
}

/** How recovery talks to the device: one exchange per call, outside the queue (it holds the slot). */
export interface RecoveryContext {
  call<C extends Command>(cmd: C, args: ArgsOf<C>): Promise<ResultOf<C>>;
}

/** The commands whose lost replies need resolving. */
export type StateChangingCommand = "ACTIVATE" | "PREPARE" | "COMMIT" | "ABORT" | "TIME_SET";

type Strategy<C extends StateChangingCommand> = (
  ctx: RecoveryContext,
  args: ArgsOf<C>,
  cause: ExchangeFailure,
) => Promise<ResultOf<C>>;

function notCommitted(args: ArgsOf<"COMMIT">, cause: ExchangeFailure): FiscalError {
  return new FiscalError(
    cause === "link-down" ? "DEVICE_UNAVAILABLE" : "DEVICE_TIMEOUT",
    "the COMMIT reply was lost and GET_RECORD shows it was NOT committed; its nonce is aborted: PREPARE again",
    { outcome: "not-committed", payload_hash: toHex(args.payload_hash), nonce: toHex(args.nonce) },
  );
}

const RECOVERY: { readonly [C in StateChangingCommand]: Strategy<C> } = {
  COMMIT: async (ctx, args, cause) => {
    try {
      await ctx.call("ABORT", { nonce: args.nonce });
    } catch (err) {
      if (!isFiscalError(err, "NONCE_UNKNOWN") && !isFiscalError(err, "NONCE_EXPIRED")) throw unsettled(err);
    }
    try {
      return await ctx.call("GET_RECORD", { payload_hash: args.payload_hash });
    } catch (err) {
      if (isFiscalError(err, "RECORD_NOT_FOUND")) throw notCommitted(args, cause);
      throw unsettled(err);
    }
  },
  PREPARE: (ctx, args) => ctx.call("PREPARE", args),
  ABORT: async (ctx, args) => {
    try {
      return await ctx.call("ABORT", args);
    } catch (err) {
      if (isFiscalError(err, "NONCE_UNKNOWN")) return { nonce: args.nonce };
      throw err;
    }
  },
  ACTIVATE: async (ctx, args) => {
    const info = await ctx.call("INFO", {});
    if (info.activation === null) return ctx.call("ACTIVATE", args);
    const record = openActivationRecord(info.activation, info.public_key);
    if (bytesEqual(record.bundle_hash, sha256(args.bundle.bytes))) return { activation: info.activation };
    throw new FiscalError("DEVICE_ALREADY_ACTIVATED", "the device is activated with another bundle");
  },
  TIME_SET: (ctx, args) => ctx.call("TIME_SET", args),
};

function unsettled(err: unknown): unknown {
  // Link failures are retried by the caller as they are; a device error here settles nothing.
  if (err instanceof ExchangeError) return err;
  return new UnsettledError(`recovery got an unexpected answer: ${(err as Error).message}`, { cause: err });
}

/** True for the commands that need resolving after a lost reply. */
export function isStateChanging(cmd: Command): cmd is StateChangingCommand {
  return cmd in RECOVERY;
}

/** Runs the command's strategy once. Throws ExchangeError / UnsettledError to be retried, else final. */
export function recoverLostReply<C extends StateChangingCommand>(
  cmd: C,
  args: ArgsOf<C>,
  ctx: RecoveryContext,
  cause: ExchangeFailure,
): Promise<ResultOf<C>> {
  return (RECOVERY[cmd] as Strategy<C>)(ctx, args, cause);
}

/** The error for a lost reply that could not be resolved before the deadline or the session closing. */
export function inDoubtError(cmd: Command, args: unknown, why: string): FiscalError {
  const details: Record<string, unknown> = { outcome: "in-doubt", command: cmd };
  const fields = args as { nonce?: unknown; payload_hash?: unknown };
  if (fields.nonce instanceof Uint8Array) details.nonce = toHex(fields.nonce);
  if (fields.payload_hash instanceof Uint8Array) details.payload_hash = toHex(fields.payload_hash);
  return new FiscalError(
    "DEVICE_UNAVAILABLE",
    `the ${cmd} reply was lost and ${why}; reconcile with GET_RECORD when the device is back`,
    details,
  );
}
