/**
 * The fiscal data of invoice version 2, from the DGI's SFE specification of May 2025
 * (../shared/DRC-RULES.md; docs/PROTOCOL.md §7.2 prints this table). This is data, not logic: a DGI
 * clarification is an edit here plus a new TAX_TABLE_V2.version, which every record carries.
 *
 * Each tax slot says how its tax is computed:
 * - `rate`: VAT at `rateBp` on the group's taxable amount (A exempt at 0, B 16 %, C 8 % …);
 * - `line_vat`: the line amount is wholly VAT (group N, SFE §1.5.8), so base 0 and tax = total;
 * - `outside`: outside the scope of VAT (deposits, disbursements, levies): base = total, tax 0;
 * - `reserved`: a slot the protocols carry (O, P) that the DGI has not defined: refused.
 */

/** How one tax slot's tax is computed. */
export type GroupComputation = "rate" | "line_vat" | "outside" | "reserved";

/** What an item of each type may be (SFE Annex II). */
export type ItemKind = "BIE" | "SER" | "TAX";

/** One tax slot of the version-2 table. */
export interface TaxSlot {
  readonly computation: GroupComputation;
  /** VAT rate in basis points (1600 = 16 %); 0 unless `computation` is `rate`. */
  readonly rateBp: number;
  /** The DGI's label, in French (SFE EG1.12). */
  readonly label: string;
  /** The item types this slot takes. */
  readonly kinds: readonly ItemKind[];
  /** True where the DGI's text gives the treatment; false where it is our documented inference. */
  readonly published: boolean;
  /** True for the export group E, which only export invoices use (and they use only it). */
  readonly exportOnly: boolean;
}

const GOODS_AND_SERVICES: readonly ItemKind[] = ["BIE", "SER"];
const TAXES: readonly ItemKind[] = ["TAX"];

function slot(
  computation: GroupComputation,
  rateBp: number,
  label: string,
  published: boolean,
  options: { kinds?: readonly ItemKind[]; exportOnly?: boolean } = {},
): TaxSlot {
  const kinds = computation === "reserved" ? [] : (options.kinds ?? GOODS_AND_SERVICES);
  return { computation, rateBp, label, kinds, published, exportOnly: options.exportOnly ?? false };
}

/**
 * The rounding rule of a table version (SFE §1.5.2 and §1.5.7; docs/PROTOCOL.md §7.3):
 * - `HT`: tax = round_half_up(base × r / 10000), total = base + tax;
 * - `TTC`: base = round_half_down(total × 10000 / (10000 + r)), tax = total − base, so on a tie the
 *   tax is the one rounded up and base + tax = total holds exactly.
 */
export const ROUNDING_V2 = "nearest; HT: tax half-up; TTC: base half-down so the tax takes the half" as const;

/**
 * The fiscal year (année de gestion, SFE §1.2 k) is the calendar year of the device time at this
 * UTC offset: Kinshasa's legal time, UTC+01:00, for the whole country.
 */
export const FISCAL_YEAR_UTC_OFFSET_MINUTES = 60;

/** The versioned tax table of invoice version 2: 16 slots A–P (the protocols carry 16, DRC-RULES §4). */
export const TAX_TABLE_V2 = {
  version: "RDC-2026.2",
  rounding: ROUNDING_V2,
  fiscalYearUtcOffsetMinutes: FISCAL_YEAR_UTC_OFFSET_MINUTES,
  groups: {
    A: slot("rate", 0, "Exonéré", true),
    B: slot("rate", 1600, "Taxable 16 %", true),
    C: slot("rate", 800, "Taxable 8 %", true),
    D: slot("rate", 0, "Régimes dérogatoires TVA", false),
    E: slot("rate", 0, "Exportation et opérations assimilées", false, { exportOnly: true }),
    F: slot("rate", 1600, "TVA marchés publics à financement extérieur 16 %", true),
    G: slot("rate", 800, "TVA marchés publics à financement extérieur 8 %", true),
    H: slot("outside", 0, "Consignation/déconsignation d'emballage", false),
    I: slot("outside", 0, "Garantie et caution", false),
    J: slot("outside", 0, "Débours", false),
    K: slot("rate", 0, "Opérations réalisées par les non assujettis", false),
    L: slot("outside", 0, "Prélèvements sur ventes", false, { kinds: TAXES }),
    M: slot("rate", 0, "Ventes réglementées avec TVA spécifique", false),
    N: slot("line_vat", 0, "TVA spécifique", true, { kinds: TAXES }),
    O: slot("reserved", 0, "Réservé", false),
    P: slot("reserved", 0, "Réservé", false),
  },
} as const;

/** A tax slot letter, A to P. */
export type TaxSlotId = keyof typeof TAX_TABLE_V2.groups;

/** The 16 slot letters in order. */
export const TAX_SLOT_IDS = Object.keys(TAX_TABLE_V2.groups) as TaxSlotId[];

/** Every tax table version a record may name, oldest first. */
export const TAX_TABLE_VERSIONS = ["RDC-2026.1", "RDC-2026.2"] as const;

/** The invoice types of version 2: ours, each with its DGI code (SFE EG1.7). */
export const INVOICE_TYPES_V2 = [
  "SALE",
  "ADVANCE",
  "CREDIT",
  "EXPORT",
  "EXPORT_ADVANCE",
  "EXPORT_CREDIT",
] as const;
export type InvoiceTypeV2 = (typeof INVOICE_TYPES_V2)[number];

/** The DGI code of each type, and what a receipt prints for it (SFE §1.2 f–i). */
export const DGI_TYPES: Readonly<Record<InvoiceTypeV2, { code: string; label: string }>> = {
  SALE: { code: "FV", label: "FACTURE" },
  ADVANCE: { code: "FT", label: "FACTURE D'ACOMPTE" },
  CREDIT: { code: "FA", label: "FACTURE D'AVOIR" },
  EXPORT: { code: "EV", label: "FACTURE EXPORTATION" },
  EXPORT_ADVANCE: { code: "ET", label: "FACTURE D'ACOMPTE EXPORTATION" },
  EXPORT_CREDIT: { code: "EA", label: "FACTURE D'AVOIR EXPORTATION" },
};

/** Version-2 credit-note types, and what each may reference. */
export const CREDITABLE_TYPES_V2: Readonly<Partial<Record<InvoiceTypeV2, readonly InvoiceTypeV2[]>>> = {
  CREDIT: ["SALE", "ADVANCE"],
  EXPORT_CREDIT: ["EXPORT", "EXPORT_ADVANCE"],
};

/** Version-2 types taxed in the export group E only. */
export const EXPORT_TYPES_V2: ReadonlySet<InvoiceTypeV2> = new Set([
  "EXPORT",
  "EXPORT_ADVANCE",
  "EXPORT_CREDIT",
]);

/** The DGI client types (SFE Annex I), with their printed label and required fields. */
export const CLIENT_TYPES = ["PP", "PM", "PC", "PL", "AO"] as const;
export type ClientType = (typeof CLIENT_TYPES)[number];
export const CLIENT_TYPE_RULES: Readonly<
  Record<ClientType, { label: string; required: readonly ("name" | "nif" | "exemption_ref")[] }>
> = {
  PP: { label: "Personne physique", required: [] },
  PM: { label: "Personne morale", required: ["name", "nif"] },
  PC: { label: "Personne physique commerçante", required: ["name", "nif"] },
  PL: { label: "Profession libérale", required: ["name", "nif"] },
  AO: { label: "Ambassades et organisations internationales", required: ["name", "exemption_ref"] },
};

/** Item types (SFE Annex II) with their printed label. */
export const ITEM_KINDS: readonly ItemKind[] = ["BIE", "SER", "TAX"];
export const ITEM_KIND_LABELS: Readonly<Record<ItemKind, string>> = {
  BIE: "Biens",
  SER: "Services",
  TAX: "Taxes et redevances",
};

/** Credit-note natures (SFE Annex III) with their printed label; RRR references no original. */
export const CREDIT_NATURES = ["COR", "RAN", "RAM", "RRR"] as const;
export type CreditNature = (typeof CREDIT_NATURES)[number];
export const CREDIT_NATURE_LABELS: Readonly<Record<CreditNature, string>> = {
  COR: "Correction",
  RAN: "Annulation",
  RAM: "Avoir suite reprise",
  RRR: "Remise, ristourne, rabais",
};

/** Price modes (SFE §1.5.3–1.5.4). */
export const PRICE_MODES = ["TTC", "HT"] as const;
export type PriceMode = (typeof PRICE_MODES)[number];

/** Payment methods of version 2 and the e-MCF names the DGI's protocols use (DRC-RULES §3.6). */
export const PAYMENT_METHODS_V2 = [
  "CASH",
  "BANK_TRANSFER",
  "CARD",
  "MOBILE_MONEY",
  "CHEQUE",
  "CREDIT",
  "OTHER",
] as const;
export type PaymentMethodV2 = (typeof PAYMENT_METHODS_V2)[number];
export const PAYMENT_METHOD_LABELS: Readonly<Record<PaymentMethodV2, { dgi: string; label: string }>> = {
  CASH: { dgi: "ESPECES", label: "Espèces" },
  BANK_TRANSFER: { dgi: "VIREMENT", label: "Virement" },
  CARD: { dgi: "CARTEBANCAIRE", label: "Carte bancaire" },
  MOBILE_MONEY: { dgi: "MOBILEMONEY", label: "Mobile money" },
  CHEQUE: { dgi: "CHEQUES", label: "Chèque" },
  CREDIT: { dgi: "CREDIT", label: "Crédit" },
  OTHER: { dgi: "AUTRE", label: "Autre" },
};

/** Foreign currencies a payment may be made in (SFE EG1.30 names USD); CDF is the base. */
export const FX_CURRENCIES = ["USD"] as const;

/** The comment lines (SFE EG1.24, Annex IV) and their printed labels; B–H are reserved by the DGI. */
export const COMMENT_LINES = ["A", "B", "C", "D", "E", "F", "G", "H"] as const;
export type CommentLine = (typeof COMMENT_LINES)[number];
export const COMMENT_LINE_LABELS: Readonly<Record<CommentLine, string>> = {
  A: "Réf. Exo. :",
  B: "Commentaire B :",
  C: "Commentaire C :",
  D: "Commentaire D :",
  E: "Commentaire E :",
  F: "Commentaire F :",
  G: "Commentaire G :",
  H: "Commentaire H :",
};
