/**
 * The chaos invariant checker. After a scenario, with every fault cleared:
 *
 * (a) every participant (device journal, daemon store, and the cloud when wired) holds the same fiscal
 *     numbers 1..N, no duplicate, no gap, with byte-identical signed records;
 * (b) every key that got a 2xx resolves (GET /v1/invoices/{key}) to a sealed invoice with the fiscal
 *     number the client saw, and its record is in the journal; every key that got an error or no answer
 *     resolves, within the reconciliation allowance, to sealed (then its record is in the journal) or
 *     definitely not sealed (ABORTED, REJECTED or 404; then no journal record carries that key);
 * (c) every record's signature, chain and QR verify (journal export + the independent verifier);
 * (d) the daemon seals a fresh invoice afterwards, with fiscal number N+1.
 *
 * Failures are collected as sentences, not thrown one by one, so a report shows every broken invariant.
 */
import { sale } from "../../bench/system.js";
import {
  decodeRecord,
  type ExportVerification,
  fromBase64Url,
  fromHex,
  type JournalExport,
  verifyExport,
} from "../../protocol/index.js";
import { type ChaosCluster, journalParticipant, type Participant, storeParticipant } from "./cluster.js";
import { finalAttempt, type KeyOutcome } from "./workload.js";

/** How long an unresolved key may stay open (PREPARING/PREPARED) after the run, in ms. */
export const RESOLVE_TIMEOUT_MS = 60_000;
/** Pause between polls of an open key, in ms. */
const RESOLVE_POLL_MS = 200;
/** States that mean the device sealed the invoice. */
const SEALED = new Set(["FISCALIZED", "DELIVERED", "SYNCED"]);
/** States that mean the invoice was definitely not sealed, and never will be. */
const NOT_SEALED = new Set(["ABORTED", "REJECTED"]);

/** How one key resolved. */
export type Resolution =
  | { readonly kind: "sealed"; readonly fiscalNumber: number }
  | { readonly kind: "not-sealed"; readonly why: string }
  | { readonly kind: "open"; readonly state: string };

/** The checker's findings. */
export interface ChaosReport {
  readonly failures: string[];
  /** N: the journal's last fiscal number before the fresh invoice of (d). */
  readonly records: number;
  readonly keys: number;
  readonly ok2xx: number;
  readonly errors: number;
  readonly noAnswer: number;
  readonly resolvedSealed: number;
  readonly resolvedNotSealed: number;
  readonly verification: Pick<ExportVerification, "ok" | "counts" | "genesis_checked"> | null;
  /** Extra participants compared (the cloud, when wired). */
  readonly participants: string[];
}

/** Resolves one key by GET /v1/invoices/{key}, waiting while it is still open. */
async function resolveKey(cluster: ChaosCluster, key: string): Promise<Resolution> {
  const deadline = Date.now() + RESOLVE_TIMEOUT_MS;
  for (;;) {
    const reply = await cluster.api("GET", `/v1/invoices/${encodeURIComponent(key)}`);
    if (reply.status === 404) return { kind: "not-sealed", why: "404" };
    if (reply.status === 200) {
      const state = String(reply.body.state);
      if (SEALED.has(state))
        return { kind: "sealed", fiscalNumber: Number(reply.body.fiscal?.fiscal_number) };
      if (NOT_SEALED.has(state)) return { kind: "not-sealed", why: state };
      if (Date.now() > deadline) return { kind: "open", state };
    } else if (Date.now() > deadline) {
      return { kind: "open", state: `HTTP ${reply.status}` };
    }
    await new Promise((r) => setTimeout(r, RESOLVE_POLL_MS));
  }
}

/** Fiscal numbers 1..N exactly once each: returns what is wrong, or nothing. */
function sequenceProblems(name: string, numbers: readonly number[]): string[] {
  const problems: string[] = [];
  const seen = new Set<number>();
  for (const n of numbers) {
    if (seen.has(n)) problems.push(`${name}: fiscal number ${n} appears twice`);
    seen.add(n);
  }
  for (let n = 1; n <= numbers.length; n++) {
    if (!seen.has(n)) problems.push(`${name}: fiscal number ${n} is missing (gap)`);
  }
  return problems.slice(0, 20);
}

/**
 * Runs invariants (a)–(d) against a cluster whose faults are cleared and whose daemon is running.
 * `extra` participants (the cloud) are compared with the journal like the daemon store.
 */
export async function checkInvariants(
  cluster: ChaosCluster,
  outcomes: readonly KeyOutcome[],
  extra: readonly Participant[] = [],
): Promise<ChaosReport> {
  const failures: string[] = [];

  // (b), first half: resolve every key through the daemon while it runs.
  const resolutions = new Map<string, Resolution>();
  for (const o of outcomes) resolutions.set(o.key, await resolveKey(cluster, o.key));

  // Read the participants with the daemon stopped: the serial link and the store are then free.
  await cluster.stopDaemon();
  const doc: JournalExport = await cluster.exportJournal();
  const journal = await journalParticipant(doc).records();
  const participants: Participant[] = [storeParticipant(cluster), ...extra];

  // Over no keys or an empty journal every invariant below would hold without checking anything.
  if (outcomes.length === 0) failures.push("the workload issued no keys: nothing was checked");
  if (journal.length === 0) failures.push("the device journal holds no record: nothing was sealed");

  // (a) same fiscal numbers everywhere, 1..N, no duplicate, no gap, same bytes.
  failures.push(
    ...sequenceProblems(
      "device journal",
      journal.map((r) => r.fiscalNumber),
    ),
  );
  const journalBytes = new Map(journal.map((r) => [r.fiscalNumber, r.record]));
  for (const p of participants) {
    const held = await p.records();
    failures.push(
      ...sequenceProblems(
        p.name,
        held.map((r) => r.fiscalNumber),
      ),
    );
    if (held.length !== journal.length) {
      failures.push(`${p.name} holds ${held.length} records, the device journal ${journal.length}`);
    }
    for (const r of held) {
      const j = journalBytes.get(r.fiscalNumber);
      if (j === undefined) failures.push(`${p.name}: fiscal number ${r.fiscalNumber} is not in the journal`);
      else if (j !== r.record)
        failures.push(`${p.name}: record ${r.fiscalNumber} differs from the journal's`);
    }
  }

  // (b), second half: every resolution agrees with the journal, by client_ref. The clients send no
  // client_ref, so the daemon makes it from the key: `<api key id>:<key>` (docs/API.md §2; the chaos
  // keys are short enough never to be hashed).
  const byClientRef = new Map<string, number>();
  for (const r of doc.records)
    byClientRef.set(decodeRecord(fromBase64Url(r.record)).client_ref, r.fiscal_number);
  const apiKeyId = cluster.key.slice("stl_".length, "stl_".length + 12);
  const journalNumberOf = (key: string): number | undefined => byClientRef.get(`${apiKeyId}:${key}`);
  let ok2xx = 0;
  let errors = 0;
  let noAnswer = 0;
  let resolvedSealed = 0;
  let resolvedNotSealed = 0;
  for (const o of outcomes) {
    const last = finalAttempt(o);
    const res = resolutions.get(o.key)!;
    const inJournal = journalNumberOf(o.key);
    if (last.kind === "ok") ok2xx++;
    else if (last.kind === "error") errors++;
    else noAnswer++;
    if (res.kind === "open") {
      failures.push(`${o.key} (${o.type}) is still ${res.state} after ${RESOLVE_TIMEOUT_MS} ms`);
      continue;
    }
    if (res.kind === "sealed") {
      resolvedSealed++;
      if (inJournal !== res.fiscalNumber) {
        failures.push(
          `${o.key} is sealed as ${res.fiscalNumber} by the daemon, the journal has ${inJournal}`,
        );
      }
      if (last.kind === "ok" && last.fiscalNumber !== res.fiscalNumber) {
        failures.push(`${o.key} got ${last.fiscalNumber} in its 2xx but resolves to ${res.fiscalNumber}`);
      }
    } else {
      resolvedNotSealed++;
      if (last.kind === "ok") failures.push(`${o.key} got a 2xx but resolves to not sealed (${res.why})`);
      if (inJournal !== undefined) {
        failures.push(
          `${o.key} resolves to not sealed (${res.why}) but the journal holds it as ${inJournal}`,
        );
      }
    }
  }

  // (c) every signature, the chain from the activation record, every QR.
  // The key is pinned to the one the emulator announced, not taken from the file.
  const verification = verifyExport(doc, { publicKey: fromHex(cluster.emulator.ready.public_key) });
  if (!verification.ok) {
    const detail = {
      counts: verification.counts,
      document_issues: verification.document_issues,
      failures: verification.failures.slice(0, 10),
    };
    failures.push(`journal verification failed: ${JSON.stringify(detail)}`);
  }

  // (d) the daemon comes back and seals a fresh invoice as N+1.
  await cluster.startDaemon();
  const fresh = await cluster.api("POST", "/v1/invoices", sale(1_000), {
    "idempotency-key": `fresh-${Date.now()}`,
  });
  if (fresh.status !== 201)
    failures.push(`a fresh invoice after the run got ${fresh.status}: ${JSON.stringify(fresh.body)}`);
  else if (fresh.body.fiscal.fiscal_number !== journal.length + 1) {
    failures.push(`the fresh invoice got ${fresh.body.fiscal.fiscal_number}, expected ${journal.length + 1}`);
  }

  return {
    failures,
    records: journal.length,
    keys: outcomes.length,
    ok2xx,
    errors,
    noAnswer,
    resolvedSealed,
    resolvedNotSealed,
    verification: {
      ok: verification.ok,
      counts: verification.counts,
      genesis_checked: verification.genesis_checked,
    },
    participants: participants.map((p) => p.name),
  };
}
