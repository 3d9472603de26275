/**
 * The daemon's upload credential for the Stalela Cloud, issued at activation (docs/CLOUD_API.md
 * §Authentication). Rows are kept when a credential is replaced (retired_at set) so an audit can tell
 * which credential was live when, but a retired row keeps only the credential's fingerprint
 * (migration 5): a stolen copy of the store holds one usable secret, the live one. The file lives in
 * the state directory, which only the daemon user can read (0700, files 0600).
 */
import type { AuditLog } from "./audit.js";
import { credentialFingerprint } from "./credential-fingerprint.js";
import { type Db, statement } from "./database.js";

/** The live credential. */
export interface CloudCredential {
  readonly deviceId: string;
  readonly credential: string;
  readonly issuedAt: number;
}

/** Reads and replaces the credential. */
export class CloudCredentialStore {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly now: () => number = Date.now,
  ) {}

  /** The live credential, if the daemon was ever activated with the cloud. */
  current(): CloudCredential | undefined {
    // Read on every status call (the sync conditions): a cached statement.
    const row = statement(
      this.db,
      "SELECT device_id, credential, issued_at FROM cloud_credentials WHERE retired_at IS NULL ORDER BY id DESC LIMIT 1",
    ).get() as { device_id: string; credential: string; issued_at: number } | undefined;
    return row && { deviceId: row.device_id, credential: row.credential, issuedAt: row.issued_at };
  }

  /**
   * Makes `credential` the live one, retiring the previous one, in one transaction: the retired row
   * keeps its fingerprint, its secret is erased.
   */
  replace(deviceId: string, credential: string, actor: string): void {
    const at = this.now();
    const fingerprint = credentialFingerprint(credential);
    this.db
      .transaction(() => {
        this.db
          .prepare("UPDATE cloud_credentials SET retired_at = ?, credential = '' WHERE retired_at IS NULL")
          .run(at);
        this.db
          .prepare(
            "INSERT INTO cloud_credentials (device_id, credential, fingerprint, issued_at) VALUES (?, ?, ?, ?)",
          )
          .run(deviceId, credential, fingerprint, at);
        // The secret itself never goes into the audit log; its fingerprint names it.
        this.audit.append(actor, "cloud.credential", { device_id: deviceId, fingerprint });
      })
      .immediate();
    // The retired secret is zeroed in its page (secure_delete, database.ts), but the page's old image
    // stays in the database file until a checkpoint copies the new one over it, and the WAL keeps
    // frames until it is reset: both now, not at the next automatic checkpoint. Best effort: a reader
    // of an older snapshot (the CLI) holds the checkpoint back, and the next one finishes it.
    this.db.pragma("wal_checkpoint(TRUNCATE)");
  }
}
