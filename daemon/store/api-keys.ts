/**
 * POS API keys. A key is `stl_<id>_<secret>`: the id finds the row, the secret is checked against its
 * stored SHA-256 in constant time. Secrets are 32 random bytes, so a fast hash is enough (no password
 * stretching needed) and the plain key is shown once, at creation, and never stored or logged.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { FiscalError, REF_PATTERN } from "../../protocol/index.js";
import type { ApiKeyVerifier, Caller } from "../fiscal/types.js";
import type { AuditLog } from "./audit.js";
import { type Db, statement } from "./database.js";

/** Bytes of randomness in a key's secret part. */
export const API_KEY_SECRET_BYTES = 32;
/** Bytes of randomness behind a key id (12 base64url characters). */
export const API_KEY_ID_BYTES = 9;
/** What a key id may start with: base64url's first 62 characters, never `-` (nor `_`). */
const ID_FIRST_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const KEY_FORMAT = /^stl_([A-Za-z0-9_-]{12})_([A-Za-z0-9_-]{43})$/;
const refPattern = new RegExp(REF_PATTERN);

/** An API key as listed (never with its secret). */
export interface ApiKeyInfo {
  readonly id: string;
  readonly cashier_id: string;
  readonly label: string | null;
  readonly created_at: string;
  readonly revoked_at: string | null;
}

interface KeyRow {
  id: string;
  cashier_id: string;
  label: string | null;
  secret_hash: Buffer;
  created_at: number;
  revoked_at: number | null;
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/**
 * A key id from API_KEY_ID_BYTES random bytes: their base64url, whose first character is taken from
 * ID_FIRST_CHARS. An id starting with `-` reads as an option on a command line (`stalela keys revoke
 * -_fvRXGGTnUU` was "unknown option"), and plain base64url started with `-` once in 64 ids. The first
 * character is base64url's own for 62 of its 64 values (`-` becomes `A`, `_` becomes `B`), so ids keep
 * their format (KEY_FORMAT) and 71.9 of their 72 bits; ids made before still verify and revoke.
 */
export function apiKeyIdOf(bytes: Uint8Array): string {
  if (bytes.length !== API_KEY_ID_BYTES) throw new RangeError(`a key id takes ${API_KEY_ID_BYTES} bytes`);
  const text = Buffer.from(bytes).toString("base64url");
  return `${ID_FIRST_CHARS[(bytes[0]! >> 2) % ID_FIRST_CHARS.length]}${text.slice(1)}`;
}

/** Creates, lists, revokes and verifies API keys. */
export class ApiKeyStore implements ApiKeyVerifier {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly now: () => number = Date.now,
    private readonly random: (size: number) => Uint8Array = randomBytes,
  ) {}

  /** Creates a key bound to a cashier. Returns the plain key: the only time it exists. */
  create(cashierId: string, label: string | null, actor: string): { key: string; info: ApiKeyInfo } {
    if (!refPattern.test(cashierId)) {
      throw new FiscalError("FIELD_TYPE", `cashier id must match ${REF_PATTERN}`, {
        issues: [{ path: "/cashier_id", code: 302, message: `must match ${REF_PATTERN}` }],
      });
    }
    const id = apiKeyIdOf(this.random(API_KEY_ID_BYTES));
    const secret = Buffer.from(this.random(API_KEY_SECRET_BYTES)).toString("base64url");
    const at = this.now();
    this.db
      .transaction(() => {
        statement(
          this.db,
          "INSERT INTO api_keys (id, cashier_id, label, secret_hash, created_at) VALUES (?, ?, ?, ?, ?)",
        ).run(id, cashierId, label, sha256(secret), at);
        this.audit.append(actor, "api-key.create", { id, cashier_id: cashierId, label });
      })
      .immediate();
    return { key: `stl_${id}_${secret}`, info: this.info(id)! };
  }

  /** Revokes a key; revoking twice is harmless. Throws RECORD_NOT_FOUND for an unknown id. */
  revoke(id: string, actor: string): ApiKeyInfo {
    if (this.info(id) === undefined) throw new FiscalError("RECORD_NOT_FOUND", `no API key ${id}`);
    this.db
      .transaction(() => {
        statement(this.db, "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL").run(
          this.now(),
          id,
        );
        this.audit.append(actor, "api-key.revoke", { id });
      })
      .immediate();
    return this.info(id)!;
  }

  /** Every key, newest first. */
  list(): ApiKeyInfo[] {
    const rows = statement(this.db, "SELECT * FROM api_keys ORDER BY created_at DESC, id").all() as KeyRow[];
    return rows.map(toInfo);
  }

  /** One key's public details. */
  info(id: string): ApiKeyInfo | undefined {
    const row = statement(this.db, "SELECT * FROM api_keys WHERE id = ?").get(id) as KeyRow | undefined;
    return row && toInfo(row);
  }

  /** Resolves a presented key to its caller. Throws AUTH_INVALID or AUTH_REVOKED. */
  verify(presentedKey: string): Caller {
    const match = KEY_FORMAT.exec(presentedKey);
    const row =
      match &&
      (statement(this.db, "SELECT * FROM api_keys WHERE id = ?").get(match[1]) as KeyRow | undefined);
    // Compare even when the id is unknown, so timing does not tell which ids exist.
    const expected = row?.secret_hash ?? Buffer.alloc(32);
    const ok = timingSafeEqual(sha256(match?.[2] ?? presentedKey), expected) && row !== undefined;
    if (!ok || !row) throw new FiscalError("AUTH_INVALID");
    if (row.revoked_at !== null) throw new FiscalError("AUTH_REVOKED");
    return row.label === null
      ? { apiKeyId: row.id, cashierId: row.cashier_id }
      : { apiKeyId: row.id, cashierId: row.cashier_id, label: row.label };
  }
}

function toInfo(row: KeyRow): ApiKeyInfo {
  return {
    id: row.id,
    cashier_id: row.cashier_id,
    label: row.label,
    created_at: new Date(row.created_at).toISOString(),
    revoked_at: row.revoked_at === null ? null : new Date(row.revoked_at).toISOString(),
  };
}
