/**
 * A worker thread of `stalela verify` (cli/verify-pool.ts loads this file by name through piscina):
 * each task is one batch of export entries, answered with their own verdicts. All the work is
 * protocol's (protocol/audit/entry-verdict.ts); this file only puts it on a thread.
 *
 * Why CommonJS: piscina loads its worker file with `require()` first, and Node 20.19+ then loads an
 * ES module synchronously (require(esm)); a thread terminated in the middle of that (the pool stopped
 * while a thread is still starting, as after a small export) aborts the whole process ("FATAL ERROR:
 * v8::Module::IsGraphAsync"). Required as CommonJS, this file loads protocol with `import()` instead,
 * which a terminated thread abandons cleanly.
 */
import type { EntryBatch, EntryVerdict } from "../protocol/audit/entry-verdict.js";

// Started at once, so a thread is ready by the time its first batch comes.
const protocol = import("../protocol/audit/entry-verdict.js");
// A failed load is reported by the first batch's rejection, not as an unhandled one.
protocol.catch(() => undefined);

/** Checks one batch; piscina clones the verdicts back to the verifier's thread. */
async function checkExportEntries(batch: EntryBatch): Promise<(EntryVerdict | null)[]> {
  return (await protocol).checkEntryBatch(batch);
}

export = checkExportEntries;
