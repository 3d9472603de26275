/**
 * The cloud emulator's injectable failures, switchable at start (`--fault`) and at run time
 * (`POST /control/faults`). Counters (`*_next`) are consumed one request at a time, so a test can say
 * "the next two uploads fail" and know exactly which requests fail.
 */

/** Every switchable failure. */
export interface CloudFaults {
  /** Answer the next N contract requests with HTTP 500. */
  fail_next: number;
  /** Probability (0..1) of answering any contract request with HTTP 500. */
  fail_rate: number;
  /** Delay every contract answer by this many ms (a slow cloud). */
  delay_ms: number;
  /** The next N requests never get an answer: the connection is held `hang_ms`, then dropped. */
  hang_next: number;
  /** How long a hung request is held before its connection is dropped, in ms. */
  hang_ms: number;
  /** Drop the connection of the next N requests before handling them (nothing is stored). */
  drop_next: number;
  /** Store the next N uploads, then drop the connection instead of answering (lost acks). */
  lose_ack_next: number;
  /** Fiscal numbers whose upload items are rejected with reason "rejected by fault injection". */
  reject_fiscal_numbers: number[];
  /** The cloud is down: every contract request's connection is dropped. */
  down: boolean;
}

/** No faults. */
export function noCloudFaults(): CloudFaults {
  return {
    fail_next: 0,
    fail_rate: 0,
    delay_ms: 0,
    hang_next: 0,
    hang_ms: 30_000,
    drop_next: 0,
    lose_ack_next: 0,
    reject_fiscal_numbers: [],
    down: false,
  };
}

/** A partial update of the faults. */
export type CloudFaultPatch = Partial<CloudFaults>;

const NUMERIC: readonly (keyof CloudFaults)[] = [
  "fail_next",
  "fail_rate",
  "delay_ms",
  "hang_next",
  "hang_ms",
  "drop_next",
  "lose_ack_next",
];

/** Checks a patch from JSON or a flag; throws Error naming the bad key. */
export function checkCloudFaultPatch(value: unknown): CloudFaultPatch {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new Error("a fault patch is a JSON object");
  }
  const patch: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if ((NUMERIC as readonly string[]).includes(key)) {
      const max = key === "fail_rate" ? 1 : 1e9;
      if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || v > max) {
        throw new Error(`fault ${key} must be a number from 0 to ${max}`);
      }
    } else if (key === "reject_fiscal_numbers") {
      if (!Array.isArray(v) || !v.every((n) => Number.isSafeInteger(n) && n > 0)) {
        throw new Error("fault reject_fiscal_numbers must be an array of positive integers");
      }
    } else if (key === "down") {
      if (typeof v !== "boolean") throw new Error("fault down must be true or false");
    } else {
      throw new Error(`unknown fault ${key}`);
    }
    patch[key] = v;
  }
  return patch as CloudFaultPatch;
}

/** Parses `name=value` (the CLI's `--fault`), e.g. `fail_next=3`, `reject_fiscal_numbers=4,7`, `down=true`. */
export function parseCloudFault(text: string): CloudFaultPatch {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new Error(`fault "${text}" must be NAME=VALUE`);
  const name = text.slice(0, eq);
  const raw = text.slice(eq + 1);
  let value: unknown;
  if (name === "reject_fiscal_numbers") value = raw === "" ? [] : raw.split(",").map(Number);
  else if (name === "down") value = raw === "true" ? true : raw === "false" ? false : raw;
  else value = Number(raw);
  return checkCloudFaultPatch({ [name]: value });
}
