/**
 * The message catalogue: every command the DEF accepts, its arguments and its result, as schemas
 * that both validate decoded CBOR at run time and give the TypeScript types (docs/PROTOCOL.md §5).
 */
import Type, { type Static, type TSchema } from "typebox";
import { BytesSchema } from "../bytes.js";
import { ID_PATTERN, REF_PATTERN, TotalsSchema } from "../invoice/schema.js";
import { TotalsV2Schema } from "../invoice/schema-v2.js";
import { JOURNALED_REPORT_KINDS, SealedReportSchema } from "../reports/schema.js";
import { SignedBlobSchema } from "../security/activation.js";
import { SealedRecordSchema } from "../security/record.js";

/** Most records one JOURNAL_READ returns (the device may return fewer to fit one frame). */
export const JOURNAL_PAGE_MAX = 32;

const Uint = (extra: object = {}) => Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, ...extra });
const Empty = Type.Object({}, { additionalProperties: false });
const Nonce = BytesSchema(16);
const Hash = BytesSchema(32);
const Obj = <T extends Record<string, TSchema>>(props: T) =>
  Type.Object(props, { additionalProperties: false });

/** Lifecycle states of a DEF. */
export const DEVICE_STATES = ["UNACTIVATED", "ACTIVE", "LOCKED"] as const;
export type DeviceState = (typeof DEVICE_STATES)[number];

const Identity = Obj({
  merchant_nif: Type.String({ pattern: ID_PATTERN }),
  outlet_id: Type.String({ pattern: ID_PATTERN }),
  fiscal_authority_id: Type.String({ pattern: ID_PATTERN }),
});

const Clock = Obj({
  now: Uint({ description: "device time, ms since the Unix epoch" }),
  offset_ms: Type.Integer({ description: "device time minus its raw clock" }),
  valid: Type.Boolean(),
});

/**
 * Models the emulated DEF reports in INFO. A host refuses them unless development mode allows
 * emulation (`trust.allowEmulator`); the emulator reports the first.
 */
export const EMULATOR_MODELS: readonly string[] = ["STALELA-EMU"];

const InfoResult = Obj({
  device_id: Type.String({ pattern: ID_PATTERN }),
  model: Type.String({ maxLength: 64 }),
  firmware: Type.String({ maxLength: 64 }),
  protocol: Type.Literal(1),
  public_key: BytesSchema(32),
  state: Type.Enum([...DEVICE_STATES]),
  identity: Type.Union([Identity, Type.Null()]),
  activation: Type.Union([SignedBlobSchema, Type.Null()]),
  // The cloud-signed bundle the device was activated with, so a host can check that the activation
  // chains to the cloud root it pins (PROTOCOL.md §9.1). Null while unactivated.
  activation_bundle: Type.Union([SignedBlobSchema, Type.Null()]),
  tax_table: Type.String({ maxLength: 32 }),
  limits: Obj({
    max_payload: Uint(),
    nonce_ttl_ms: Uint(),
    max_pending: Uint(),
    journal_capacity: Uint(),
    journal_page: Uint(),
  }),
});

const StatusResult = Obj({
  state: Type.Enum([...DEVICE_STATES]),
  lock_reason: Type.Union([Type.String({ maxLength: 128 }), Type.Null()]),
  last_fiscal_number: Uint(),
  type_counters: Type.Record(Type.String(), Uint()),
  journal_used: Uint(),
  journal_capacity: Uint(),
  pending: Uint(),
  clock: Clock,
  last_hash: Type.Union([Hash, Type.Null()]),
  warnings: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 16 }),
});

const PendingEntry = Obj({ nonce: Nonce, payload_hash: Hash, client_ref: Type.String(), expires_at: Uint() });

const GetRecordArgs = Type.Union([
  Obj({ fiscal_number: Uint({ minimum: 1 }) }),
  Obj({ payload_hash: Hash }),
  Obj({ client_ref: Type.String({ pattern: REF_PATTERN }) }),
]);

/** Every command: its argument schema and its result schema. */
export const COMMANDS = {
  INFO: { args: Empty, result: InfoResult },
  STATUS: { args: Empty, result: StatusResult },
  ACTIVATE: { args: Obj({ bundle: SignedBlobSchema }), result: Obj({ activation: SignedBlobSchema }) },
  PREPARE: {
    // The invoice is checked by the device's invoice rules (INVOICE_INVALID with field issues),
    // not by the message schema, so a POS sees the same issue list from the DEF as from the daemon.
    args: Obj({ invoice: Type.Unknown() }),
    result: Obj({
      nonce: Nonce,
      payload_hash: Hash,
      expires_at: Uint(),
      // The totals of the invoice as the device computed them: v2 for what it seals now (a device
      // refuses v1 invoices at PREPARE), v1 so a host still reads a device not yet updated.
      totals: Type.Union([TotalsSchema, TotalsV2Schema]),
    }),
  },
  COMMIT: { args: Obj({ nonce: Nonce, payload_hash: Hash }), result: SealedRecordSchema },
  ABORT: { args: Obj({ nonce: Nonce }), result: Obj({ nonce: Nonce }) },
  LIST_PENDING: { args: Empty, result: Obj({ pending: Type.Array(PendingEntry) }) },
  GET_RECORD: { args: GetRecordArgs, result: SealedRecordSchema },
  JOURNAL_READ: {
    args: Obj({ from: Uint({ minimum: 1 }), limit: Uint({ minimum: 1, maximum: JOURNAL_PAGE_MAX }) }),
    result: Obj({
      entries: Type.Array(SealedRecordSchema, { maxItems: JOURNAL_PAGE_MAX }),
      next: Type.Union([Uint({ minimum: 1 }), Type.Null()]),
      last: Uint(),
    }),
  },
  Z_REPORT: {
    // `number` is the Z the host means to make: the device refuses any other (REPORT_NUMBER_MISMATCH),
    // so a Z sent again after a lost reply can never close a second day (§13.6).
    args: Obj({
      isf: Type.String({ pattern: ID_PATTERN }),
      number: Uint({ minimum: 1, maximum: 4_294_967_295 }),
    }),
    result: Obj({
      report: SealedReportSchema,
      // The monthly and yearly closures this Z made first (§13.4), in journal order; usually none.
      closures: Type.Array(SealedReportSchema, { maxItems: 2 }),
    }),
  },
  X_REPORT: {
    args: Obj({ isf: Type.String({ pattern: ID_PATTERN }) }),
    result: Obj({ report: SealedReportSchema }),
  },
  GET_REPORT: {
    // Without `number`, the latest of its kind.
    args: Obj({
      kind: Type.Enum([...JOURNALED_REPORT_KINDS]),
      number: Type.Optional(Uint({ minimum: 1 })),
    }),
    result: Obj({ report: SealedReportSchema, last: Uint() }),
  },
  A_REPORT: {
    args: Obj({
      isf: Type.String({ pattern: ID_PATTERN }),
      from: Uint({ minimum: 1 }),
      to: Uint({ minimum: 1 }),
    }),
    result: Obj({ report: SealedReportSchema }),
  },
  TIME_GET: { args: Empty, result: Clock },
  TIME_SET: { args: Obj({ now: Uint() }), result: Clock },
  SELF_TEST: {
    args: Empty,
    result: Obj({
      passed: Type.Boolean(),
      checks: Type.Array(
        Obj({ name: Type.String(), passed: Type.Boolean(), detail: Type.Optional(Type.String()) }),
      ),
    }),
  },
} as const;

/** A command name. */
export type Command = keyof typeof COMMANDS;
/** The command names, in catalogue order. */
export const COMMAND_NAMES = Object.keys(COMMANDS) as Command[];
/** Arguments of command C. */
export type ArgsOf<C extends Command> = Static<(typeof COMMANDS)[C]["args"]>;
/** Result of command C. */
export type ResultOf<C extends Command> = Static<(typeof COMMANDS)[C]["result"]>;

/** Commands that change device state: after a lost reply the host must not simply resend them. */
export const STATE_CHANGING: ReadonlySet<Command> = new Set([
  "ACTIVATE",
  "PREPARE",
  "COMMIT",
  "ABORT",
  "Z_REPORT",
  "TIME_SET",
]);

/** Unsolicited device events (frame type EVENT, SEQ 0). */
export const EventSchema = Obj({
  event: Type.Enum(["BOOT", "STATE_CHANGED"]),
  at: Uint(),
  state: Type.Enum([...DEVICE_STATES]),
});
export type DeviceEvent = Static<typeof EventSchema>;

/** Payload of a BUSY frame. */
export const BusySchema = Obj({ retry_after_ms: Uint() });
/** Payload of a NAK frame. */
export const NakSchema = Obj({ code: Uint() });
