/**
 * Schemas of the invoice: what the POS sends (`PosInvoiceSchema`, JSON) and the canonical form the
 * device seals (`CanonicalInvoiceSchema`, CBOR). The daemon's HTTP API and its OpenAPI document use
 * the same schemas, so the rules are written once.
 */
import Type, { type Static } from "typebox";
import { CURRENCIES, INVOICE_TYPES, TAX_GROUP_IDS } from "./tables.js";

/** Most items one invoice may carry; keeps an invoice inside one frame (see MAX_INVOICE_BYTES). */
export const MAX_ITEMS = 200;
/** Most payment lines. */
export const MAX_PAYMENTS = 10;
/** Largest quantity, in thousandths (one million units). */
export const MAX_QUANTITY_MILLI = 1_000_000_000;
/** Largest canonical invoice, in bytes of CBOR, so PREPARE always fits one frame. */
export const MAX_INVOICE_BYTES = 24_576;

/** References: client_ref, cashier_id, codes. Printable ASCII without spaces or `;`. */
export const REF_PATTERN = "^[A-Za-z0-9._:/#@+=-]{1,64}$";
/** Tax identification numbers (NIF) and similar registry identifiers. */
export const ID_PATTERN = "^[A-Za-z0-9-]{1,32}$";

const Amount = Type.Integer({ minimum: 0, maximum: 1_000_000_000_000_000, description: "minor units" });
const PositiveAmount = Type.Integer({
  minimum: 1,
  maximum: 1_000_000_000_000_000,
  description: "minor units",
});
const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });

const InvoiceTypeSchema = Type.Enum([...INVOICE_TYPES]);
const TaxGroupSchema = Type.Enum([...TAX_GROUP_IDS]);
const CurrencySchema = Type.Enum(Object.keys(CURRENCIES));
const ItemKindSchema = Type.Enum(["GOODS", "SERVICE", "TAX"]);
const PaymentMethodSchema = Type.Enum([
  "CASH",
  "CARD",
  "MOBILE_MONEY",
  "BANK_TRANSFER",
  "CHEQUE",
  "CREDIT",
  "VOUCHER",
  "OTHER",
]);

const ClientSchema = Type.Object(
  {
    type: Type.Enum(["INDIVIDUAL", "COMPANY", "PUBLIC_BODY", "NON_RESIDENT"]),
    name: Type.Optional(Text(128)),
    nif: Type.Optional(Type.String({ pattern: ID_PATTERN })),
    address: Type.Optional(Text(256)),
  },
  { additionalProperties: false },
);

const ReferenceSchema = Type.Object(
  {
    fiscal_number: Type.Integer({ minimum: 1, maximum: 4_294_967_295 }),
    device_id: Type.Optional(Type.String({ pattern: ID_PATTERN })),
    kind: Type.Enum(["VOID", "REFUND"]),
    reason: Text(256),
  },
  { additionalProperties: false },
);

const ExportSchema = Type.Object(
  {
    destination_country: Type.String({ pattern: "^[A-Z]{2}$", description: "ISO 3166-1 alpha-2" }),
    customs_ref: Type.Optional(Type.String({ pattern: REF_PATTERN })),
  },
  { additionalProperties: false },
);

const PaymentSchema = Type.Object(
  { method: PaymentMethodSchema, amount: PositiveAmount },
  { additionalProperties: false },
);

const PosItemSchema = Type.Object(
  {
    code: Type.Optional(Type.String({ pattern: REF_PATTERN })),
    name: Text(128),
    kind: ItemKindSchema,
    quantity: Type.Union(
      [Type.Number({ exclusiveMinimum: 0 }), Type.String({ pattern: "^[0-9]{1,7}(\\.[0-9]+)?$" })],
      { description: "decimal, at most 3 decimals; a JSON number or a decimal string" },
    ),
    unit_price: Amount,
    discount: Type.Optional(Amount),
    tax_group: TaxGroupSchema,
  },
  { additionalProperties: false },
);

/** The invoice as a POS sends it over HTTP. Totals are computed, never trusted. */
export const PosInvoiceSchema = Type.Object(
  {
    type: InvoiceTypeSchema,
    client_ref: Type.Optional(Type.String({ pattern: REF_PATTERN })),
    currency: CurrencySchema,
    items: Type.Array(PosItemSchema, { minItems: 1, maxItems: MAX_ITEMS }),
    payments: Type.Array(PaymentSchema, { minItems: 1, maxItems: MAX_PAYMENTS }),
    client: Type.Optional(ClientSchema),
    reference: Type.Optional(ReferenceSchema),
    export: Type.Optional(ExportSchema),
    note: Type.Optional(Text(500)),
    expected_total: Type.Optional(Amount),
  },
  { additionalProperties: false },
);
export type PosInvoice = Static<typeof PosInvoiceSchema>;

const CanonicalItemSchema = Type.Object(
  {
    code: Type.Optional(Type.String({ pattern: REF_PATTERN })),
    name: Text(128),
    kind: ItemKindSchema,
    quantity_milli: Type.Integer({ minimum: 1, maximum: MAX_QUANTITY_MILLI }),
    unit_price: Amount,
    discount: Type.Optional(PositiveAmount),
    tax_group: TaxGroupSchema,
    amount: Amount,
  },
  { additionalProperties: false },
);

const GroupTotalSchema = Type.Object(
  {
    group: TaxGroupSchema,
    rate_bp: Type.Integer({ minimum: 0, maximum: 10_000 }),
    base: Amount,
    tax: Amount,
  },
  { additionalProperties: false },
);

/** Totals as carried in the canonical invoice and the signed record. */
export const TotalsSchema = Type.Object(
  { total: Amount, tax_total: Amount, groups: Type.Array(GroupTotalSchema, { minItems: 1, maxItems: 14 }) },
  { additionalProperties: false },
);

/** The canonical invoice: normalised, with identifiers and computed totals. Its CBOR is hashed. */
export const CanonicalInvoiceSchema = Type.Object(
  {
    v: Type.Literal(1),
    type: InvoiceTypeSchema,
    client_ref: Type.String({ pattern: REF_PATTERN }),
    cashier_id: Type.String({ pattern: REF_PATTERN }),
    currency: CurrencySchema,
    items: Type.Array(CanonicalItemSchema, { minItems: 1, maxItems: MAX_ITEMS }),
    payments: Type.Array(PaymentSchema, { minItems: 1, maxItems: MAX_PAYMENTS }),
    client: Type.Optional(ClientSchema),
    reference: Type.Optional(ReferenceSchema),
    export: Type.Optional(ExportSchema),
    note: Type.Optional(Text(500)),
    tax_table: Type.String({ minLength: 1, maxLength: 32 }),
    totals: TotalsSchema,
  },
  { additionalProperties: false },
);
export type CanonicalInvoice = Static<typeof CanonicalInvoiceSchema>;
