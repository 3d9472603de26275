/**
 * Fault injection: the ways a real DEF and its cable fail, switchable at start and at run time
 * (docs/EMULATOR.md §Faults). Settings are bounded and validated; every random decision draws from
 * one seeded PRNG, so a failing run is reproduced with the same seed.
 */
import Type, { type Static } from "typebox";
import { Compile } from "typebox/compile";
import { SeededRandom } from "./prng.js";

/** Longest reply delay, in ms. */
export const MAX_FAULT_DELAY_MS = 60_000;
/** Largest "next N" count. */
export const MAX_FAULT_COUNT = 1_000_000;
/** Largest clock skew either way, in ms (ten years). */
export const MAX_CLOCK_SKEW_MS = 10 * 366 * 24 * 3_600_000;
/** Largest journal capacity override. */
export const MAX_CAPACITY_OVERRIDE = 100_000_000;

const Rate = Type.Number({ minimum: 0, maximum: 1, description: "probability, 0 to 1" });
const Count = Type.Integer({ minimum: 0, maximum: MAX_FAULT_COUNT });

/** Every fault setting; all zero / null means a healthy device. */
export const FaultSettingsSchema = Type.Object(
  {
    /** Probability that any reply frame is lost. */
    drop_rate: Rate,
    /** Lose the next N reply frames. */
    drop_next: Count,
    /** Probability that a COMMIT's reply is lost after the record was sealed (the lost-response case). */
    drop_commit_rate: Rate,
    /** Lose the replies of the next N COMMITs that sealed a record. */
    drop_commit_next: Count,
    /** Hold every reply this long, in ms; the device stays busy meanwhile. */
    delay_ms: Type.Integer({ minimum: 0, maximum: MAX_FAULT_DELAY_MS }),
    /** Per-byte probability of flipping one bit in what the device sends. */
    corrupt_tx_rate: Rate,
    /** Per-byte probability of flipping one bit in what the device receives. */
    corrupt_rx_rate: Rate,
    /** Probability of unplugging the link after a COMMIT sealed its record, before replying. */
    disconnect_commit_rate: Rate,
    /** Unplug after the next N sealing COMMITs, before replying. */
    disconnect_commit_next: Count,
    /** Probability of answering BUSY instead of executing a request. */
    busy_rate: Rate,
    /** Answer BUSY to the next N requests. */
    busy_next: Count,
    /** Drift added to device time, in ms (not persisted). */
    clock_skew_ms: Type.Integer({ minimum: -MAX_CLOCK_SKEW_MS, maximum: MAX_CLOCK_SKEW_MS }),
    /** Journal capacity in force instead of the configured one; null for the configured one. */
    journal_capacity: Type.Union([Type.Integer({ minimum: 0, maximum: MAX_CAPACITY_OVERRIDE }), Type.Null()]),
  },
  { additionalProperties: false },
);
/** Every fault setting. */
export type FaultSettings = Static<typeof FaultSettingsSchema>;

/** A change to the settings; `fill_journal: true` sets journal_capacity to the records used. */
export const FaultPatchSchema = Type.Object(
  {
    ...Type.Partial(FaultSettingsSchema).properties,
    fill_journal: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
/** A change to the settings. */
export type FaultPatch = Static<typeof FaultPatchSchema>;

const patchChecker = Compile(FaultPatchSchema);

/** The healthy device: no fault at all. */
export const NO_FAULTS: Readonly<FaultSettings> = Object.freeze({
  drop_rate: 0,
  drop_next: 0,
  drop_commit_rate: 0,
  drop_commit_next: 0,
  delay_ms: 0,
  corrupt_tx_rate: 0,
  corrupt_rx_rate: 0,
  disconnect_commit_rate: 0,
  disconnect_commit_next: 0,
  busy_rate: 0,
  busy_next: 0,
  clock_skew_ms: 0,
  journal_capacity: null,
});

/** Thrown for a patch outside the schema; the message lists every problem. */
export class FaultInputError extends Error {
  override readonly name = "FaultInputError";
}

/** Checks an untrusted patch (from the control channel or flags). */
export function parseFaultPatch(value: unknown): FaultPatch {
  if (patchChecker.Check(value)) return value;
  const problems = [...patchChecker.Errors(value)].map((e) => `${e.instancePath || "/"} ${e.message}`);
  throw new FaultInputError(`invalid fault settings: ${problems.join("; ")}`);
}

/** Takes one from a "next N" counter, else rolls the rate. */
function consume(
  settings: FaultSettings,
  next: keyof FaultSettings,
  rate: number,
  random: SeededRandom,
): boolean {
  const left = settings[next] as number;
  if (left > 0) {
    (settings[next] as number) = left - 1;
    return true;
  }
  return random.chance(rate);
}

/** The fault settings in force and the seeded decisions drawn from them. */
export class FaultPlan {
  private settings: FaultSettings;
  private readonly random: SeededRandom;
  private readonly listeners: ((settings: FaultSettings) => void)[] = [];

  /** `journalUsed` tells `fill_journal` how many records the journal holds. */
  constructor(
    readonly seed: number,
    private readonly journalUsed: () => number,
  ) {
    this.random = new SeededRandom(seed);
    this.settings = { ...NO_FAULTS };
  }

  /** A copy of the settings in force. */
  current(): FaultSettings {
    return { ...this.settings };
  }

  /** Calls `listener` after every change (the device applies clock skew and capacity this way). */
  onChange(listener: (settings: FaultSettings) => void): void {
    this.listeners.push(listener);
  }

  /** Validates and applies a patch; returns the settings now in force. */
  update(patch: unknown): FaultSettings {
    const { fill_journal, ...rest } = parseFaultPatch(patch);
    this.settings = { ...this.settings, ...rest };
    if (fill_journal === true) this.settings.journal_capacity = this.journalUsed();
    for (const listener of this.listeners) listener(this.current());
    return this.current();
  }

  /** Back to a healthy device. */
  reset(): FaultSettings {
    return this.update({ ...NO_FAULTS });
  }

  /** Whether to lose this reply. */
  dropReply(): boolean {
    return consume(this.settings, "drop_next", this.settings.drop_rate, this.random);
  }

  /** Whether to lose the reply of a COMMIT that sealed its record. */
  dropCommitReply(): boolean {
    return consume(this.settings, "drop_commit_next", this.settings.drop_commit_rate, this.random);
  }

  /** Whether to unplug after a COMMIT sealed its record, before replying. */
  disconnectAfterCommit(): boolean {
    return consume(
      this.settings,
      "disconnect_commit_next",
      this.settings.disconnect_commit_rate,
      this.random,
    );
  }

  /** Whether to answer BUSY instead of executing. */
  answerBusy(): boolean {
    return consume(this.settings, "busy_next", this.settings.busy_rate, this.random);
  }

  /** The reply delay, in ms. */
  get delayMs(): number {
    return this.settings.delay_ms;
  }

  /** Flips one random bit in bytes picked at the tx or rx rate; returns the input when untouched. */
  corrupt(data: Uint8Array, direction: "tx" | "rx"): Uint8Array {
    const rate = direction === "tx" ? this.settings.corrupt_tx_rate : this.settings.corrupt_rx_rate;
    if (rate <= 0) return data;
    let out: Uint8Array | null = null;
    for (let i = 0; i < data.length; i++) {
      if (!this.random.chance(rate)) continue;
      out ??= data.slice();
      out[i] = out[i]! ^ (1 << this.random.below(8));
    }
    return out ?? data;
  }
}
