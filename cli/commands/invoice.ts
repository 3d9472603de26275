/**
 * `stalela invoice get ID`: one invoice from the daemon's store, by id, Idempotency-Key or client_ref,
 * exactly as the API's GET /v1/invoices/{id} shows it (the same InvoiceView). It reads the SQLite
 * store directly (WAL lets a reader in while the daemon writes), so it works with the daemon stopped.
 */
import type { Command } from "commander";
import type { InvoiceView } from "../../daemon/fiscal/types.js";
import { invoiceView } from "../../daemon/fiscal/views.js";
import { InvoiceStore } from "../../daemon/store/invoice-store.js";
import { OutboxStore } from "../../daemon/store/outbox.js";
import { t } from "../../protocol/i18n/index.js";
import { formatLocalTime } from "../../protocol/i18n/time.js";
import { FiscalError, formatAmount } from "../../protocol/index.js";
import { afterHelp } from "../help.js";
import { readerLang, readerTimeZone } from "../lang.js";
import { type OutputOptions, printResult, runAction } from "../output.js";
import { enterStateDir, openStore, STATE_DIR_HELP, STORE_FILE } from "../state.js";
import { registerReceiptCommand } from "./receipt.js";

interface InvoiceFlags extends OutputOptions {
  readonly state?: string;
}

/**
 * Looks an invoice up in the store of `stateDir`; RECORD_NOT_FOUND when unknown, or when there is no
 * store (never created here: a typo in --state must not leave an empty database behind).
 */
export function readInvoice(stateDir: string, idOrKey: string): InvoiceView {
  const db = openStore(stateDir);
  try {
    const store = new InvoiceStore(db);
    const outbox = new OutboxStore(db);
    const row = store.byIdOrAnyKey(idOrKey);
    if (row === undefined) {
      throw new FiscalError(
        "RECORD_NOT_FOUND",
        `no invoice with id, Idempotency-Key or client_ref ${JSON.stringify(idOrKey)} in ${stateDir}/${STORE_FILE}`,
      );
    }
    return invoiceView(store, (id) => outbox.statusOf(id), row);
  } finally {
    db.close();
  }
}

/** The readable lines of an invoice view, in the reader's language, times in the shop's zone. */
export function invoiceLines(view: InvoiceView): string[] {
  const lang = readerLang();
  const zone = readerTimeZone();
  const say = (key: string, values?: Record<string, string | number>): string =>
    t(lang, `cli.invoice.${key}`, values);
  const when = (iso: string): string => formatLocalTime(Date.parse(iso), zone, lang);
  const f = view.fiscal;
  const { sync } = view;
  return [
    say("heading", { id: view.id, type: view.type, state: view.state }),
    view.idempotency_key === null ? say("key_none") : say("key", { key: view.idempotency_key }),
    say("client_ref", { ref: view.client_ref }),
    say("cashier", { cashier: view.cashier_id }),
    say("total", {
      amount: formatAmount(view.totals.total, view.currency),
      minor: String(view.totals.total),
    }),
    ...(f === null
      ? [say("not_sealed")]
      : [
          say("fiscal", {
            number: String(f.fiscal_number),
            type: view.type,
            typeNumber: String(f.type_number),
            device: f.device_id,
          }),
          ...(f.v === 2
            ? [
                say("dgi", {
                  dgiType: f.dgi_type ?? "",
                  yearNumber: String(f.year_number),
                  year: String(f.fiscal_year),
                  isf: f.isf ?? "",
                  rn: f.rn ?? "",
                }),
              ]
            : []),
          say("sealed_at", { when: when(f.timestamp) }),
          say("auth_code", { code: f.auth_code }),
          say("qr", { qr: f.qr }),
        ]),
    ...(view.error === null
      ? []
      : [
          say("error", { code: String(view.error.code), name: view.error.name, message: view.error.message }),
        ]),
    say("receipts", { printed: view.receipts.printed, duplicates: String(view.receipts.duplicates) }),
    say("sync", { status: sync.status, attempts: sync.attempts }) +
      (sync.dgi_status ? say("sync_dgi", { status: sync.dgi_status }) : "") +
      (sync.last_error ? say("sync_last_error", { error: sync.last_error }) : ""),
    say("transitions"),
    ...view.transitions.map((step) =>
      step.note === undefined
        ? say("transition", { when: when(step.at), state: step.state })
        : say("transition_note", { when: when(step.at), state: step.state, note: step.note }),
    ),
  ];
}

/** Registers `invoice get` and `invoice receipt`. */
export function registerInvoiceCommand(program: Command): void {
  const invoice = program.command("invoice").description("help.invoice");
  invoice
    .command("get <id>")
    .description("help.invoice.get")
    .option("--state <dir>", STATE_DIR_HELP)
    .option("--json", "help.invoice.get.json")
    .addHelpText("after", afterHelp("help.invoice.get.after"))
    .action((id: string, flags: InvoiceFlags) =>
      runAction(flags, () => {
        const view = readInvoice(enterStateDir(flags), id);
        printResult(flags, view, () => invoiceLines(view));
      }),
    );
  registerReceiptCommand(invoice);
}
