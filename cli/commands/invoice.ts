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
import { FiscalError, formatAmount } from "../../protocol/index.js";
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

/** The readable lines of an invoice view. */
export function invoiceLines(view: InvoiceView): string[] {
  const f = view.fiscal;
  return [
    `invoice ${view.id}  ${view.type}  ${view.state}`,
    `  key          ${view.idempotency_key ?? "(none: imported from the device journal)"}`,
    `  client_ref   ${view.client_ref}`,
    `  cashier      ${view.cashier_id}`,
    `  total        ${formatAmount(view.totals.total, view.currency)} (${view.totals.total} in minor units)`,
    ...(f === null
      ? ["  fiscal       not sealed"]
      : [
          `  fiscal no.   ${f.fiscal_number} (${view.type} #${f.type_number}) on ${f.device_id}`,
          ...(f.v === 2
            ? [
                `  DGI          ${f.dgi_type} no. ${f.year_number} of ${f.fiscal_year}, ISF ${f.isf}, rn ${f.rn}`,
              ]
            : []),
          `  sealed at    ${f.timestamp}`,
          `  auth code    ${f.auth_code}`,
          `  QR           ${f.qr}`,
        ]),
    ...(view.error === null
      ? []
      : [`  error        E${view.error.code} ${view.error.name}: ${view.error.message}`]),
    `  receipts     ${view.receipts.printed} printed, ${view.receipts.duplicates} DUPLICATA`,
    `  sync         ${view.sync.status}, ${view.sync.attempts} attempt(s)` +
      `${view.sync.dgi_status ? `, DGI ${view.sync.dgi_status}` : ""}` +
      `${view.sync.last_error ? `, last error: ${view.sync.last_error}` : ""}`,
    "  transitions",
    ...view.transitions.map((t) => `    ${t.at}  ${t.state}${t.note === undefined ? "" : `  (${t.note})`}`),
  ];
}

/** Registers `invoice get` and `invoice receipt`. */
export function registerInvoiceCommand(program: Command): void {
  const invoice = program.command("invoice").description("look invoices up in the daemon's store");
  invoice
    .command("get <id>")
    .description("one invoice by id, Idempotency-Key or client_ref: state, fiscal number, QR, sync")
    .option("--state <dir>", STATE_DIR_HELP)
    .option("--json", "the API's InvoiceView as JSON")
    .addHelpText("after", "\nExit codes: 0 found, 2 unknown (E115 RECORD_NOT_FOUND), 1 other failure.")
    .action((id: string, flags: InvoiceFlags) =>
      runAction(flags, () => {
        const view = readInvoice(enterStateDir(flags), id);
        printResult(flags, view, () => invoiceLines(view));
      }),
    );
  registerReceiptCommand(invoice);
}
