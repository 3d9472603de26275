/**
 * The invoice list: filters on indexed columns and keyset pagination (newest first), so a page costs
 * the same on the millionth invoice as on the first.
 */
import { FiscalError } from "../../protocol/index.js";
import type { InvoiceRow, InvoiceStore } from "../store/invoice-store.js";
import type { InvoiceFilter, InvoicePage, InvoiceView } from "./types.js";

/**
 * Lists invoices matching `filter`, of one API key when `apiKeyId` is given; `cursor` is the opaque
 * `next_cursor` of the previous page.
 */
export function listInvoices(
  store: InvoiceStore,
  filter: InvoiceFilter,
  view: (row: InvoiceRow) => InvoiceView,
  apiKeyId?: string,
): InvoicePage {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (apiKeyId !== undefined) {
    // A POS sees its own API key's invoices and the journal imports no key owns (docs/API.md §2).
    where.push("(api_key_id = ? OR api_key_id IS NULL)");
    params.push(apiKeyId);
  }
  if (filter.state) {
    where.push("state = ?");
    params.push(filter.state);
  }
  if (filter.type) {
    where.push("type = ?");
    params.push(filter.type);
  }
  if (filter.cashier_id) {
    where.push("cashier_id = ?");
    params.push(filter.cashier_id);
  }
  if (filter.from) {
    where.push("created_at >= ?");
    params.push(parseTime(filter.from, "from"));
  }
  if (filter.to) {
    where.push("created_at < ?");
    params.push(parseTime(filter.to, "to"));
  }
  if (filter.cursor) {
    const rowid = Number.parseInt(Buffer.from(filter.cursor, "base64url").toString("utf8"), 10);
    if (!Number.isSafeInteger(rowid) || rowid < 1) {
      throw new FiscalError("FIELD_TYPE", "cursor is not one this API returned", {
        issues: [{ path: "/cursor", code: 302, message: "is not a valid cursor" }],
      });
    }
    where.push("rowid < ?");
    params.push(rowid);
  }
  const sql = `SELECT rowid AS _rowid, * FROM invoices ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
    ORDER BY rowid DESC LIMIT ?`;
  const rows = store.query<InvoiceRow & { _rowid: number }>(sql, [...params, filter.limit + 1]);
  const page = rows.slice(0, filter.limit);
  const last = page[page.length - 1];
  return {
    items: page.map(view),
    next_cursor:
      rows.length > filter.limit && last ? Buffer.from(String(last._rowid)).toString("base64url") : null,
  };
}

function parseTime(text: string, name: string): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) {
    throw new FiscalError("FIELD_TYPE", `${name} is not an ISO 8601 time`, {
      issues: [{ path: `/${name}`, code: 302, message: "is not an ISO 8601 time" }],
    });
  }
  return ms;
}
