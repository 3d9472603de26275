/**
 * The SFE identity every version-2 invoice carries (SFE §1.2 a–d, v, w; EG1.30): the ISF the DGI
 * assigned to this software, the seller's name and addresses, and the reference exchange rate a
 * foreign-currency payment is checked against. They come from the daemon's configuration (`sfe`
 * section, docs/API.md §3.1); the seller's NIF always comes from the device's activation, never
 * from configuration, so an invoice cannot name another taxpayer than the one the DEF serves.
 */
import Type, { type Static } from "typebox";
import {
  type CanonicalInvoiceV2,
  canonicaliseInvoiceV2,
  DATE_PATTERN,
  FiscalError,
  ID_PATTERN,
  type InvoiceContextV2,
  RATE_PATTERN,
  rateE4Of,
  type Seller,
} from "../../protocol/index.js";
import type { Caller } from "./types.js";

/** Default tolerance around the reference rate, in basis points: 1 % (SFE EG1.30). */
export const FX_TOLERANCE_BP = 100;

const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });

/** Schema of the `sfe` configuration section. */
export const SfeConfigSchema = Type.Object(
  {
    isf: Type.Optional(Type.String({ pattern: ID_PATTERN, description: "the ISF the DGI assigned" })),
    seller: Type.Object(
      {
        name: Type.Optional(Text(128)),
        address: Type.Optional(Text(256)),
        headOffice: Type.Optional(Text(256)),
        phone: Type.Optional(Text(32)),
        email: Type.Optional(Text(128)),
      },
      { additionalProperties: false },
    ),
    fx: Type.Object(
      {
        usdRate: Type.Optional(Type.String({ pattern: RATE_PATTERN, description: "BCC rate, CDF per USD" })),
        usdRateDate: Type.Optional(Type.String({ pattern: DATE_PATTERN })),
        toleranceBp: Type.Integer({ minimum: 0, maximum: 1000, description: "allowed gap, basis points" }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
/** The `sfe` configuration section. */
export type SfeConfig = Static<typeof SfeConfigSchema>;

/** The section's defaults: nothing is assumed about the shop. */
export function defaultSfeConfig(): SfeConfig {
  return { seller: {}, fx: { toleranceBp: FX_TOLERANCE_BP } };
}

/** What development mode (`--allow-emulator`) fills in when the shop did not say. */
export const DEVELOPMENT_SFE = {
  isf: "ISF-DEV-0001",
  name: "Boutique de démonstration",
  address: "1, avenue du Commerce, Gombe, Kinshasa",
} as const;

/** The SFE identity as the fiscal service uses it, the seller's NIF aside. */
export interface SfeIdentity {
  readonly isf: string;
  readonly seller: Omit<Seller, "nif">;
  readonly fx: InvoiceContextV2["fx"];
}

/**
 * The identity from the configuration, with development defaults when `development` is set.
 * Undefined when the ISF, the seller's name or its address is missing: the service then refuses to
 * seal (SFE_NOT_CONFIGURED) and the status says why.
 */
export function sfeIdentityOf(config: SfeConfig, development: boolean): SfeIdentity | undefined {
  const isf = config.isf ?? (development ? DEVELOPMENT_SFE.isf : undefined);
  const name = config.seller.name ?? (development ? DEVELOPMENT_SFE.name : undefined);
  const address = config.seller.address ?? (development ? DEVELOPMENT_SFE.address : undefined);
  if (isf === undefined || name === undefined || address === undefined) return undefined;
  const { usdRate } = config.fx;
  return {
    isf,
    seller: stripUndefined({
      name,
      address,
      head_office: config.seller.headOffice,
      phone: config.seller.phone,
      email: config.seller.email,
    }),
    fx: {
      reference: usdRate === undefined ? {} : { USD: rateE4Of(usdRate) },
      toleranceBp: config.fx.toleranceBp,
    },
  };
}

/** The settings an unconfigured SFE lacks, for the refusal and the status hint. */
export function missingSfeSettings(config: SfeConfig): string[] {
  const missing: string[] = [];
  if (config.isf === undefined) missing.push("sfe.isf (STALELA_ISF)");
  if (config.seller.name === undefined) missing.push("sfe.seller.name (STALELA_SELLER_NAME)");
  if (config.seller.address === undefined) missing.push("sfe.seller.address (STALELA_SELLER_ADDRESS)");
  return missing;
}

/** Stands in for the seller's NIF while no device was ever bound: no activation names it. */
const UNKNOWN_NIF = "0";

/** What a sale's canonical invoice is made with, besides the POS's body. */
export interface SaleContext {
  readonly sfe: SfeIdentity | undefined;
  /** The settings that leave `sfe` undefined, named in the refusal. */
  readonly sfeMissing: readonly string[];
  readonly caller: Caller;
  /** `client_ref` when the POS sends none: `<api-key-id>:<Idempotency-Key>`. */
  readonly defaultClientRef: string;
  /** The bound device's merchant NIF; undefined while no device was ever bound. */
  readonly sellerNif: string | undefined;
}

/**
 * The canonical v2 invoice of a POS body: the SFE identity from the configuration, the seller's NIF
 * from the bound device's activation (never from the request), the operator from the request or the
 * API key's label. Validation runs before the device is known, so a bad body is 422 either way; with
 * no device bound yet the NIF is a placeholder that no device accepts (SELLER_MISMATCH), and the
 * device port refuses such an attempt first with its own reason (not connected, not checked …).
 * Throws SFE_NOT_CONFIGURED while the identity is incomplete.
 */
export function canonicalSaleOf(body: unknown, context: SaleContext): CanonicalInvoiceV2 {
  const { sfe, caller } = context;
  if (sfe === undefined) throw sfeNotConfigured(context.sfeMissing);
  return canonicaliseInvoiceV2(body, {
    cashierId: caller.cashierId,
    operatorName: caller.label,
    defaultClientRef: context.defaultClientRef,
    isf: sfe.isf,
    seller: { nif: context.sellerNif ?? UNKNOWN_NIF, ...sfe.seller },
    fx: sfe.fx,
  });
}

/** The refusal of a sale while the SFE identity is incomplete. */
export function sfeNotConfigured(missing: readonly string[]): FiscalError {
  return new FiscalError(
    "SFE_NOT_CONFIGURED",
    `set ${missing.join(", ")} in the daemon's configuration (docs/INSTALL.md)`,
  );
}

function stripUndefined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
