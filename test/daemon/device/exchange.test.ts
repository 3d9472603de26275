/**
 * The pure exchange machine: each transition, and a property over random observation sequences (it
 * always settles within its budgets and never succeeds without a reply).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  busyBackoffMs,
  type ExchangeAction,
  type ExchangeInput,
  type ExchangePolicy,
  type ExchangeState,
  startExchange,
  stepExchange,
} from "../../../daemon/device/exchange.js";
import { needsResolution } from "../../../daemon/device/recovery.js";
import { COMMAND_NAMES } from "../../../protocol/index.js";

const POLICY: ExchangePolicy = {
  replyTimeoutMs: 1_000,
  maxRetransmits: 2,
  maxBusyRetries: 3,
  busyBackoffMinMs: 10,
  busyBackoffMaxMs: 1_000,
};

function run(inputs: readonly ExchangeInput[]): { state: ExchangeState; actions: ExchangeAction[] } {
  const first = startExchange(POLICY);
  let state = first.state;
  const actions = [...first.actions];
  for (const input of inputs) {
    const next = stepExchange(state, input, POLICY);
    state = next.state;
    actions.push(...next.actions);
  }
  return { state, actions };
}

describe("exchange machine", () => {
  it("starts by transmitting and arming the reply timer", () => {
    expect(startExchange(POLICY)).toEqual({
      state: { phase: "awaiting-reply", retransmits: 0, busy: 0, unanswered: false },
      actions: [
        { kind: "transmit", retransmission: false },
        { kind: "arm-timer", ms: 1_000, fires: "reply-timeout" },
      ],
    });
  });

  it("succeeds on a reply", () => {
    expect(run([{ kind: "reply" }]).state).toEqual({ phase: "done" });
  });

  it("retransmits after a timeout while the budget lasts, then fails with 'timeout'", () => {
    const { state, actions } = run([
      { kind: "reply-timeout" },
      { kind: "reply-timeout" },
      { kind: "reply-timeout" },
    ]);
    expect(state).toEqual({ phase: "failed", reason: "timeout", unanswered: true });
    expect(actions.filter((a) => a.kind === "transmit")).toEqual([
      { kind: "transmit", retransmission: false },
      { kind: "transmit", retransmission: true },
      { kind: "transmit", retransmission: true },
    ]);
  });

  it("fails with 'nak' when NAKs spend the budget", () => {
    expect(run([{ kind: "nak" }, { kind: "nak" }, { kind: "nak" }]).state).toEqual({
      phase: "failed",
      reason: "nak",
      unanswered: false,
    });
  });

  it("treats a garbled frame as a hint: resend while budget remains, otherwise keep waiting", () => {
    const spent = run([{ kind: "garbled" }, { kind: "garbled" }, { kind: "garbled" }]);
    expect(spent.state).toMatchObject({ phase: "awaiting-reply", retransmits: 2 });
    expect(spent.actions.filter((a) => a.kind === "transmit")).toHaveLength(3);
  });

  it("backs off after BUSY and sends the same frame again when the back-off ends", () => {
    const { state, actions } = run([{ kind: "busy", retryAfterMs: 300 }, { kind: "reply-timeout" }]);
    expect(state).toMatchObject({ phase: "backing-off", busy: 1 });
    expect(actions).toContainEqual({ kind: "arm-timer", ms: 300, fires: "backoff-elapsed" });
    expect(actions.filter((a) => a.kind === "transmit")).toHaveLength(1);
    const resumed = run([{ kind: "busy", retryAfterMs: 300 }, { kind: "backoff-elapsed" }]);
    expect(resumed.actions.at(-2)).toEqual({ kind: "transmit", retransmission: false });
  });

  it("fails with 'busy' after too many BUSY answers and with 'link-down' when the link drops", () => {
    const busy: ExchangeInput[] = [];
    for (let i = 0; i < 4; i++) busy.push({ kind: "busy", retryAfterMs: 0 }, { kind: "backoff-elapsed" });
    expect(run(busy).state).toEqual({ phase: "failed", reason: "busy", unanswered: false });
    expect(run([{ kind: "busy", retryAfterMs: 5 }, { kind: "link-down" }]).state).toEqual({
      phase: "failed",
      reason: "link-down",
      unanswered: false,
    });
    expect(run([{ kind: "link-down" }]).state).toEqual({
      phase: "failed",
      reason: "link-down",
      unanswered: true,
    });
    expect(run([{ kind: "abandon" }]).state).toEqual({
      phase: "failed",
      reason: "abandoned",
      unanswered: true,
    });
  });

  it("remembers an unanswered transmission: BUSY afterwards does not prove the request was not executed", () => {
    const busy: ExchangeInput[] = [];
    for (let i = 0; i < 4; i++) busy.push({ kind: "busy", retryAfterMs: 0 }, { kind: "backoff-elapsed" });
    expect(run([{ kind: "reply-timeout" }, ...busy]).state).toEqual({
      phase: "failed",
      reason: "busy",
      unanswered: true,
    });
    expect(run([{ kind: "garbled" }, ...busy]).state).toMatchObject({ reason: "busy", unanswered: true });
    const spent: ExchangeInput[] = [{ kind: "nak" }, { kind: "nak" }, { kind: "garbled" }, { kind: "nak" }];
    expect(run(spent).state).toEqual({ phase: "failed", reason: "nak", unanswered: true });
  });

  it("clamps and doubles the BUSY back-off", () => {
    expect(busyBackoffMs(0, 1, POLICY)).toBe(10);
    expect(busyBackoffMs(0, 4, POLICY)).toBe(80);
    expect(busyBackoffMs(50_000, 1, POLICY)).toBe(1_000);
  });

  it("settles within its budgets for any sequence of observations, and succeeds only on a reply", () => {
    const input = fc.oneof(
      fc.constant<ExchangeInput>({ kind: "reply" }),
      fc.constant<ExchangeInput>({ kind: "nak" }),
      fc.constant<ExchangeInput>({ kind: "garbled" }),
      fc.constant<ExchangeInput>({ kind: "reply-timeout" }),
      fc.constant<ExchangeInput>({ kind: "backoff-elapsed" }),
      fc.constant<ExchangeInput>({ kind: "link-down" }),
      fc.constant<ExchangeInput>({ kind: "abandon" }),
      fc.nat(5_000).map<ExchangeInput>((ms) => ({ kind: "busy", retryAfterMs: ms })),
    );
    fc.assert(
      fc.property(fc.array(input, { maxLength: 60 }), (inputs) => {
        const { state, actions } = run(inputs);
        const transmits = actions.filter((a) => a.kind === "transmit").length;
        expect(transmits).toBeLessThanOrEqual(1 + POLICY.maxRetransmits + POLICY.maxBusyRetries);
        const settled = actions.filter((a) => a.kind === "succeed" || a.kind === "fail");
        expect(settled.length).toBeLessThanOrEqual(1);
        if (state.phase === "done") expect(inputs.some((i) => i.kind === "reply")).toBe(true);
        for (const a of actions) if (a.kind === "arm-timer") expect(a.ms).toBeLessThanOrEqual(1_000);
        // Only a transmission that got no NAK, BUSY or reply back can hide an executed request.
        const silent = inputs.some((i) =>
          ["reply-timeout", "garbled", "link-down", "abandon"].includes(i.kind),
        );
        if (state.phase === "failed" && !silent) expect(state.unanswered).toBe(false);
      }),
    );
  });

  it("resolves lost replies only for COMMIT, ACTIVATE and Z_REPORT, the commands that may change the device for good", () => {
    expect(COMMAND_NAMES.filter(needsResolution).sort()).toEqual(["ACTIVATE", "COMMIT", "Z_REPORT"]);
  });
});
