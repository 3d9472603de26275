/**
 * FiscalDevice: the emulated DEF's firmware, minus the link. It owns the fiscal memory, the clock
 * and the pending PREPAREs, knows its lifecycle state, and executes one decoded request at a time
 * (synchronously: every command completes, persistence included, before the next one starts).
 */
import {
  type ArgsOf,
  type Command,
  type DeviceState,
  FiscalError,
  type ResultOf,
} from "../../protocol/index.js";
import type { DeviceConfig } from "../config.js";
import { DEV_CLOUD_ROOT_PUBLIC_KEY } from "../dev-keys.js";
import { FiscalMemory, type StoredActivation } from "../store/fiscal-memory.js";
import { activate } from "./activation.js";
import { DeviceClock } from "./clock.js";
import { aReport, getReport, xReport, zReport } from "./day-reports.js";
import { abort, commit, listPending, prepare } from "./fiscalise.js";
import { getRecord, journalRead } from "./journal-read.js";
import { PendingPrepares } from "./pending.js";
import { info, status } from "./reports.js";
import { selfTest } from "./self-test.js";

/** Lock reason when the journal has no room left (derived from the counters, never stored). */
export const LOCK_JOURNAL_FULL = "JOURNAL_FULL";
/** Lock reason stored when a self-test fails; a later passing self-test clears it. */
export const LOCK_SELF_TEST_FAILED = "SELF_TEST_FAILED";

type Handler<C extends Command> = (device: FiscalDevice, args: ArgsOf<C>) => ResultOf<C>;

const HANDLERS: { readonly [C in Command]: Handler<C> } = {
  INFO: (d) => info(d),
  STATUS: (d) => status(d),
  ACTIVATE: activate,
  PREPARE: prepare,
  COMMIT: commit,
  ABORT: abort,
  LIST_PENDING: listPending,
  GET_RECORD: getRecord,
  JOURNAL_READ: journalRead,
  Z_REPORT: zReport,
  X_REPORT: xReport,
  GET_REPORT: getReport,
  A_REPORT: aReport,
  TIME_GET: (d) => d.clock.reading(),
  TIME_SET: (d, args) => {
    const offset = d.clock.offsetFor(args.now, {
      maxAdjustMs: d.config.maxTimeAdjustMs,
      activated: d.memory.activated,
    });
    d.memory.setClockOffset(offset);
    return d.clock.reading();
  },
  SELF_TEST: (d) => selfTest(d),
};

/** One emulated DEF. */
export class FiscalDevice {
  readonly memory: FiscalMemory;
  readonly pending: PendingPrepares;
  readonly clock: DeviceClock;
  /** Records the journal may hold right now; the fill-journal fault lowers it at run time. */
  journalCapacity: number;
  private activationCache: StoredActivation | null = null;

  /** Assigns only; `start()` opens the fiscal memory. */
  constructor(
    stateDir: string,
    readonly config: DeviceConfig,
  ) {
    this.memory = new FiscalMemory(stateDir);
    this.pending = new PendingPrepares((count) => this.memory.addIncomplete(count));
    this.journalCapacity = config.journalCapacity;
    this.clock = new DeviceClock({
      systemNow: config.systemNow,
      offsetMs: () => this.memory.clockOffsetMs,
      lastIssuedAt: () => this.memory.lastIssuedAt,
    });
  }

  /** Opens (and on first use manufactures) the fiscal memory. Pending PREPAREs start empty. */
  start(): void {
    this.memory.open({
      cloudRootKey: this.config.cloudRootKey,
      defaultCloudRootKey: DEV_CLOUD_ROOT_PUBLIC_KEY,
      now: this.config.systemNow(),
    });
    this.activationCache = this.memory.activation;
  }

  /** Forgets pending PREPAREs and closes the fiscal memory. */
  stop(): void {
    this.pending.clear();
    this.memory.close();
  }

  /** The serial number given at manufacture. */
  get deviceId(): string {
    return this.memory.identity.deviceId;
  }

  /** The device's Ed25519 public key. */
  get publicKey(): Uint8Array {
    return this.memory.identity.publicKey;
  }

  /** The activation, or null while UNACTIVATED. */
  get activation(): StoredActivation | null {
    return this.activationCache;
  }

  /** Called by ACTIVATE once the activation is persisted. */
  activationSaved(): void {
    this.activationCache = this.memory.activation;
  }

  /** Why the device is locked, or null: a stored lock first, then a full journal. */
  get lockReason(): string | null {
    const stored = this.memory.lockReason;
    if (stored !== null) return stored;
    if (this.activationCache !== null && this.memory.lastFiscalNumber >= this.journalCapacity) {
      return LOCK_JOURNAL_FULL;
    }
    return null;
  }

  /** The lifecycle state. */
  get state(): DeviceState {
    if (this.lockReason !== null) return "LOCKED";
    return this.activationCache === null ? "UNACTIVATED" : "ACTIVE";
  }

  /** Throws unless the device is activated (DEVICE_NOT_ACTIVATED). */
  assertActivated(): StoredActivation {
    if (this.activationCache === null) throw new FiscalError("DEVICE_NOT_ACTIVATED");
    return this.activationCache;
  }

  /** Throws unless the device may seal: activated, not locked, journal not full. */
  assertFiscalReady(): StoredActivation {
    const activation = this.assertActivated();
    const reason = this.lockReason;
    if (reason === LOCK_JOURNAL_FULL) {
      throw new FiscalError("JOURNAL_FULL", `all ${this.journalCapacity} journal records are used`);
    }
    if (reason !== null) throw new FiscalError("DEVICE_LOCKED", `the device is locked: ${reason}`);
    return activation;
  }

  /** Executes one decoded request. Throws a FiscalError the link turns into an error reply. */
  execute<C extends Command>(cmd: C, args: ArgsOf<C>): ResultOf<C> {
    const handler = HANDLERS[cmd] as Handler<C>;
    return handler(this, args);
  }
}
