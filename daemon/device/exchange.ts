/**
 * One request/reply exchange as a pure state machine: no I/O, no timers, no clock. The session's I/O
 * loop feeds it what happened (a reply, a NAK, BUSY, a timer firing, the link dropping) and performs the
 * actions it returns. Every retransmission is of the same frame, so it carries the same SEQ and bytes and
 * the device replays its cached reply instead of executing twice.
 *
 *   start ──transmit──▶ awaiting-reply ──reply──▶ done
 *                        │  ▲   │ timeout / NAK / garbled: retransmit while the budget lasts, else failed
 *                   BUSY │  │   └ link-down / abandon ───────────────────────────────▶ failed
 *                        ▼  │ backoff elapsed: transmit again (BUSY means "not executed")
 *                      backing-off
 *
 * The machine also remembers whether any transmission went **unanswered** (no reply, NAK or BUSY came
 * back for it: a reply timeout, a garbled frame, the link dropping while a reply was awaited). BUSY and
 * NAK prove only that *that* transmission was not executed; an earlier unanswered one may have been.
 */

/** Why an exchange failed. `abandoned`: the session gave up on it (its resolve deadline passed). */
export type ExchangeFailure = "timeout" | "nak" | "busy" | "link-down" | "abandoned";

/** Retry limits of one exchange. */
export interface ExchangePolicy {
  readonly replyTimeoutMs: number;
  readonly maxRetransmits: number;
  readonly maxBusyRetries: number;
  readonly busyBackoffMinMs: number;
  readonly busyBackoffMaxMs: number;
}

/** Attempt counts carried through the machine. */
interface Attempts {
  /** Retransmissions so far (after a timeout or a NAK). */
  readonly retransmits: number;
  /** BUSY answers so far. */
  readonly busy: number;
  /** Whether some transmission got no reply, NAK or BUSY back, so the device may have executed it. */
  readonly unanswered: boolean;
}

/** Where an exchange stands. */
export type ExchangeState =
  | ({ readonly phase: "awaiting-reply" } & Attempts)
  | ({ readonly phase: "backing-off" } & Attempts)
  | { readonly phase: "done" }
  | { readonly phase: "failed"; readonly reason: ExchangeFailure; readonly unanswered: boolean };

/** What the I/O loop observed. */
export type ExchangeInput =
  | { readonly kind: "reply" }
  | { readonly kind: "nak" }
  /** Something arrived too damaged to say what it was (header CRC): likely our reply, so resend now. */
  | { readonly kind: "garbled" }
  | { readonly kind: "busy"; readonly retryAfterMs: number }
  | { readonly kind: "reply-timeout" }
  | { readonly kind: "backoff-elapsed" }
  | { readonly kind: "link-down" }
  /** The session stops waiting for this exchange; a late reply will be stale. */
  | { readonly kind: "abandon" };

/** What the I/O loop must do, in order. */
export type ExchangeAction =
  /** Write the exchange's frame; `retransmission` when it was written before (counted). */
  | { readonly kind: "transmit"; readonly retransmission: boolean }
  /** (Re)arm the single exchange timer; it replaces any armed one. */
  | { readonly kind: "arm-timer"; readonly ms: number; readonly fires: "reply-timeout" | "backoff-elapsed" }
  /** Settle: the reply is the result. */
  | { readonly kind: "succeed" }
  /** Settle: the exchange failed for `reason`; `unanswered` as in the state. */
  | { readonly kind: "fail"; readonly reason: ExchangeFailure; readonly unanswered: boolean };

/** A state and the actions that lead into it. */
export interface ExchangeTransition {
  readonly state: ExchangeState;
  readonly actions: readonly ExchangeAction[];
}

function send(attempts: Attempts, retransmission: boolean, policy: ExchangePolicy): ExchangeTransition {
  return {
    state: { phase: "awaiting-reply", ...attempts },
    actions: [
      { kind: "transmit", retransmission },
      { kind: "arm-timer", ms: policy.replyTimeoutMs, fires: "reply-timeout" },
    ],
  };
}

function failed(reason: ExchangeFailure, unanswered: boolean): ExchangeTransition {
  return { state: { phase: "failed", reason, unanswered }, actions: [{ kind: "fail", reason, unanswered }] };
}

/** The back-off before resending after the n-th BUSY: the device's wish, doubled per BUSY, clamped. */
export function busyBackoffMs(retryAfterMs: number, busyCount: number, policy: ExchangePolicy): number {
  const doubling = policy.busyBackoffMinMs * 2 ** Math.min(busyCount - 1, 16);
  return Math.min(policy.busyBackoffMaxMs, Math.max(retryAfterMs, doubling, policy.busyBackoffMinMs));
}

/** The first transition: transmit and wait for the reply. */
export function startExchange(policy: ExchangePolicy): ExchangeTransition {
  return send({ retransmits: 0, busy: 0, unanswered: false }, false, policy);
}

/** Feeds one observation; settled states ignore everything. */
export function stepExchange(
  state: ExchangeState,
  input: ExchangeInput,
  policy: ExchangePolicy,
): ExchangeTransition {
  if (state.phase === "done" || state.phase === "failed") return { state, actions: [] };
  const awaiting = state.phase === "awaiting-reply";
  const attempts: Attempts = {
    retransmits: state.retransmits,
    busy: state.busy,
    unanswered: state.unanswered,
  };
  switch (input.kind) {
    case "reply":
      // A reply during back-off is still the reply to this SEQ (the device finished a retransmission).
      return { state: { phase: "done" }, actions: [{ kind: "succeed" }] };
    case "link-down":
    case "abandon":
      return failed(input.kind === "abandon" ? "abandoned" : "link-down", attempts.unanswered || awaiting);
    case "reply-timeout":
    case "nak": {
      if (!awaiting) return { state, actions: [] };
      const reason: ExchangeFailure = input.kind === "nak" ? "nak" : "timeout";
      const unanswered = attempts.unanswered || reason === "timeout";
      if (attempts.retransmits >= policy.maxRetransmits) return failed(reason, unanswered);
      return send({ ...attempts, retransmits: attempts.retransmits + 1, unanswered }, true, policy);
    }
    case "garbled": {
      if (!awaiting) return { state, actions: [] };
      // Most likely our reply, damaged: the device executed the request.
      const marked: ExchangeState = { ...state, unanswered: true };
      // Only a hint: with the budget spent, the reply timer still decides.
      if (attempts.retransmits >= policy.maxRetransmits) return { state: marked, actions: [] };
      return send({ ...attempts, retransmits: attempts.retransmits + 1, unanswered: true }, true, policy);
    }
    case "busy": {
      if (!awaiting) return { state, actions: [] };
      if (attempts.busy >= policy.maxBusyRetries) return failed("busy", attempts.unanswered);
      const busy = attempts.busy + 1;
      return {
        state: {
          phase: "backing-off",
          retransmits: attempts.retransmits,
          busy,
          unanswered: attempts.unanswered,
        },
        actions: [
          {
            kind: "arm-timer",
            ms: busyBackoffMs(input.retryAfterMs, busy, policy),
            fires: "backoff-elapsed",
          },
        ],
      };
    }
    case "backoff-elapsed":
      if (state.phase !== "backing-off") return { state, actions: [] };
      // BUSY means the device did not execute it: sending the same frame again is a first attempt.
      return send(attempts, false, policy);
  }
}
