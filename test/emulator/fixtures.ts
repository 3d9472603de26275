/**
 * Test data for the emulator suites: activation bundles signed with the development cloud root key,
 * and canonical invoices version 2 built with the shared protocol code (never hand-written hashes)
 * under one fixed SFE context: the ISF, the seller the test activation names, the operator.
 */

import { DEV_CLOUD_ROOT_SEED } from "../../emulator/dev-keys.js";
import {
  type ActivationBundle,
  type CanonicalInvoiceV2,
  canonicaliseInvoiceV2,
  type InvoiceContextV2,
  type PosInvoiceV2,
  type SignedBlob,
  signActivationBundle,
} from "../../protocol/index.js";

/** The identity test bundles bind a device to. */
export const TEST_IDENTITY = {
  merchant_nif: "A1234567B",
  outlet_id: "OUTLET-1",
  fiscal_authority_id: "DGI-KIN-01",
} as const;

/** The seller every test invoice names: the NIF of the test activation. */
export const TEST_SELLER = {
  nif: TEST_IDENTITY.merchant_nif,
  name: "Alimentation Kasa-Vubu SARL",
  address: "12 avenue du Commerce, Gombe, Kinshasa",
} as const;

/** The fixed SFE context of every test invoice. */
export const TEST_CONTEXT: InvoiceContextV2 = {
  cashierId: "CASHIER-7",
  operatorName: "Mireille Kabila",
  isf: "ISF-TEST-01",
  seller: TEST_SELLER,
};

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

/** The one product of the simple sales and credit notes. */
export const RICE = { code: "RIZ-25", name: "Sac de riz 25 kg", kind: "BIE", tax_group: "B" } as const;

/**
 * A one-line sale of `quantity` × `unitPrice` centimes of RICE (tax group B, TTC), paid in cash.
 * With the default quantity 1 the total is `unitPrice`.
 */
export function sale(
  clientRef: string,
  unitPrice = 11_600,
  type: "SALE" | "ADVANCE" = "SALE",
  quantity: number | string = 1,
): CanonicalInvoiceV2 {
  return build({
    type,
    client_ref: clientRef,
    items: [{ ...RICE, quantity, unit_price: unitPrice }],
    payments: [{ method: "CASH", amount: lineAmount(quantity, unitPrice) }],
  });
}

/**
 * A sale using every slot a domestic sale may use (goods in A–D, F–K, M; taxes in L and N), each
 * line 10,000,000.00 CDF: its record is about 1.2 KB and its invoice about 1 KB.
 */
export function wideSale(clientRef: string): CanonicalInvoiceV2 {
  const goods = ["A", "B", "C", "D", "F", "G", "H", "I", "J", "K", "M"] as const;
  const taxes = ["L", "N"] as const;
  const line = (tax_group: string, kind: string) => ({
    name: `x${tax_group}`,
    kind,
    quantity: 1,
    unit_price: 1_000_000_000,
    tax_group,
  });
  return build({
    type: "SALE",
    client_ref: clientRef,
    items: [...goods.map((g) => line(g, "BIE")), ...taxes.map((g) => line(g, "TAX"))],
    payments: [{ method: "CASH", amount: (goods.length + taxes.length) * 1_000_000_000 }],
  });
}

/** An export invoice (tax group E), or an export advance. */
export function exportSale(
  clientRef: string,
  amount = 50_000,
  type: "EXPORT" | "EXPORT_ADVANCE" = "EXPORT",
): CanonicalInvoiceV2 {
  return build({
    type,
    client_ref: clientRef,
    items: [{ name: "Cobalt sample", kind: "BIE", quantity: 1, unit_price: amount, tax_group: "E" }],
    payments: [{ method: "BANK_TRANSFER", amount }],
    export: { destination_country: "ZA" },
  });
}

/** A credited line: RICE's code, name, kind and group unless given, quantity 1 unless given. */
export interface CreditItem {
  readonly code?: string;
  readonly name?: string;
  readonly kind?: string;
  readonly tax_group?: string;
  readonly quantity?: number | string;
  readonly unit_price: number;
}

/** Options of a credit note. */
export interface CreditOptions {
  /** COR, RAN, RAM (the default) or RRR (then `fiscalNumber` is ignored: RRR references nothing). */
  readonly nature?: "COR" | "RAN" | "RAM" | "RRR";
  readonly deviceId?: string;
  /** The lines; one RICE line at `unitPrice` by default. */
  readonly items?: readonly CreditItem[];
}

/** A credit note against `fiscalNumber`: one RICE line at `unitPrice` unless `options.items`. */
export function credit(
  clientRef: string,
  fiscalNumber: number,
  unitPrice: number,
  options: CreditOptions = {},
): CanonicalInvoiceV2 {
  const nature = options.nature ?? "RAM";
  const items = (options.items ?? [{ unit_price: unitPrice }]).map((i) => ({ ...RICE, quantity: 1, ...i }));
  const total = items.reduce((sum, i) => sum + lineAmount(i.quantity, i.unit_price), 0);
  return build({
    type: "CREDIT",
    client_ref: clientRef,
    items,
    payments: [{ method: "CASH", amount: total }],
    reference:
      nature === "RRR"
        ? { nature, reason: "remise de fin d'année" }
        : {
            nature,
            fiscal_number: fiscalNumber,
            reason: "customer returned goods",
            ...(options.deviceId === undefined ? {} : { device_id: options.deviceId }),
          },
  });
}

/**
 * A line's amount as PROTOCOL.md §7.3 defines it, computed here independently of the protocol code:
 * round_half_up(quantity_milli × unit_price / 1000), with the quantity in thousandths.
 */
export function lineAmount(quantity: number | string, unitPrice: number): number {
  const [units = "0", decimals = ""] = String(quantity).split(".");
  const milli = BigInt(units) * 1000n + BigInt(`${decimals}000`.slice(0, 3));
  const n = milli * BigInt(unitPrice);
  return Number((2n * n + 1000n) / 2000n);
}

/** Canonicalises a POS invoice (JSON round trip, as over HTTP) under TEST_CONTEXT. */
export function build(
  pos: Record<string, unknown>,
  context: InvoiceContextV2 = TEST_CONTEXT,
): CanonicalInvoiceV2 {
  const json = JSON.parse(JSON.stringify(pos)) as PosInvoiceV2;
  return canonicaliseInvoiceV2(json, context);
}
