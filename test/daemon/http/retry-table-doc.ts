/**
 * docs/API.md §8's table "What to do after each answer", parsed from the doc for
 * test/daemon/http/retry-table.test.ts.
 */
import { readFileSync } from "node:fs";
// ---------------------------------------------------------------------------------------------------
// The table

/** The three things a row may tell a POS to do (docs/API.md §8). */
export const ACTIONS = ["retry the same key", "GET the key first", "new key"] as const;
export type Action = (typeof ACTIONS)[number];

/** One row of "### What to do after each answer". */
export interface RetryRow {
  /** `<answer> <code>` for a coded row (`503 110`, `422 300–318`), else the answer (`state PREPARING`). */
  readonly id: string;
  /** The answer cell without backticks: `503`, `connection refused`, `state PREPARED, one-shot`. */
  readonly answer: string;
  /** The HTTP status, for a row whose answer is one. */
  readonly status: number | undefined;
  /** The codes of the code cell (ranges expanded; `—` and `(in error)` give none). */
  readonly codes: readonly number[];
  /** The name cell's names or patterns (`FIELD_*`); none for `—` and `(in error)`. */
  readonly names: readonly string[];
  readonly cls: string;
  readonly action: string;
  readonly why: string;
  /** The Retry-After the row promises, in seconds (`Retry-After: 5`, or `Retry-After` (1 s)). */
  readonly retryAfterSeconds: number | undefined;
}

export const API_DOC = readFileSync(new URL("../../../docs/API.md", import.meta.url), "utf8");
const TABLE_HEADING = "### What to do after each answer";

function stripTicks(cell: string): string {
  return cell.replaceAll("`", "").trim();
}

function parseCodes(cell: string): number[] {
  const codes: number[] = [];
  for (const part of cell.split(",").map((p) => p.trim())) {
    const range = /^(\d+)\s*[–-]\s*(\d+)$/.exec(part);
    if (range) for (let c = Number(range[1]); c <= Number(range[2]); c++) codes.push(c);
    else if (/^\d+$/.test(part)) codes.push(Number(part));
  }
  return codes;
}

/** The table's rows, in the doc's order. Throws when the section or its header is missing. */
export function readRetryTable(doc = API_DOC): RetryRow[] {
  const start = doc.indexOf(TABLE_HEADING);
  if (start < 0) throw new Error(`docs/API.md has no "${TABLE_HEADING}"`);
  const lines = doc.slice(start).split("\n");
  const first = lines.findIndex((l) => l.startsWith("| answer |"));
  if (first < 0) throw new Error("the retry table has no header row");
  const header = lines[first]!.split("|")
    .slice(1, -1)
    .map((c) => c.trim());
  if (header.join(" | ") !== "answer | code | name | class | do | why / then") {
    throw new Error(`unexpected retry table columns: ${header.join(" | ")}`);
  }
  const rows: RetryRow[] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith("|")) break;
    const [answerCell, codeCell, nameCell, cls, action, why] = line
      .split("|")
      .slice(1, -1)
      .map((c) => c.trim());
    const answer = stripTicks(answerCell!);
    const status = /^\d{3}$/.test(answer) ? Number(answer) : undefined;
    const codes = parseCodes(codeCell!);
    const names = /^[A-Z]/.test(nameCell!) ? nameCell!.split(",").map((n) => n.trim()) : [];
    const retryAfter = /`Retry-After: (\d+)`/.exec(why!) ?? /`Retry-After` \((\d+) s\)/.exec(why!);
    rows.push({
      id: status !== undefined ? `${answer} ${codeCell}` : answer,
      answer,
      status,
      codes,
      names,
      cls: cls!,
      action: action!,
      why: why!,
      retryAfterSeconds: retryAfter ? Number(retryAfter[1]) : undefined,
    });
  }
  return rows;
}

/** True when `name` is matched by one of the row's name cells (`FIELD_*` matches by prefix). */
export function rowNames(row: RetryRow, name: string): boolean {
  return row.names.some((p) => (p.endsWith("*") ? name.startsWith(p.slice(0, -1)) : name === p));
}

/** Looks rows up the way a POS reads the table. */
export class RetryTable {
  constructor(readonly rows: readonly RetryRow[]) {}

  /** The row by its id; throws when the table has none. */
  byId(id: string): RetryRow {
    const row = this.rows.find((r) => r.id === id);
    if (row === undefined) throw new Error(`the retry table has no row ${id}`);
    return row;
  }

  /** The row of an error answer: its status and its code. Throws when no row (or two) fits. */
  forError(status: number, code: number): RetryRow {
    const found = this.rows.filter((r) => r.status === status && r.codes.includes(code));
    if (found.length !== 1) throw new Error(`${found.length} rows of the retry table fit ${status} ${code}`);
    return found[0]!;
  }

  /** The row of a state a GET showed; `twoStep` is what the POS sent, `past` whether commit_before passed. */
  forState(state: string, twoStep: boolean, past: boolean): RetryRow {
    const found = this.rows.filter((r) => {
      if (!r.answer.startsWith(`state ${state}`)) return false;
      if (r.answer.includes("one-shot") && twoStep) return false;
      if (r.answer.includes("two-step") && !twoStep) return false;
      if (r.answer.includes("before commit_before") && past) return false;
      if (r.answer.includes("past commit_before") && !past) return false;
      return true;
    });
    if (found.length !== 1) throw new Error(`${found.length} rows of the retry table fit state ${state}`);
    return found[0]!;
  }
}
