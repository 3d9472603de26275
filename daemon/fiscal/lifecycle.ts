/**
 * The invoice lifecycle as a pure state machine (docs/API.md §States):
 *
 *   PREPARING → PREPARED → FISCALIZED → DELIVERED → SYNCED
 *       │           │
 *       ├→ REJECTED └→ ABORTED          (PREPARING → ABORTED too)
 *
 * No skips: an invoice is FISCALIZED only through PREPARED, SYNCED only after DELIVERED (the upload
 * itself does not wait for delivery: its progress is the separate `sync.status`). ABORTED and REJECTED
 * are terminal and mean "definitely not sealed".
 */
import { FiscalError } from "../../protocol/index.js";
import type { InvoiceState } from "./types.js";

const NEXT: Readonly<Record<InvoiceState, readonly InvoiceState[]>> = {
  PREPARING: ["PREPARED", "REJECTED", "ABORTED"],
  PREPARED: ["FISCALIZED", "ABORTED"],
  FISCALIZED: ["DELIVERED"],
  DELIVERED: ["SYNCED"],
  SYNCED: [],
  ABORTED: [],
  REJECTED: [],
};

/** States in which the device holds a sealed record for the invoice. */
export const SEALED_STATES: ReadonlySet<InvoiceState> = new Set(["FISCALIZED", "DELIVERED", "SYNCED"]);

/** States in which the outcome at the device is not final yet. */
export const OPEN_STATES: ReadonlySet<InvoiceState> = new Set(["PREPARING", "PREPARED"]);

/** True when `from → to` is a legal transition. */
export function canTransition(from: InvoiceState, to: InvoiceState): boolean {
  return NEXT[from].includes(to);
}

/** Throws INVALID_STATE (322) unless `from → to` is legal. */
export function assertTransition(from: InvoiceState, to: InvoiceState): void {
  if (!canTransition(from, to)) {
    throw new FiscalError("INVALID_STATE", `an invoice cannot go from ${from} to ${to}`, { from, to });
  }
}

/** The legal path from `from` to `to` (both ends included), or undefined when there is none. */
export function pathBetween(from: InvoiceState, to: InvoiceState): InvoiceState[] | undefined {
  if (from === to) return [from];
  for (const next of NEXT[from]) {
    const rest = pathBetween(next, to);
    if (rest) return [from, ...rest];
  }
  return undefined;
}
