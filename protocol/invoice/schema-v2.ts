/**
 * Schemas of the canonical invoice version 2, the one the DGI's SFE specification (May 2025) asks
 * for (docs/PROTOCOL.md §7, ../shared/DRC-RULES.md §3–5): what the POS sends (`PosInvoiceV2Schema`,
 * JSON) and what the device seals (`CanonicalInvoiceV2Schema`, CBOR). Version 1 (schema.ts) stays
 * for reading and verifying what was sealed before.
 */
import Type, { type Static } from "typebox";
import { ID_PATTERN, MAX_ITEMS, MAX_PAYMENTS, MAX_QUANTITY_MILLI, REF_PATTERN } from "./schema.js";
import {
  CLIENT_TYPES,
  COMMENT_LINES,
  CREDIT_NATURES,
  FX_CURRENCIES,
  INVOICE_TYPES_V2,
  ITEM_KINDS,
  PAYMENT_METHODS_V2,
  PRICE_MODES,
  TAX_SLOT_IDS,
} from "./tables-v2.js";

/** Largest amount, in minor units (10^15). */
const MAX = 1_000_000_000_000_000;
const Amount = Type.Integer({ minimum: 0, maximum: MAX, description: "minor units (CDF: centimes)" });
const PositiveAmount = Type.Integer({ minimum: 1, maximum: MAX, description: "minor units, at least 1" });
const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });
const Ref = Type.String({ pattern: REF_PATTERN });
const Nif = Type.String({ pattern: ID_PATTERN });
const Closed = { additionalProperties: false } as const;

const InvoiceTypeSchema = Type.Enum([...INVOICE_TYPES_V2]);
const TaxSlotSchema = Type.Enum([...TAX_SLOT_IDS]);
const ItemKindSchema = Type.Enum([...ITEM_KINDS]);
const PriceModeSchema = Type.Enum([...PRICE_MODES]);
const PaymentMethodSchema = Type.Enum([...PAYMENT_METHODS_V2]);
const FxCurrencySchema = Type.Enum([...FX_CURRENCIES]);

/** A decimal exchange rate, CDF per unit of the foreign currency, at most 4 decimals ("2850.5"). */
export const RATE_PATTERN = "^[1-9][0-9]{0,8}(\\.[0-9]{1,4})?$";
/** A calendar date, ISO 8601 (`2026-12-01`). */
export const DATE_PATTERN = "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$";

/**
 * The client (SFE Annex I). `type` is the DGI code; the fields each type requires are checked by
 * the business rules (CLIENT_FIELDS_MISSING), not the schema, so the error names the type.
 */
export const ClientV2Schema = Type.Object(
  {
    type: Type.Enum([...CLIENT_TYPES]),
    name: Type.Optional(Text(128)),
    nif: Type.Optional(Nif),
    address: Type.Optional(Text(256)),
    contact: Type.Optional(Text(128)),
    /** AO only: the exemption certificate reference, printed as comment line A (SFE Annex IV). */
    exemption_ref: Type.Optional(Text(64)),
  },
  Closed,
);

/**
 * The specific tax of one item (SFE EG1.13): exactly one of a line amount, an amount per unit of
 * quantity, or a percentage in basis points. It enters the VAT base (§1.5.10).
 */
export const SpecificTaxSchema = Type.Union([
  Type.Object({ amount: PositiveAmount }, Closed),
  Type.Object({ per_unit: PositiveAmount }, Closed),
  Type.Object({ rate_bp: Type.Integer({ minimum: 1, maximum: 10_000 }) }, Closed),
]);
export type SpecificTax = Static<typeof SpecificTaxSchema>;

/** A credit note's reference (SFE Annex III): the nature, and the original unless it is RRR. */
export const ReferenceV2Schema = Type.Object(
  {
    nature: Type.Enum([...CREDIT_NATURES]),
    /** The original's fiscal number; required for COR, RAN and RAM, absent for RRR. */
    fiscal_number: Type.Optional(Type.Integer({ minimum: 1, maximum: 4_294_967_295 })),
    /** The original's device, when another DEF sealed it; this device by default. */
    device_id: Type.Optional(Nif),
    reason: Text(256),
  },
  Closed,
);

const ExportSchema = Type.Object(
  {
    destination_country: Type.String({ pattern: "^[A-Z]{2}$", description: "ISO 3166-1 alpha-2" }),
    customs_ref: Type.Optional(Ref),
  },
  Closed,
);

/** Comment lines A–H (SFE EG1.24): each a text of at most 100 characters. */
export const CommentsSchema = Type.Object(
  Object.fromEntries(COMMENT_LINES.map((line) => [line, Type.Optional(Text(100))])),
  { ...Closed, minProperties: 1 },
);

const PosForeignSchema = Type.Object(
  {
    currency: FxCurrencySchema,
    /** The amount paid in the foreign currency, in its minor units (USD: cents). */
    amount: PositiveAmount,
    rate: Type.String({ pattern: RATE_PATTERN, description: "CDF per unit, decimal, ≤ 4 decimals" }),
    rate_date: Type.String({ pattern: DATE_PATTERN }),
  },
  Closed,
);

const PosPaymentSchema = Type.Object(
  {
    method: PaymentMethodSchema,
    /** The CDF amount this payment settles, in centimes. */
    amount: PositiveAmount,
    foreign: Type.Optional(PosForeignSchema),
  },
  Closed,
);

const PosItemV2Schema = Type.Object(
  {
    code: Type.Optional(Ref),
    name: Text(128),
    kind: ItemKindSchema,
    quantity: Type.Union(
      [Type.Number({ exclusiveMinimum: 0 }), Type.String({ pattern: "^[0-9]{1,7}(\\.[0-9]+)?$" })],
      { description: "decimal, at most 3 decimals; a JSON number or a decimal string" },
    ),
    /** Unit price in the invoice's price mode (TTC or HT), in centimes. */
    unit_price: PositiveAmount,
    tax_group: TaxSlotSchema,
    specific_tax: Type.Optional(SpecificTaxSchema),
    /** With `price_change`: the unit price before a discount or price change. */
    original_price: Type.Optional(PositiveAmount),
    /** With `original_price`: what changed the price ("Remise fidélité 10 %"). */
    price_change: Type.Optional(Text(128)),
  },
  Closed,
);

/** The invoice as a POS sends it over HTTP (version 2). Totals are computed, never trusted. */
export const PosInvoiceV2Schema = Type.Object(
  {
    type: InvoiceTypeSchema,
    client_ref: Type.Optional(Ref),
    /** The POS's own invoice number (e-MCF `rn`); `client_ref` when absent. */
    rn: Type.Optional(Ref),
    /** TTC (prices include VAT) by default, or HT. */
    price_mode: Type.Optional(PriceModeSchema),
    /** Always CDF, the base currency; a foreign-currency payment says so in `payments[].foreign`. */
    currency: Type.Optional(Type.Enum(["CDF"])),
    /** The operator's name; the id is always the API key's cashier id (docs/API.md). */
    operator: Type.Optional(Type.Object({ name: Text(128) }, Closed)),
    client: Type.Optional(ClientV2Schema),
    items: Type.Array(PosItemV2Schema, { minItems: 1, maxItems: MAX_ITEMS }),
    payments: Type.Array(PosPaymentSchema, { minItems: 1, maxItems: MAX_PAYMENTS }),
    reference: Type.Optional(ReferenceV2Schema),
    export: Type.Optional(ExportSchema),
    comments: Type.Optional(CommentsSchema),
    expected_total: Type.Optional(Amount),
  },
  Closed,
);
export type PosInvoiceV2 = Static<typeof PosInvoiceV2Schema>;

/** The seller (SFE §1.2 a–d): the NIF from the activation, the rest from the daemon's config. */
export const SellerSchema = Type.Object(
  {
    nif: Nif,
    name: Text(128),
    /** Where the sale took place (§1.2 c). */
    address: Text(256),
    /** The company's physical address, when it is not the sale's (§1.2 d). */
    head_office: Type.Optional(Text(256)),
    phone: Type.Optional(Text(32)),
    email: Type.Optional(Text(128)),
  },
  Closed,
);
export type Seller = Static<typeof SellerSchema>;

const CanonicalItemV2Schema = Type.Object(
  {
    code: Type.Optional(Ref),
    name: Text(128),
    kind: ItemKindSchema,
    quantity_milli: Type.Integer({ minimum: 1, maximum: MAX_QUANTITY_MILLI }),
    unit_price: PositiveAmount,
    tax_group: TaxSlotSchema,
    specific_tax: Type.Optional(SpecificTaxSchema),
    /** The line's specific tax in centimes; present exactly when `specific_tax` is. */
    specific_tax_amount: Type.Optional(PositiveAmount),
    original_price: Type.Optional(PositiveAmount),
    price_change: Type.Optional(Text(128)),
    /** round_half_up(quantity × unit_price), in the invoice's price mode (§7.3). */
    amount: PositiveAmount,
  },
  Closed,
);

const CanonicalPaymentSchema = Type.Object(
  {
    method: PaymentMethodSchema,
    amount: PositiveAmount,
    foreign: Type.Optional(
      Type.Object(
        {
          currency: FxCurrencySchema,
          amount: PositiveAmount,
          /** The rate × 10^4, an integer (2850.5 → 28505000). */
          rate_e4: Type.Integer({ minimum: 10_000, maximum: 9_999_999_999_999 }),
          rate_date: Type.String({ pattern: DATE_PATTERN }),
        },
        Closed,
      ),
    ),
  },
  Closed,
);

const GroupTotalV2Schema = Type.Object(
  {
    group: TaxSlotSchema,
    /** The group's VAT rate in basis points; 0 for groups computed otherwise (§7.2). */
    rate_bp: Type.Integer({ minimum: 0, maximum: 10_000 }),
    /** Taxable amount (HT, specific tax included), centimes. */
    base: Amount,
    tax: Amount,
    /** base + tax. */
    total: PositiveAmount,
  },
  Closed,
);

/** Totals of a version-2 invoice and record. */
export const TotalsV2Schema = Type.Object(
  {
    total: PositiveAmount,
    tax_total: Amount,
    specific_tax_total: Amount,
    groups: Type.Array(GroupTotalV2Schema, { minItems: 1, maxItems: TAX_SLOT_IDS.length }),
  },
  Closed,
);
export type InvoiceTotalsV2 = Static<typeof TotalsV2Schema>;

/** The canonical invoice version 2: normalised, with identifiers and computed totals. Its CBOR is hashed. */
export const CanonicalInvoiceV2Schema = Type.Object(
  {
    v: Type.Literal(2),
    type: InvoiceTypeSchema,
    /** The DGI's code for `type` (SFE EG1.7): FV FT FA EV ET EA. */
    dgi_type: Type.Enum(["FV", "FT", "FA", "EV", "ET", "EA"]),
    client_ref: Ref,
    rn: Ref,
    /** The SFE identifier the DGI assigned (SFE EG1.3), from the daemon's config. */
    isf: Type.String({ pattern: ID_PATTERN }),
    seller: SellerSchema,
    operator: Type.Object({ id: Ref, name: Text(128) }, Closed),
    price_mode: PriceModeSchema,
    currency: Type.Literal("CDF"),
    client: Type.Optional(ClientV2Schema),
    items: Type.Array(CanonicalItemV2Schema, { minItems: 1, maxItems: MAX_ITEMS }),
    payments: Type.Array(CanonicalPaymentSchema, { minItems: 1, maxItems: MAX_PAYMENTS }),
    reference: Type.Optional(ReferenceV2Schema),
    export: Type.Optional(ExportSchema),
    comments: Type.Optional(CommentsSchema),
    tax_table: Type.String({ minLength: 1, maxLength: 32 }),
    totals: TotalsV2Schema,
  },
  Closed,
);
export type CanonicalInvoiceV2 = Static<typeof CanonicalInvoiceV2Schema>;
