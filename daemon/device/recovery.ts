/**
 * The ambiguity rule: what to do when a request that may have changed the device irreversibly was
 * transmitted but its reply was lost (every retransmission unanswered, the link dropped, or the reply
 * unreadable). Only COMMIT (it seals), ACTIVATE (it binds the device for good) and Z_REPORT (it closes
 * the day) are resolved, by asking the device for the true outcome (docs/DEVICE_LINK.md §5); never a
 * blind fresh COMMIT:
 *
 *   COMMIT    ABORT {nonce} (NONCE_UNKNOWN / NONCE_EXPIRED are fine: either way the nonce can no longer
 *             commit), then GET_RECORD {payload_hash}: found = committed, RECORD_NOT_FOUND = not.
 *   ACTIVATE  INFO: activated by this bundle = done; not activated = ACTIVATE again.
 *   Z_REPORT  GET_REPORT {kind: Z_REPORT}: the asked Z number made = done (that Z; its closures come
 *             through reconciliation); not made = Z_REPORT again (the device refuses any other number).
 *
 * Every other command fails as soon as its exchange does, because it cannot have sealed anything:
 * PREPARE moves no counter (a nonce it may have left expires, and reconciliation aborts nonces nobody
 * owns), a lost ABORT is repeated by whoever needs it (NONCE_UNKNOWN then means success), TIME_SET
 * sets an absolute time, and reads change nothing.
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
    /** Whether some transmission went unanswered, so the device may have executed it (exchange.ts). */
    readonly unanswered = true,
  ) {
    super(`${command} exchange failed: ${reason}`);
  }
}

/** The device answered recovery with something that settles nothing; the session tries again later. */
export class UnsettledError extends Error {
  override readonly name: string = "UnsettledError";
}

/**
 * The coded error for an exchange failure that is not resolved: either the device never executed the
 * request (every transmission answered BUSY), or the command cannot have sealed anything. The details
 * say which: `{ reason, command, executed: false }` or `{ reason, command, resolved: false,
 * cannot_seal: true }`.
 */
export function failureError(failure: ExchangeError, address: string): FiscalError {
  const { command, reason } = failure;
  const what = `${command} on ${address}`;
  const notExecuted = reason === "busy" && !failure.unanswered;
  const details = notExecuted
    ? { reason, command, executed: false }
    : { reason, command, resolved: false, cannot_seal: true };
  const unresolved = notExecuted ? "" : `; not resolved: a ${command} cannot have sealed anything`;
  switch (reason) {
    case "busy":
      return new FiscalError("DEVICE_BUSY", `${what}: the device stayed busy${unresolved}`, details);
    case "link-down":
      return new FiscalError("DEVICE_UNAVAILABLE", `${what}: the device went away${unresolved}`, details);
    default:
      return new FiscalError(
        "DEVICE_TIMEOUT",
        `${what}: no reply after every retransmission${unresolved}`,
        details,
      );
  }
}

/** How recovery talks to the device: one exchange per call, outside the queue (it holds the slot). */
export interface RecoveryContext {
  call<C extends Command>(cmd: C, args: ArgsOf<C>): Promise<ResultOf<C>>;
}

/** The commands whose lost replies are resolved: they may have changed the device irreversibly. */
export type ResolvedCommand = "ACTIVATE" | "COMMIT" | "Z_REPORT";

/** Why a reply is in doubt: the exchange failed, or the reply came but could not be read. */
export type LostReplyCause = ExchangeFailure | "undecodable";

type Strategy<C extends ResolvedCommand> = (
  ctx: RecoveryContext,
  args: ArgsOf<C>,
  cause: LostReplyCause,
) => Promise<ResultOf<C>>;

function notCommitted(args: ArgsOf<"COMMIT">, cause: LostReplyCause): FiscalError {
  return new FiscalError(
    cause === "link-down" ? "DEVICE_UNAVAILABLE" : "DEVICE_TIMEOUT",
    "the COMMIT reply was lost or unreadable and GET_RECORD shows it was NOT committed; its nonce is aborted: PREPARE again",
    { outcome: "not-committed", payload_hash: toHex(args.payload_hash), nonce: toHex(args.nonce) },
  );
}

const RECOVERY: { readonly [C in ResolvedCommand]: Strategy<C> } = {
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
  ACTIVATE: async (ctx, args) => {
    const info = await ctx.call("INFO", {});
    if (info.activation === null) return ctx.call("ACTIVATE", args);
    const record = openActivationRecord(info.activation, info.public_key);
    if (bytesEqual(record.bundle_hash, sha256(args.bundle.bytes))) return { activation: info.activation };
    throw new FiscalError("DEVICE_ALREADY_ACTIVATED", "the device is activated with another bundle");
  },
  Z_REPORT: async (ctx, args) => {
    let last = 0;
    try {
      last = (await ctx.call("GET_REPORT", { kind: "Z_REPORT" })).last;
    } catch (err) {
      if (!isFiscalError(err, "RECORD_NOT_FOUND")) throw unsettled(err);
    }
    if (last < args.number) return ctx.call("Z_REPORT", args);
    const made = await ctx.call("GET_REPORT", { kind: "Z_REPORT", number: args.number });
    return { report: made.report, closures: [] };
  },
};

function unsettled(err: unknown): unknown {
  // Link failures are retried by the caller as they are; a device error here settles nothing.
  if (err instanceof ExchangeError) return err;
  return new UnsettledError(`recovery got an unexpected answer: ${(err as Error).message}`, { cause: err });
}

/** True for the commands whose lost replies are resolved (COMMIT, ACTIVATE, Z_REPORT). */
export function needsResolution(cmd: Command): cmd is ResolvedCommand {
  return cmd in RECOVERY;
}

/** Runs the command's strategy once. Throws ExchangeError / UnsettledError to be retried, else final. */
export function recoverLostReply<C extends ResolvedCommand>(
  cmd: C,
  args: ArgsOf<C>,
  ctx: RecoveryContext,
  cause: LostReplyCause,
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
