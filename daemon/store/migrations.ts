/**
 * Numbered schema migrations: migration N brings the store from version N-1 to N. Never edit a
 * migration that has shipped; add the next one. Fiscal tables are append-only, enforced by triggers,
 * so not even a bug in this daemon can rewrite or delete a sealed record.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: invoices, their transitions, sealed records, outbox, API keys, audit log, device binding.
  `
  CREATE TABLE invoices (
    id TEXT PRIMARY KEY,
    idempotency_key TEXT,
    request_fingerprint TEXT,
    client_ref TEXT NOT NULL,
    type TEXT NOT NULL,
    state TEXT NOT NULL,
    api_key_id TEXT,
    cashier_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    totals_json TEXT NOT NULL,
    payload BLOB,
    payload_hash BLOB NOT NULL,
    ref_device_id TEXT,
    ref_fiscal_number INTEGER,
    nonce BLOB,
    commit_before INTEGER,
    error_code INTEGER,
    error_message TEXT,
    source TEXT NOT NULL DEFAULT 'pos',
    mode TEXT NOT NULL DEFAULT 'one-shot',
    created_at INTEGER NOT NULL
  );
  CREATE UNIQUE INDEX invoices_live_idempotency_key ON invoices(idempotency_key)
    WHERE idempotency_key IS NOT NULL AND state <> 'ABORTED';
  CREATE INDEX invoices_idempotency_key ON invoices(idempotency_key);
  CREATE INDEX invoices_payload_hash ON invoices(payload_hash);
  CREATE INDEX invoices_state ON invoices(state);
  CREATE INDEX invoices_created ON invoices(created_at);
  CREATE INDEX invoices_reference ON invoices(ref_device_id, ref_fiscal_number);
  CREATE INDEX invoices_client_ref ON invoices(client_ref);

  CREATE TABLE invoice_transitions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    invoice_id TEXT NOT NULL REFERENCES invoices(id),
    state TEXT NOT NULL,
    at INTEGER NOT NULL,
    note TEXT
  );
  CREATE INDEX invoice_transitions_invoice ON invoice_transitions(invoice_id);

  CREATE TABLE fiscal_records (
    device_id TEXT NOT NULL,
    fiscal_number INTEGER NOT NULL,
    invoice_id TEXT NOT NULL UNIQUE REFERENCES invoices(id),
    type_number INTEGER NOT NULL,
    issued_at INTEGER NOT NULL,
    record BLOB NOT NULL,
    signature BLOB NOT NULL,
    auth_code TEXT NOT NULL,
    qr TEXT NOT NULL,
    record_hash BLOB NOT NULL,
    stored_at INTEGER NOT NULL,
    PRIMARY KEY (device_id, fiscal_number)
  );

  CREATE TABLE outbox (
    invoice_id TEXT PRIMARY KEY REFERENCES invoices(id),
    seq INTEGER NOT NULL UNIQUE,
    status TEXT NOT NULL DEFAULT 'PENDING',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT,
    dgi_status TEXT,
    enqueued_at INTEGER NOT NULL,
    acked_at INTEGER
  );
  CREATE INDEX outbox_due ON outbox(status, next_attempt_at);

  CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    cashier_id TEXT NOT NULL,
    label TEXT,
    secret_hash BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
  );

  CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    details_json TEXT NOT NULL
  );

  CREATE TABLE device_binding (
    device_id TEXT PRIMARY KEY,
    public_key BLOB NOT NULL,
    merchant_nif TEXT NOT NULL,
    outlet_id TEXT NOT NULL,
    fiscal_authority_id TEXT NOT NULL,
    activation BLOB,
    bound_at INTEGER NOT NULL
  );

  CREATE TRIGGER fiscal_records_no_update BEFORE UPDATE ON fiscal_records
    BEGIN SELECT RAISE(ABORT, 'fiscal records are immutable'); END;
  CREATE TRIGGER fiscal_records_no_delete BEFORE DELETE ON fiscal_records
    BEGIN SELECT RAISE(ABORT, 'fiscal records are never deleted'); END;
  CREATE TRIGGER invoice_transitions_no_update BEFORE UPDATE ON invoice_transitions
    BEGIN SELECT RAISE(ABORT, 'transitions are append-only'); END;
  CREATE TRIGGER invoice_transitions_no_delete BEFORE DELETE ON invoice_transitions
    BEGIN SELECT RAISE(ABORT, 'transitions are append-only'); END;
  CREATE TRIGGER invoices_no_delete BEFORE DELETE ON invoices
    BEGIN SELECT RAISE(ABORT, 'invoices are never deleted'); END;
  CREATE TRIGGER invoices_payload_immutable BEFORE UPDATE OF payload, payload_hash, client_ref, type, totals_json,
    cashier_id, api_key_id, idempotency_key, request_fingerprint ON invoices
    BEGIN SELECT RAISE(ABORT, 'an invoice''s content is immutable'); END;
  CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  `,
  // 2: cloud sync and activation. `sync_attempts` is the append-only log of every upload attempt the
  // DGI's surveillance rules ask for; `outbox.ack_outcome` keeps how the cloud answered each invoice;
  // `cloud_failures` counts only the attempts the cloud answered with an error (an unreachable cloud
  // never makes an invoice FAILED: a shop may be offline for a week); the partial index lets the agent
  // read pending rows in seq order without walking acked ones.
  `
  ALTER TABLE outbox ADD COLUMN ack_outcome TEXT;
  ALTER TABLE outbox ADD COLUMN cloud_failures INTEGER NOT NULL DEFAULT 0;
  CREATE INDEX outbox_pending_seq ON outbox(seq) WHERE status = 'PENDING';

  CREATE TABLE sync_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    items INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    accepted INTEGER NOT NULL DEFAULT 0,
    duplicate INTEGER NOT NULL DEFAULT 0,
    rejected INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    duration_ms INTEGER NOT NULL
  );
  CREATE INDEX sync_attempts_outcome ON sync_attempts(outcome, at);
  CREATE TRIGGER sync_attempts_no_update BEFORE UPDATE ON sync_attempts
    BEGIN SELECT RAISE(ABORT, 'the sync attempt log is append-only'); END;
  CREATE TRIGGER sync_attempts_no_delete BEFORE DELETE ON sync_attempts
    BEGIN SELECT RAISE(ABORT, 'the sync attempt log is append-only'); END;

  CREATE TABLE cloud_credentials (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id TEXT NOT NULL,
    credential TEXT NOT NULL,
    issued_at INTEGER NOT NULL,
    retired_at INTEGER
  );

  CREATE TABLE activation_progress (
    device_id TEXT PRIMARY KEY,
    step TEXT NOT NULL,
    bundle BLOB NOT NULL,
    bundle_signature BLOB NOT NULL,
    activation BLOB,
    activation_signature BLOB,
    credential TEXT,
    updated_at INTEGER NOT NULL
  );
  `,
  // 3: the outbox depth per status, kept by triggers in the same transaction as every outbox write,
  // so status and the admin channel read the backlog in O(1). Counting it (a scan of the pending rows)
  // took 10-15 ms with a million invoices pending, and blocked the event loop once a second.
  `
  CREATE TABLE outbox_counts (status TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
  INSERT INTO outbox_counts (status, n) SELECT status, COUNT(*) FROM outbox GROUP BY status;
  CREATE TRIGGER outbox_counts_insert AFTER INSERT ON outbox BEGIN
    INSERT INTO outbox_counts (status, n) VALUES (NEW.status, 1)
      ON CONFLICT (status) DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER outbox_counts_update AFTER UPDATE OF status ON outbox WHEN OLD.status IS NOT NEW.status BEGIN
    UPDATE outbox_counts SET n = n - 1 WHERE status = OLD.status;
    INSERT INTO outbox_counts (status, n) VALUES (NEW.status, 1)
      ON CONFLICT (status) DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER outbox_counts_delete AFTER DELETE ON outbox BEGIN
    UPDATE outbox_counts SET n = n - 1 WHERE status = OLD.status;
  END;
  `,
  // 4: Idempotency-Keys scoped per API key and bound to one invoice forever (docs/API.md §2). A key is
  // bound when its invoice reaches a state the POS may act on: PREPARED in two-step mode, sealed, or a
  // final refusal. An attempt that ended before that (a retryable refusal, a crash before COMMIT) stays
  // on record but binds nothing, so the same key fiscalises once the condition clears. Existing keys
  // bind to their sealed invoice, else to their latest two-step or final one. Chain breaks found by
  // reconciliation are kept until a technician acknowledges them. The outbox, the device binding and
  // the cloud credentials get the no-delete triggers the other fiscal tables have.
  `
  DROP INDEX IF EXISTS invoices_live_idempotency_key;
  CREATE INDEX invoices_scoped_key ON invoices(api_key_id, idempotency_key);
  CREATE INDEX invoices_nonce ON invoices(nonce) WHERE nonce IS NOT NULL;

  CREATE TABLE idempotency_keys (
    api_key_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    invoice_id TEXT NOT NULL UNIQUE REFERENCES invoices(id),
    bound_at INTEGER NOT NULL,
    PRIMARY KEY (api_key_id, idempotency_key)
  ) WITHOUT ROWID;
  INSERT OR IGNORE INTO idempotency_keys (api_key_id, idempotency_key, invoice_id, bound_at)
    SELECT COALESCE(api_key_id, ''), idempotency_key, id, created_at FROM invoices
     WHERE idempotency_key IS NOT NULL AND state <> 'PREPARING'
       AND NOT (mode = 'one-shot' AND state IN ('PREPARED', 'ABORTED'))
       -- A refusal by a condition that clears is not final: the codes of RETRYABLE_ERRORS.
       AND NOT (state = 'REJECTED' AND error_code IN (100, 101, 102, 104, 105, 106, 108, 109, 110, 119, 120,
         200, 202, 203, 210, 211, 212, 213, 220, 321, 325, 400, 410, 500))
     ORDER BY state IN ('FISCALIZED', 'DELIVERED', 'SYNCED') DESC, rowid DESC;
  CREATE TRIGGER idempotency_keys_no_update BEFORE UPDATE ON idempotency_keys
    BEGIN SELECT RAISE(ABORT, 'an Idempotency-Key is bound forever'); END;
  CREATE TRIGGER idempotency_keys_no_delete BEFORE DELETE ON idempotency_keys
    BEGIN SELECT RAISE(ABORT, 'an Idempotency-Key is bound forever'); END;

  CREATE TABLE chain_breaks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id TEXT NOT NULL,
    fiscal_number INTEGER NOT NULL,
    found_at INTEGER NOT NULL,
    acknowledged_at INTEGER,
    acknowledged_by TEXT,
    UNIQUE (device_id, fiscal_number)
  );
  CREATE INDEX chain_breaks_open ON chain_breaks(acknowledged_at) WHERE acknowledged_at IS NULL;
  CREATE TRIGGER chain_breaks_no_delete BEFORE DELETE ON chain_breaks
    BEGIN SELECT RAISE(ABORT, 'chain breaks are never deleted'); END;
  CREATE TRIGGER chain_breaks_ack_only BEFORE UPDATE OF id, device_id, fiscal_number, found_at ON chain_breaks
    BEGIN SELECT RAISE(ABORT, 'a chain break is only ever acknowledged'); END;
  CREATE TRIGGER chain_breaks_ack_once BEFORE UPDATE ON chain_breaks WHEN OLD.acknowledged_at IS NOT NULL
    BEGIN SELECT RAISE(ABORT, 'an acknowledged chain break stays acknowledged'); END;

  CREATE TRIGGER outbox_no_delete BEFORE DELETE ON outbox
    BEGIN SELECT RAISE(ABORT, 'outbox entries are never deleted'); END;
  CREATE TRIGGER device_binding_no_delete BEFORE DELETE ON device_binding
    BEGIN SELECT RAISE(ABORT, 'a device binding is never deleted'); END;
  CREATE TRIGGER device_binding_no_update BEFORE UPDATE ON device_binding
    BEGIN SELECT RAISE(ABORT, 'a device binding is immutable'); END;
  CREATE TRIGGER cloud_credentials_no_delete BEFORE DELETE ON cloud_credentials
    BEGIN SELECT RAISE(ABORT, 'cloud credentials are never deleted, only retired'); END;
  CREATE TRIGGER cloud_credentials_retire_only BEFORE UPDATE OF id, device_id, credential, issued_at ON cloud_credentials
    BEGIN SELECT RAISE(ABORT, 'a cloud credential is only ever retired'); END;
  `,
  // 5: secrets kept only while they are needed (docs/SECURITY.md). A retired cloud credential keeps
  // its fingerprint (the first 16 hex digits of its SHA-256, credential-fingerprint.ts, computed by the
  // SQL function the daemon registers before migrating) and loses its secret; every row gets its
  // fingerprint. The no-delete rule stays; the retire-only trigger of migration 4 is replaced by ones
  // that also allow the one change retiring now makes (credential to ''), and refuse a retired row
  // that still holds its secret. The progress copy of the credential goes once activation is done,
  // and a trigger clears it whenever a row reaches 'done' with one.
  `
  ALTER TABLE cloud_credentials ADD COLUMN fingerprint TEXT;
  DROP TRIGGER cloud_credentials_retire_only;
  UPDATE cloud_credentials SET fingerprint = stalela_credential_fingerprint(credential);
  UPDATE cloud_credentials SET credential = '' WHERE retired_at IS NOT NULL;
  CREATE TRIGGER cloud_credentials_retire_only BEFORE UPDATE OF id, device_id, issued_at, fingerprint
    ON cloud_credentials
    BEGIN SELECT RAISE(ABORT, 'a cloud credential is only ever retired'); END;
  CREATE TRIGGER cloud_credentials_secret_cleared_only BEFORE UPDATE OF credential ON cloud_credentials
    WHEN NEW.credential <> '' AND NEW.credential IS NOT OLD.credential
    BEGIN SELECT RAISE(ABORT, 'a cloud credential is only ever retired'); END;
  CREATE TRIGGER cloud_credentials_retired_stays BEFORE UPDATE OF retired_at ON cloud_credentials
    WHEN OLD.retired_at IS NOT NULL AND NEW.retired_at IS NOT OLD.retired_at
    BEGIN SELECT RAISE(ABORT, 'a retired cloud credential stays retired'); END;
  CREATE TRIGGER cloud_credentials_retired_keeps_fingerprint BEFORE UPDATE ON cloud_credentials
    WHEN NEW.retired_at IS NOT NULL AND NEW.credential <> ''
    BEGIN SELECT RAISE(ABORT, 'a retired cloud credential keeps only its fingerprint'); END;
  CREATE TRIGGER cloud_credentials_insert_fingerprinted BEFORE INSERT ON cloud_credentials
    WHEN NEW.fingerprint IS NULL OR (NEW.retired_at IS NOT NULL AND NEW.credential <> '')
    BEGIN SELECT RAISE(ABORT, 'a cloud credential is stored with its fingerprint, and retired without its secret'); END;

  UPDATE activation_progress SET credential = NULL WHERE step = 'done';
  CREATE TRIGGER activation_progress_done_insert AFTER INSERT ON activation_progress
    WHEN NEW.step = 'done' AND NEW.credential IS NOT NULL
    BEGIN UPDATE activation_progress SET credential = NULL WHERE device_id = NEW.device_id; END;
  CREATE TRIGGER activation_progress_done_update AFTER UPDATE OF step, credential ON activation_progress
    WHEN NEW.step = 'done' AND NEW.credential IS NOT NULL
    BEGIN UPDATE activation_progress SET credential = NULL WHERE device_id = NEW.device_id; END;
  `,
  // 6: canonical invoice version 2 (docs/PROTOCOL.md §7). A v2 record carries its fiscal year and its
  // number within that year (SFE §1.2 k); the store keeps both beside the record, and a unique index
  // makes a repeated yearly number impossible even from a faulty device. Records sealed before stay
  // as they are (NULL): the payloads and totals of both versions are read as they were stored.
  `
  ALTER TABLE fiscal_records ADD COLUMN fiscal_year INTEGER;
  ALTER TABLE fiscal_records ADD COLUMN year_number INTEGER;
  CREATE UNIQUE INDEX fiscal_records_year_number ON fiscal_records(device_id, fiscal_year, year_number)
    WHERE fiscal_year IS NOT NULL;
  `,
  // 7: receipt renderings (docs/RECEIPTS.md §Duplicates, SFE EG1.8, EG1.15, §1.2 f). Copy 1 is the
  // original; every later one is a DUPLICATA. The primary key makes two originals of one invoice
  // impossible, and the triggers keep the log append-only, as an auditor reads it.
  `
  CREATE TABLE receipt_prints (
    invoice_id TEXT NOT NULL REFERENCES invoices(id),
    copy_number INTEGER NOT NULL CHECK (copy_number >= 1),
    format TEXT NOT NULL,
    lang TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (invoice_id, copy_number)
  ) WITHOUT ROWID;
  CREATE TRIGGER receipt_prints_no_update BEFORE UPDATE ON receipt_prints
    BEGIN SELECT RAISE(ABORT, 'the receipt log is append-only'); END;
  CREATE TRIGGER receipt_prints_no_delete BEFORE DELETE ON receipt_prints
    BEGIN SELECT RAISE(ABORT, 'the receipt log is append-only'); END;
  `,
  // 8: the fiscal day's reports (docs/PROTOCOL.md §13): every Z report, monthly and yearly closure
  // the device journaled (imported by reconciliation too) and every A report, as signed, with their
  // hash so the chain check can place them between records. `number` is the device's for journaled
  // kinds and a local sequence for A reports. Append-only, but for the time the cloud took it.
  `
  CREATE TABLE fiscal_reports (
    device_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    number INTEGER NOT NULL CHECK (number >= 1),
    issued_at INTEGER NOT NULL,
    after_fiscal_number INTEGER NOT NULL,
    first_fiscal_number INTEGER,
    last_fiscal_number INTEGER,
    period TEXT,
    record BLOB NOT NULL,
    signature BLOB NOT NULL,
    record_hash BLOB NOT NULL,
    source TEXT NOT NULL,
    stored_at INTEGER NOT NULL,
    uploaded_at INTEGER,
    PRIMARY KEY (device_id, kind, number)
  ) WITHOUT ROWID;
  CREATE INDEX fiscal_reports_place ON fiscal_reports(device_id, after_fiscal_number);
  CREATE TRIGGER fiscal_reports_no_delete BEFORE DELETE ON fiscal_reports
    BEGIN SELECT RAISE(ABORT, 'fiscal reports are append-only'); END;
  CREATE TRIGGER fiscal_reports_no_update BEFORE UPDATE ON fiscal_reports
    WHEN NEW.record IS NOT OLD.record OR NEW.signature IS NOT OLD.signature OR NEW.kind IS NOT OLD.kind
      OR NEW.number IS NOT OLD.number OR NEW.device_id IS NOT OLD.device_id
    BEGIN SELECT RAISE(ABORT, 'fiscal reports are append-only'); END;
  `,
  // 9: the operator console (docs/CONSOLE.md). Its one password, as a memory-hard scrypt hash with its
  // salt and cost (never the password), set by a technician from the CLI on the machine; and an index
  // on the device time of records, for the console's "today" (records issued in a local day).
  `
  CREATE TABLE console_password (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    algorithm TEXT NOT NULL,
    params_json TEXT NOT NULL,
    salt BLOB NOT NULL,
    hash BLOB NOT NULL,
    set_at INTEGER NOT NULL
  );
  CREATE INDEX fiscal_records_issued ON fiscal_records(device_id, issued_at);
  `,
];
