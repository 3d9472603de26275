/**
 * bench/protocol: the pure codec's throughput on this machine: frames encoded and parsed, invoices
 * canonicalised (validation + totals + CBOR + SHA-256), records sealed and verified, with tweetnacl
 * measured beside node:crypto so the ratio explains why signing goes through node:crypto.
 */
import nacl from "tweetnacl";
import {
  canonicaliseInvoiceV2,
  DGI_TYPES,
  encodeFrame,
  encodeRequest,
  type FiscalRecord,
  FrameParser,
  FrameType,
  fiscalYearOf,
  generateKeyPair,
  invoiceHash,
  openSealedRecord,
  SignContext,
  sealRecord,
  signedMessage,
  signWith,
  verifyWith,
} from "../protocol/index.js";
import { BENCH_CONTEXT } from "./invoices.js";
import { fmt, isMain, ratePerSecond } from "./measure.js";

/** The measured rates, per second. */
export interface ProtocolBench {
  readonly frameEncode: number;
  readonly frameParse: number;
  readonly canonicalise: number;
  readonly sealRecord: number;
  readonly openRecord: number;
  readonly signNode: number;
  readonly verifyNode: number;
  readonly signNacl: number;
  readonly verifyNacl: number;
}

const POS_INVOICE = {
  type: "SALE",
  items: Array.from({ length: 10 }, (_, i) => ({
    code: `SKU-${i}`,
    name: `Article numéro ${i}`,
    kind: "BIE",
    quantity: "1.5",
    unit_price: 1000 + i,
    tax_group: i % 2 ? "B" : "C",
  })),
  payments: [{ method: "CASH", amount: 0 }],
};

/** Runs every measurement for about `budgetMs` each. */
export function runProtocolBench(budgetMs = 1000): ProtocolBench {
  const total = POS_INVOICE.items.reduce((s, it) => s + Math.round(1.5 * it.unit_price), 0);
  const pos = { ...POS_INVOICE, payments: [{ method: "CASH", amount: total }] };
  const invoice = canonicaliseInvoiceV2(pos, { ...BENCH_CONTEXT, defaultClientRef: "R-1" });
  const payload = encodeRequest("PREPARE", { invoice });
  const frame = encodeFrame({ type: FrameType.REQUEST, seq: 1, payload });
  const parser = new FrameParser();
  const key = generateKeyPair();
  const nk = nacl.sign.keyPair.fromSeed(key.seed);
  const issuedAt = Date.now();
  const record: FiscalRecord = {
    kind: "INVOICE",
    v: 2,
    device_id: "DEF-BENCH",
    fiscal_number: 1,
    type_number: 1,
    invoice_type: "SALE",
    dgi_type: DGI_TYPES.SALE.code,
    fiscal_year: fiscalYearOf(issuedAt),
    year_number: 1,
    issued_at: issuedAt,
    payload_hash: invoiceHash(invoice),
    prev_hash: new Uint8Array(32),
    merchant_nif: invoice.seller.nif,
    outlet_id: "O-1",
    fiscal_authority_id: "F-1",
    isf: invoice.isf,
    rn: invoice.rn,
    cashier_id: invoice.operator.id,
    client_ref: invoice.client_ref,
    currency: "CDF",
    price_mode: invoice.price_mode,
    totals: invoice.totals,
    tax_table: invoice.tax_table,
  };
  const sealed = sealRecord(record, key.seed);
  const msg = signedMessage(SignContext.RECORD, sealed.record);
  let i = 0;
  return {
    frameEncode: ratePerSecond(() => encodeFrame({ type: FrameType.REQUEST, seq: 1, payload }), budgetMs),
    frameParse: ratePerSecond(() => parser.push(frame), budgetMs),
    canonicalise: ratePerSecond(
      () => invoiceHash(canonicaliseInvoiceV2(pos, { ...BENCH_CONTEXT, defaultClientRef: `R-${i++}` })),
      budgetMs,
    ),
    sealRecord: ratePerSecond(() => sealRecord(record, key.seed), budgetMs),
    openRecord: ratePerSecond(() => openSealedRecord(sealed, key.publicKey), budgetMs),
    signNode: ratePerSecond(() => signWith(key.seed, SignContext.RECORD, sealed.record), budgetMs),
    verifyNode: ratePerSecond(
      () => verifyWith(key.publicKey, SignContext.RECORD, sealed.record, sealed.signature),
      budgetMs,
    ),
    signNacl: ratePerSecond(() => nacl.sign.detached(msg, nk.secretKey), budgetMs),
    verifyNacl: ratePerSecond(() => nacl.sign.detached.verify(msg, sealed.signature, nk.publicKey), budgetMs),
  };
}

/** Formats the results as a Markdown table. */
export function protocolTable(r: ProtocolBench): string {
  const rows: [string, number][] = [
    ["frames encoded (PREPARE, 10 lines, ~1 KB)", r.frameEncode],
    ["frames parsed (same frame)", r.frameParse],
    ["invoices canonicalised + hashed (10 lines)", r.canonicalise],
    ["records sealed (2 signatures + auth code + QR)", r.sealRecord],
    ["records verified offline (2 verifications)", r.openRecord],
    ["Ed25519 sign, node:crypto", r.signNode],
    ["Ed25519 verify, node:crypto", r.verifyNode],
    ["Ed25519 sign, tweetnacl", r.signNacl],
    ["Ed25519 verify, tweetnacl", r.verifyNacl],
  ];
  return [
    "| operation | per second |",
    "| --- | ---: |",
    ...rows.map(([name, rate]) => `| ${name} | ${fmt(rate)} |`),
    `| node:crypto / tweetnacl, sign | ${fmt(r.signNode / r.signNacl, 1)}× |`,
    `| node:crypto / tweetnacl, verify | ${fmt(r.verifyNode / r.verifyNacl, 1)}× |`,
  ].join("\n");
}

if (isMain(import.meta.url)) {
  console.log(protocolTable(runProtocolBench()));
}
