/**
 * Where journaled reports sit in the journal's one hash chain (docs/PROTOCOL.md §13.1). Each entry's
 * prev_hash is the hash of the entry the device made just before it: an invoice record or a
 * journaled report. A report made after invoice A (its after_fiscal_number) follows invoice A, or
 * another report made after A; invoice A + 1 follows the last of them. So the reports after A, read
 * from invoice A's hash (the genesis hash when A is 0), form one path, and its end is what invoice
 * A + 1 must name as prev_hash.
 */

/** A journaled report's link: the hash of its bytes and its prev_hash, in any encoding both share. */
export interface ReportLink {
  readonly hash: string;
  readonly prev: string;
}

/**
 * The reports made after one invoice, in chain order from `start` (that invoice's hash, or the
 * genesis hash for reports before the first invoice), and those that are not on that path: a
 * report whose prev_hash names no entry before it, or a second report naming the same one (a fork).
 */
export function reportsAfter<T extends ReportLink>(
  start: string,
  reports: readonly T[],
): { readonly ordered: T[]; readonly unlinked: T[] } {
  const byPrev = new Map<string, T[]>();
  for (const r of reports) byPrev.set(r.prev, [...(byPrev.get(r.prev) ?? []), r]);
  const ordered: T[] = [];
  const seen = new Set<T>();
  for (let at = start; ; ) {
    const next = byPrev.get(at);
    if (next === undefined || next.length !== 1 || seen.has(next[0]!)) break;
    ordered.push(next[0]!);
    seen.add(next[0]!);
    at = next[0]!.hash;
  }
  return { ordered, unlinked: reports.filter((r) => !seen.has(r)) };
}

/** The hash the next invoice must name as prev_hash: the end of the reports' path from `start`. */
export function chainTipAfter(start: string, reports: readonly ReportLink[]): string {
  const { ordered } = reportsAfter(start, reports);
  return ordered.length === 0 ? start : ordered[ordered.length - 1]!.hash;
}
