/**
 * Entries handed out in batches to `EntryChecks` (entry-verdict.ts) and their verdicts given back to
 * the verifier in file order, whatever order the batches finish in: the checks across entries then
 * see exactly what they see when every entry is checked on their own thread, so the report is the
 * same. Pure: the checks may run on other threads, but this only holds promises.
 */
import type { EntryChecks, EntryVerdict } from "./entry-verdict.js";
import { parseJsonText } from "./entry-verdict.js";
import type { ExportVerification } from "./report.js";
import { ExportVerifier, RECORDS_REQUIRED, type VerifyExportOptions } from "./verify-export.js";

/** How the pipeline's entries come. */
export interface EntryPipelineOptions {
  /** Entries are JSON texts (the line reader), not parsed values. */
  readonly text: boolean;
  /** The entries expected, for progress only. */
  readonly total?: number;
}

/** One verification's entries on their way through `EntryChecks`. */
export class EntryPipeline {
  private batch: unknown[] = [];
  private first = 0;
  /** Batches handed out, oldest first: their verdicts are taken in this order. */
  private readonly inFlight: Promise<readonly (EntryVerdict | null)[]>[] = [];
  private notJson = false;

  constructor(
    private readonly verifier: ExportVerifier,
    private readonly checks: EntryChecks,
    private readonly options: EntryPipelineOptions,
  ) {}

  /** Whether an entry's text was not JSON: the line reader then gives up on the layout. */
  get gaveUp(): boolean {
    return this.notJson;
  }

  /** Queues the next entry; waits only while enough batches are out. */
  async push(entry: unknown): Promise<void> {
    this.batch.push(entry);
    if (this.batch.length >= this.checks.entriesPerBatch) await this.handOut();
  }

  /** Hands out the last batch and gives the verifier every verdict (rejects if a batch failed). */
  async finish(): Promise<void> {
    await this.handOut();
    while (this.inFlight.length > 0 && !this.notJson) await this.takeOldest();
  }

  private async handOut(): Promise<void> {
    const entries = this.batch;
    if (entries.length === 0 || this.notJson) return;
    this.batch = [];
    const first = this.first;
    this.first += entries.length;
    const context = this.verifier.entryContext;
    if (context === null) {
      this.countOnly(entries);
      return;
    }
    while (this.inFlight.length >= this.checks.batchesInFlight && !this.notJson) await this.takeOldest();
    if (this.notJson) return;
    const verdicts = this.checks.check({ context, first, entries, text: this.options.text });
    // A batch failing while an older one is awaited is no unhandled rejection: its turn will come,
    // or the verification ends first (a line that is not JSON) and it no longer matters.
    verdicts.catch(() => undefined);
    this.inFlight.push(verdicts);
  }

  private async takeOldest(): Promise<void> {
    const verdicts = await this.inFlight.shift()!;
    for (const verdict of verdicts) {
      if (verdict === null) {
        this.notJson = true;
        return;
      }
      this.verifier.addVerdict(verdict, this.options.total);
    }
  }

  /** An unusable header: entries are only counted, yet a text that is not JSON still ends the layout. */
  private countOnly(entries: readonly unknown[]): void {
    for (const entry of entries) {
      if (this.options.text && parseJsonText(entry as string) === undefined) {
        this.notJson = true;
        return;
      }
      this.verifier.addVerdict(null, this.options.total);
    }
  }
}

/**
 * `verifyExport` with each entry's own checks run by `checks`: the same report, from as many threads
 * as `checks` uses. For a document parsed whole (not in the exporter's layout).
 */
export async function verifyExportWith(
  doc: unknown,
  checks: EntryChecks,
  options: VerifyExportOptions = {},
): Promise<ExportVerification> {
  const verifier = new ExportVerifier(doc, options);
  const records = (doc as { records?: unknown } | null)?.records;
  if (!Array.isArray(records)) {
    verifier.documentIssue({ ...RECORDS_REQUIRED });
    return verifier.finish();
  }
  const pipeline = new EntryPipeline(verifier, checks, { text: false, total: records.length });
  for (const raw of records) await pipeline.push(raw);
  await pipeline.finish();
  return verifier.finish();
}
