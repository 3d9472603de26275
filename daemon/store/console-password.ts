/**
 * The operator console's password (docs/CONSOLE.md §Access): one per shop PC, set or reset by a
 * technician from the CLI on the machine (`stalela console password`), kept in the store as a
 * scrypt hash (RFC 7914: memory-hard, from node:crypto) with its own random salt and cost. The
 * password itself is never stored or logged. Hashing runs on libuv's thread pool, never on the event
 * loop that serves the POS.
 */
import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from "node:crypto";
import { FiscalError } from "../../protocol/index.js";
import type { AuditLog } from "./audit.js";
import { type Db, statement } from "./database.js";

/** scrypt's cost: 2^15 × 8 × 128 B = 32 MiB of memory and ~50–100 ms per attempt on a shop PC. */
export const SCRYPT_PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
/** Bytes of salt and of derived key. */
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Shortest and longest password accepted, in characters. */
export const PASSWORD_MIN_CHARS = 10;
export const PASSWORD_MAX_CHARS = 256;

type Params = { readonly N: number; readonly r: number; readonly p: number };

function derive(password: string, salt: Uint8Array, params: Params): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 128 * params.N * params.r * 2 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize("NFC"), salt, KEY_BYTES, options, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

interface Row {
  readonly params_json: string;
  readonly salt: Buffer;
  readonly hash: Buffer;
  readonly set_at: number;
}

/** The console password in the store. */
export class ConsolePasswords {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly now: () => number = Date.now,
  ) {}

  /** When the password was last set (ms), or null when none is set: the console then refuses every login. */
  setAt(): number | null {
    return this.row()?.set_at ?? null;
  }

  /** Sets (or resets) the password; FIELD_RANGE for one too short or too long. */
  async set(password: string, actor: string): Promise<void> {
    const length = [...password].length;
    if (length < PASSWORD_MIN_CHARS || length > PASSWORD_MAX_CHARS) {
      throw new FiscalError(
        "FIELD_RANGE",
        `the console password must have ${PASSWORD_MIN_CHARS} to ${PASSWORD_MAX_CHARS} characters`,
      );
    }
    const salt = randomBytes(SALT_BYTES);
    const hash = await derive(password, salt, SCRYPT_PARAMS);
    const reset = this.row() !== undefined;
    this.db.transaction(() => {
      statement(
        this.db,
        `INSERT INTO console_password (id, algorithm, params_json, salt, hash, set_at) VALUES (1, 'scrypt', ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET algorithm = excluded.algorithm, params_json = excluded.params_json,
             salt = excluded.salt, hash = excluded.hash, set_at = excluded.set_at`,
      ).run(JSON.stringify(SCRYPT_PARAMS), salt, hash, this.now());
      this.audit.append(actor, reset ? "console.password.reset" : "console.password.set", {});
    })();
  }

  /** True when `password` is the one set; false when it is not, or when none is set. */
  async verify(password: string): Promise<boolean> {
    const row = this.row();
    if (row === undefined || password.length > PASSWORD_MAX_CHARS * 4) return false;
    const key = await derive(password, row.salt, JSON.parse(row.params_json) as Params);
    return key.length === row.hash.length && timingSafeEqual(key, row.hash);
  }

  private row(): Row | undefined {
    return statement(
      this.db,
      "SELECT params_json, salt, hash, set_at FROM console_password WHERE id = 1",
    ).get() as Row | undefined;
  }
}
