/**
 * `stalela invoice receipt ID`: the receipt of a sealed invoice, from the daemon's store, exactly as
 * `GET /v1/invoices/{id}/receipt` renders it, and counted the same way (docs/RECEIPTS.md): the first
 * rendering is the original, every later one a DUPLICATA, logged as asked by `cli`. It works with
 * the daemon stopped. `--preview` shows one on screen without counting it.
 */
import { writeFileSync } from "node:fs";
import { type Command, InvalidArgumentError, Option } from "commander";
import { invoiceView } from "../../daemon/fiscal/views.js";
import { RECEIPT_WIDTHS, type ReceiptWidth } from "../../daemon/receipt/lines.js";
import { RECEIPT_FORMATS, type ReceiptFormat, Receipts } from "../../daemon/receipt/receipts.js";
import { InvoiceStore } from "../../daemon/store/invoice-store.js";
import { OutboxStore } from "../../daemon/store/outbox.js";
import { ReceiptPrints } from "../../daemon/store/receipt-prints.js";
import { isTimeZone } from "../../protocol/i18n/time.js";
import { FiscalError } from "../../protocol/index.js";
import { readerLang, readerTimeZone } from "../lang.js";
import { runAction } from "../output.js";
import { enterStateDir, openStore, STATE_DIR_HELP } from "../state.js";

interface ReceiptFlags {
  readonly state?: string;
  readonly format: ReceiptFormat;
  readonly width: ReceiptWidth;
  readonly tz: string;
  readonly preview?: boolean;
  readonly out?: string;
  readonly json?: boolean;
}

function widthOf(text: string): ReceiptWidth {
  const n = Number(text);
  if (!(RECEIPT_WIDTHS as readonly number[]).includes(n))
    throw new InvalidArgumentError(`must be one of ${RECEIPT_WIDTHS.join(", ")}`);
  return n as ReceiptWidth;
}

function zoneOf(text: string): string {
  if (!isTimeZone(text)) throw new InvalidArgumentError("must be an IANA time zone, e.g. Africa/Kinshasa");
  return text;
}

/** Registers `invoice receipt` under the `invoice` command. */
export function registerReceiptCommand(invoice: Command): void {
  invoice
    .command("receipt <id>")
    .description("help.invoice.receipt")
    .option("--state <dir>", STATE_DIR_HELP)
    .addOption(
      new Option("--format <format>", "help.invoice.receipt.format")
        .choices([...RECEIPT_FORMATS])
        .default("text"),
    )
    .option("--width <chars>", "help.invoice.receipt.width", widthOf, 48)
    .option("--tz <zone>", "help.invoice.receipt.tz", zoneOf, readerTimeZone())
    .option("--preview", "help.invoice.receipt.preview")
    .option("--out <file>", "help.invoice.receipt.out")
    .option("--json", "help.invoice.receipt.json")
    .action((id: string, flags: ReceiptFlags) =>
      runAction(flags, async () => {
        const binary = flags.format === "escpos" || flags.format === "pdf";
        if (binary && flags.out === undefined && process.stdout.isTTY)
          throw new FiscalError(
            "USAGE",
            `--format ${flags.format} writes bytes: give --out FILE or redirect stdout`,
          );
        const db = openStore(enterStateDir(flags));
        try {
          const store = new InvoiceStore(db);
          const row = store.byIdOrAnyKey(id);
          if (row === undefined)
            throw new FiscalError(
              "RECORD_NOT_FOUND",
              `no invoice with id, Idempotency-Key or client_ref ${JSON.stringify(id)}`,
            );
          const view = invoiceView(store, (x) => new OutboxStore(db).statusOf(x), row);
          const receipts = new Receipts({
            prints: new ReceiptPrints(db),
            originalCodeOf: (deviceId, n) => store.recordByNumber(deviceId, n)?.auth_code,
            timeZone: flags.tz,
          });
          const lang = readerLang();
          const rendered = await receipts.render(view, {
            format: flags.format,
            width: flags.width,
            lang,
            preview: flags.preview === true,
            requestedBy: "cli",
          });
          if (flags.out !== undefined) writeFileSync(flags.out, rendered.body);
          else process.stdout.write(rendered.body);
          if (flags.out !== undefined || rendered.copy.kind !== "original")
            process.stderr.write(
              `${rendered.copy.kind}${flags.out === undefined ? "" : ` → ${flags.out}`}\n`,
            );
        } finally {
          db.close();
        }
      }),
    );
}
