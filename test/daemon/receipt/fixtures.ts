/**
 * Receipt fixtures: one invoice of each DGI type, both price modes, a USD payment and a PM client,
 * made canonical by the real canonicaliser, with fixed security elements so their renderings are
 * byte-stable golden files. The QR payloads here are shaped like real ones but not signed: the
 * QR-scan test seals real invoices instead.
 */
import type { FiscalResponse } from "../../../daemon/fiscal/types.js";
import type { ReceiptCopy, ReceiptInput } from "../../../daemon/receipt/view.js";
import { type CanonicalInvoiceV2, canonicaliseInvoiceV2 } from "../../../protocol/index.js";

const SELLER = {
  nif: "A1234567B",
  name: "Quincaillerie du Fleuve",
  address: "12, avenue du Commerce, Gombe, Kinshasa",
  head_office: "3, boulevard du 30 Juin, Kinshasa",
  phone: "+243 81 000 0000",
  email: "contact@fleuve.example",
};
const CONTEXT = {
  cashierId: "CAISSE-2",
  isf: "ISF-0042",
  seller: SELLER,
  fx: { reference: { USD: 28_500_000 }, toleranceBp: 100 },
};
/** 2026-12-01 13:05:33 UTC: 14:05:33 in Kinshasa. */
const SEALED_AT = "2026-12-01T13:05:33.000Z";

const riz = {
  code: "RIZ-25",
  name: "Sac de riz 25 kg",
  kind: "BIE",
  quantity: 2,
  unit_price: 2_850_000,
  tax_group: "B",
};
const pose = { name: "Pose et réglage", kind: "SER", quantity: "1.5", unit_price: 1_000_000, tax_group: "C" };
const pain = { code: "PAIN-1", name: "Pain", kind: "BIE", quantity: 3, unit_price: 120_000, tax_group: "A" };

/** The POS bodies, by fixture name. */
const BODIES: Readonly<Record<string, Record<string, unknown>>> = {
  "sale-ttc-pm-usd": {
    type: "SALE",
    rn: "T2-000123",
    operator: { name: "Mireille Kabeya" },
    client: { type: "PM", name: "Kin Import SARL", nif: "A7654321C", address: "5, av. Lukusa, Kinshasa" },
    items: [
      { ...riz, original_price: 3_000_000, price_change: "Remise fidélité 5 %" },
      pain,
      {
        name: "Ciment gris 50 kg",
        kind: "BIE",
        quantity: 1,
        unit_price: 1_500_000,
        tax_group: "B",
        specific_tax: { amount: 50_000 },
      },
    ],
    payments: [
      {
        method: "CASH",
        amount: 2_850_000,
        foreign: { currency: "USD", amount: 1_000, rate: "2850", rate_date: "2026-12-01" },
      },
      { method: "MOBILE_MONEY", amount: 4_710_000 },
    ],
    comments: { B: "Livraison le 3 décembre" },
  },
  "advance-ht": {
    type: "ADVANCE",
    rn: "T2-000124",
    price_mode: "HT",
    operator: { name: "Jean Mbuyi" },
    items: [pose, { ...riz, quantity: 1 }],
    payments: [{ method: "BANK_TRANSFER", amount: 4_926_000 }],
  },
  "credit-cor": {
    type: "CREDIT",
    rn: "T2-000125",
    operator: { name: "Mireille Kabeya" },
    client: { type: "PC", name: "Ets Kabila & Fils", nif: "A1111111Z" },
    reference: { nature: "COR", fiscal_number: 41, reason: "Erreur de quantité" },
    items: [{ ...riz, quantity: 1 }],
    payments: [{ method: "CASH", amount: 2_850_000 }],
  },
  "export-ao": {
    type: "EXPORT",
    rn: "T2-000126",
    operator: { name: "Jean Mbuyi" },
    client: { type: "AO", name: "Ambassade de Belgique", exemption_ref: "EXO-2026-0815" },
    export: { destination_country: "BE", customs_ref: "DOU-77812" },
    items: [
      {
        code: "CAFE-1",
        name: "Café du Kivu 1 kg",
        kind: "BIE",
        quantity: 10,
        unit_price: 3_500_000,
        tax_group: "E",
      },
    ],
    payments: [{ method: "BANK_TRANSFER", amount: 35_000_000 }],
  },
  "export-advance": {
    type: "EXPORT_ADVANCE",
    rn: "T2-000127",
    operator: { name: "Jean Mbuyi" },
    export: { destination_country: "ZM" },
    items: [
      { name: "Acompte cuivre cathodes", kind: "BIE", quantity: 1, unit_price: 120_000_000, tax_group: "E" },
    ],
    payments: [{ method: "BANK_TRANSFER", amount: 120_000_000 }],
  },
  "export-credit-rrr": {
    type: "EXPORT_CREDIT",
    rn: "T2-000128",
    operator: { name: "Jean Mbuyi" },
    export: { destination_country: "BE" },
    reference: { nature: "RRR", reason: "Ristourne annuelle 2026" },
    items: [{ name: "Ristourne", kind: "SER", quantity: 1, unit_price: 1_000_000, tax_group: "E" }],
    payments: [{ method: "CREDIT", amount: 1_000_000 }],
  },
};

/** The fixture names, in a stable order. */
export const FIXTURE_NAMES = Object.keys(BODIES);

/** The canonical invoice of a fixture. */
export function fixtureInvoice(name: string): CanonicalInvoiceV2 {
  const body = BODIES[name];
  if (body === undefined) throw new Error(`no receipt fixture ${name}`);
  return canonicaliseInvoiceV2(body, { ...CONTEXT, defaultClientRef: `ref-${name}` });
}

function fiscalOf(invoice: CanonicalInvoiceV2, index: number): FiscalResponse {
  const fiscalNumber = 1200 + index;
  const code = `K7Q2M9X4C1V8B3N6P5R0T2W${index}`;
  const stamp = "20261201130533";
  return {
    fiscal_number: fiscalNumber,
    type_number: 300 + index,
    device_id: "DEF-51180116",
    auth_code: code,
    timestamp: SEALED_AT,
    qr: `RDCDEF01;DEF-51180116;${code};${SELLER.nif};${stamp};${fiscalNumber};${invoice.dgi_type};${invoice.totals.total};${invoice.totals.tax_total};${"S".repeat(86)}`,
    v: 2,
    invoice_type: invoice.type,
    dgi_type: invoice.dgi_type,
    fiscal_year: 2026,
    year_number: 980 + index,
    isf: invoice.isf,
    rn: invoice.rn,
    totals: invoice.totals,
    merchant_nif: SELLER.nif,
    outlet_id: "OUTLET-1",
    fiscal_authority_id: "DGI-RDC",
    cashier_id: CONTEXT.cashierId,
    client_ref: invoice.client_ref,
    signature: "",
    record: "",
    record_hash: "",
  };
}

/** What the receipt renderer is given for a fixture. */
export function fixtureInput(
  name: string,
  copy: ReceiptCopy = { kind: "original" },
  lang: "fr" | "en" = "fr",
): ReceiptInput {
  const invoice = fixtureInvoice(name);
  return {
    invoice,
    fiscal: fiscalOf(invoice, FIXTURE_NAMES.indexOf(name)),
    copy,
    lang,
    timeZone: "Africa/Kinshasa",
    ...(invoice.reference?.fiscal_number === undefined ? {} : { originalCode: "ORIG7Q2M9X4C1V8B3N6P5R0T" }),
  };
}
