/**
 * The chaos suite's system under test: the real `stalela emulator` on a PTY and the real `stalela
 * daemon` (bench/system.ts), plus what chaos needs on top: SIGKILL and restart of either process, and
 * read-outs of each participant's fiscal records after a run (the device journal over the serial link,
 * the daemon's SQLite store read-only). A participant is anything that holds fiscal records: when the
 * cloud emulator and the daemon's sync agent are wired, the cloud becomes one more participant.
 */
import { join } from "node:path";
import Database from "better-sqlite3";
import { System } from "../../bench/system.js";
import { createFiscalDevice } from "../../daemon/device/index.js";
import { openJournalExport } from "../../daemon/export/journal-export.js";
import type { ExportedRecord, JournalExport } from "../../protocol/index.js";

/** How long the daemon may take to reconcile after the device came back, in ms. */
export const RECONCILE_TIMEOUT_MS = 30_000;
/** How long the serial link may take to connect for a journal read-out, in ms. */
const LINK_CONNECT_TIMEOUT_MS = 10_000;

/** One fiscal record as a participant holds it. */
export interface HeldRecord {
  readonly fiscalNumber: number;
  /** base64url of the signed record bytes, so participants can be compared byte for byte. */
  readonly record: string;
}

/** A holder of fiscal records the checker compares (device journal, daemon store, cloud). */
export interface Participant {
  readonly name: string;
  records(): Promise<readonly HeldRecord[]>;
}

/** Emulator + daemon, killable and restartable, with read-outs. */
export class ChaosCluster extends System {
  /** The emulator arguments in force, reused on every restart. */
  private emulatorExtra: string[] = [];

  /** Starts the emulator with `extra` flags (kept for restarts), activates it, makes a key, starts the daemon. */
  async boot(extra: string[] = []): Promise<this> {
    this.emulatorExtra = extra;
    return this.start({ emulatorArgs: extra });
  }

  /** SIGKILLs the daemon and starts it again on the same state and port; resolves once it reconciled. */
  async crashDaemon(): Promise<void> {
    await this.killDaemon();
    await this.startDaemon();
  }

  /** SIGKILLs the emulator, restarts it on the same fiscal memory and waits for the daemon to reconcile. */
  async crashEmulator(): Promise<void> {
    this.emulator.child.kill("SIGKILL");
    await this.emulator.exited;
    const offset = this.daemon.log().length;
    await this.startEmulator(this.emulatorExtra);
    await this.waitReconciled(offset, RECONCILE_TIMEOUT_MS);
  }

  /** Unplugs the device link through the emulator's control channel; waits for the daemon to reconcile. */
  async unplug(): Promise<void> {
    const offset = this.daemon.log().length;
    await this.control("POST", "/disconnect");
    await this.waitReconciled(offset, RECONCILE_TIMEOUT_MS);
  }

  /** Stops the daemon gracefully (SIGTERM), so the serial link and the store are free to read. */
  async stopDaemon(): Promise<void> {
    const child = this.daemon.child;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await this.daemon.exited;
    }
  }

  /** The whole device journal as an export document, read over the serial link (daemon stopped). */
  async exportJournal(): Promise<JournalExport> {
    const device = createFiscalDevice(`serial:${this.linkPath}`);
    await device.open();
    try {
      await device.session.waitConnected(LINK_CONNECT_TIMEOUT_MS);
      const stream = await openJournalExport(device);
      const records: ExportedRecord[] = [];
      for await (const page of stream.pages) records.push(...page);
      return { ...stream.header, records };
    } finally {
      await device.close();
    }
  }

  /** The daemon store's fiscal records, read-only (daemon stopped). */
  storeRecords(): HeldRecord[] {
    const db = new Database(join(this.daemonState, "daemon.sqlite"), { readonly: true, fileMustExist: true });
    try {
      const rows = db
        .prepare("SELECT fiscal_number, record FROM fiscal_records ORDER BY fiscal_number")
        .all() as { fiscal_number: number; record: Buffer }[];
      return rows.map((r) => ({ fiscalNumber: r.fiscal_number, record: r.record.toString("base64url") }));
    } finally {
      db.close();
    }
  }
}

/** The device journal of an export as a participant. */
export function journalParticipant(doc: JournalExport): Participant {
  return {
    name: "device journal",
    records: async () => doc.records.map((r) => ({ fiscalNumber: r.fiscal_number, record: r.record })),
  };
}

/** The daemon store as a participant. */
export function storeParticipant(cluster: ChaosCluster): Participant {
  return { name: "daemon store", records: async () => cluster.storeRecords() };
}
