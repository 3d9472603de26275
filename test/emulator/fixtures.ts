/**
 * Test data for the emulator suites: activation bundles signed with the development cloud root key,
 * and canonical invoices built with the shared protocol code (never hand-written hashes).
 */

import { DEV_CLOUD_ROOT_SEED } from "../../emulator/dev-keys.js";
import {
  type ActivationBundle,
  type CanonicalInvoice,
  canonicaliseInvoice,
  type PosInvoice,
  type SignedBlob,
  signActivationBundle,
} from "../../protocol/index.js";

/** The identity test bundles bind a device to. */
export const TEST_IDENTITY = {
  merchant_nif: "A1234567B",
  outlet_id: "OUTLET-1",
  fiscal_authority_id: "DGI-KIN-01",
} as const;

/** A bundle for `deviceId`, signed with `seed` (the development root by default). */
export function bundleFor(
  deviceId: string,
  seed: Uint8Array = DEV_CLOUD_ROOT_SEED,
  overrides: Partial<ActivationBundle> = {},
): SignedBlob {
  return signActivationBundle(
    {
      kind: "ACTIVATION_BUNDLE",
      v: 1,
      bundle_id: "BUNDLE-1",
      device_id: deviceId,
      ...TEST_IDENTITY,
      issued_at: Date.UTC(2026, 0, 1),
      ...overrides,
    },
    seed,
  );
}

/** A one-line sale of `amount` minor units in tax group B, paid in cash. */
export function sale(
  clientRef: string,
  amount = 11_600,
  type: "SALE" | "ADVANCE" = "SALE",
  currency = "CDF",
): CanonicalInvoice {
  return canonical({
    type,
    client_ref: clientRef,
    currency,
    items: [{ name: "Sac de riz", kind: "GOODS", quantity: 1, unit_price: amount, tax_group: "B" }],
    payments: [{ method: "CASH", amount }],
  });
}

/** A sale using all 13 domestic tax groups: its record is about 1.2 KB, so 32 do not fit one frame. */
export function wideSale(clientRef: string): CanonicalInvoice {
  const groups = ["A", "B", "C", "D", "F", "G", "H", "I", "J", "K", "L", "M", "N"] as const;
  return canonical({
    type: "SALE",
    client_ref: clientRef,
    currency: "CDF",
    items: groups.map((g) => ({
      name: "x",
      kind: "GOODS",
      quantity: 1,
      unit_price: 1_000_000_000,
      tax_group: g,
    })),
    payments: [{ method: "CASH", amount: groups.length * 1_000_000_000 }],
  });
}

/** An export invoice (tax group E). */
export function exportSale(clientRef: string, amount = 50_000): CanonicalInvoice {
  return canonical({
    type: "EXPORT",
    client_ref: clientRef,
    currency: "USD",
    items: [{ name: "Cobalt sample", kind: "GOODS", quantity: 1, unit_price: amount, tax_group: "E" }],
    payments: [{ method: "BANK_TRANSFER", amount }],
    export: { destination_country: "ZA" },
  });
}

/** A credit note against `fiscalNumber` for `amount`. */
export function credit(
  clientRef: string,
  fiscalNumber: number,
  amount: number,
  kind: "VOID" | "REFUND" = "REFUND",
  deviceId?: string,
): CanonicalInvoice {
  return canonical({
    type: "CREDIT",
    client_ref: clientRef,
    currency: "CDF",
    items: [{ name: "Sac de riz", kind: "GOODS", quantity: 1, unit_price: amount, tax_group: "B" }],
    payments: [{ method: "CASH", amount }],
    reference: { fiscal_number: fiscalNumber, kind, reason: "customer returned goods", device_id: deviceId },
  });
}

function canonical(pos: PosInvoice): CanonicalInvoice {
  return canonicaliseInvoice(JSON.parse(JSON.stringify(pos)), { cashierId: "CASHIER-7" });
}
