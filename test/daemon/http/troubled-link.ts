/**
 * A DevicePort in front of the emulator's device core that misbehaves the ways a link does, for
 * test/daemon/http/retry-table.test.ts: refuse before the core sees a command, let the core act and
 * then lose or garble the reply, hold a command.
 */
import type { DevicePort } from "../../../daemon/fiscal/device-port.js";
import type { FiscalDevice } from "../../../emulator/device/fiscal-device.js";
import {
  type ArgsOf,
  type Command,
  type ErrorName,
  FiscalError,
  type ResultOf,
  type SealedRecord,
} from "../../../protocol/index.js";
// ---------------------------------------------------------------------------------------------------
// The link in front of the device core

/** A command held on the link until the test lets it go. */
export class HeldCommand {
  private reach!: () => void;
  private let!: (error: FiscalError | undefined) => void;
  /** Resolves once the command is on the link (held). */
  readonly reached = new Promise<void>((resolve) => {
    this.reach = resolve;
  });
  readonly released = new Promise<FiscalError | undefined>((resolve) => {
    this.let = resolve;
  });

  /** @internal the link calls this when the command arrives. */
  arrive(): void {
    this.reach();
  }

  /** Lets the command go on: answered, or failed with `error` (its reply lost). */
  release(error?: FiscalError): void {
    this.let(error);
  }
}

/** What the link does to one call of a command. */
type Misbehaviour =
  | { readonly kind: "refuse"; readonly error: ErrorName }
  | { readonly kind: "lose-reply"; readonly error: ErrorName; readonly unplug: boolean }
  | { readonly kind: "hold"; readonly held: HeldCommand; readonly afterCore: boolean }
  | { readonly kind: "misreport"; readonly answer: (sealed: SealedRecord) => SealedRecord };

/**
 * A DevicePort (and the day's ReportDevice) straight onto the emulator's device core. Every outcome is the core's own; the link
 * only decides whether a command reaches it and whether its reply comes back.
 */
export class TroubledLink implements DevicePort {
  /** Every call fails with DEVICE_UNAVAILABLE before reaching the core (the cable is out). */
  unplugged = false;
  /** Every call is refused with this before reaching the core (the daemon's session refusing, e.g. wrong device). */
  refuseAll: ErrorName | null = null;
  private readonly plans = new Map<Command, Misbehaviour[]>();

  constructor(readonly core: FiscalDevice) {}

  /** The next call of `cmd` is refused with `error` before the core sees it. */
  refuseNext(cmd: Command, error: ErrorName): void {
    this.plan(cmd, { kind: "refuse", error });
  }

  /** The next call of `cmd` runs on the core, then its reply is lost as `error`; `unplug` drops the link too. */
  loseNextReply(cmd: Command, error: ErrorName, unplug = false): void {
    this.plan(cmd, { kind: "lose-reply", error, unplug });
  }

  /** The next call of `cmd` is held, before the core sees it or (`afterCore`) once the core has acted. */
  holdNext(cmd: Command, afterCore = false): HeldCommand {
    const held = new HeldCommand();
    this.plan(cmd, { kind: "hold", held, afterCore });
    return held;
  }

  /** The next COMMIT runs on the core, and the link answers `answer(the core's reply)` instead. */
  misreportNextCommit(answer: (sealed: SealedRecord) => SealedRecord): void {
    this.misreportNext("COMMIT", answer);
  }

  /** The next `cmd` (COMMIT or GET_RECORD) runs on the core; the link answers `answer(its reply)`. */
  misreportNext(cmd: "COMMIT" | "GET_RECORD", answer: (sealed: SealedRecord) => SealedRecord): void {
    this.plan(cmd, { kind: "misreport", answer });
  }

  private plan(cmd: Command, m: Misbehaviour): void {
    this.plans.set(cmd, [...(this.plans.get(cmd) ?? []), m]);
  }

  private async call<C extends Command>(cmd: C, args: ArgsOf<C>): Promise<ResultOf<C>> {
    await Promise.resolve();
    if (this.unplugged) throw new FiscalError("DEVICE_UNAVAILABLE", "simulated: the link is down");
    if (this.refuseAll !== null) throw new FiscalError(this.refuseAll, "simulated: refused by the session");
    const m = this.plans.get(cmd)?.shift();
    if (m?.kind === "refuse") throw new FiscalError(m.error, `simulated: ${cmd} refused before the device`);
    if (m?.kind === "hold" && !m.afterCore) await this.waitFor(m.held);
    const result = this.core.execute(cmd, args);
    if (m?.kind === "hold" && m.afterCore) await this.waitFor(m.held);
    if (m?.kind === "lose-reply") {
      if (m.unplug) this.unplugged = true;
      throw new FiscalError(m.error, `simulated: the ${cmd} reply was lost after the device acted`);
    }
    if (m?.kind === "misreport") return m.answer(result as SealedRecord) as ResultOf<C>;
    return result;
  }

  private async waitFor(held: HeldCommand): Promise<void> {
    held.arrive();
    const error = await held.released;
    if (error !== undefined) throw error;
  }

  info() {
    return this.call("INFO", {});
  }
  status() {
    return this.call("STATUS", {});
  }
  prepare(invoice: ArgsOf<"PREPARE">["invoice"]) {
    return this.call("PREPARE", { invoice });
  }
  commit(nonce: Uint8Array, payload_hash: Uint8Array) {
    return this.call("COMMIT", { nonce, payload_hash });
  }
  abort(nonce: Uint8Array) {
    return this.call("ABORT", { nonce });
  }
  listPending() {
    return this.call("LIST_PENDING", {});
  }
  getRecord(query: ArgsOf<"GET_RECORD">) {
    return this.call("GET_RECORD", query);
  }
  readJournal(from: number, limit: number) {
    return this.call("JOURNAL_READ", { from, limit });
  }
  zReport(isf: string, number: number) {
    return this.call("Z_REPORT", { isf, number });
  }
  xReport(isf: string) {
    return this.call("X_REPORT", { isf });
  }
  getReport(args: ArgsOf<"GET_REPORT">) {
    return this.call("GET_REPORT", args);
  }
  aReport(isf: string, from: number, to: number) {
    return this.call("A_REPORT", { isf, from, to });
  }
}
