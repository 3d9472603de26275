/**
 * Which device this store belongs to. The first activated device the daemon meets is bound; after
 * that a different device is refused (DEVICE_IDENTITY_MISMATCH) until a technician rebinds, because
 * two devices' journals must never mix in one store without anyone noticing.
 */
import type { BoundDevice } from "../fiscal/identity.js";
import type { AuditLog } from "./audit.js";
import type { Db } from "./database.js";

interface BindingRow {
  device_id: string;
  public_key: Buffer;
  merchant_nif: string;
  outlet_id: string;
  fiscal_authority_id: string;
}

/** Reads and writes the binding. */
export class DeviceBindingStore {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly now: () => number = Date.now,
  ) {}

  /** The most recently bound device, if any. */
  current(): BoundDevice | undefined {
    const row = this.db
      .prepare("SELECT * FROM device_binding ORDER BY bound_at DESC, rowid DESC LIMIT 1")
      .get() as BindingRow | undefined;
    return (
      row && {
        deviceId: row.device_id,
        publicKey: new Uint8Array(row.public_key),
        merchantNif: row.merchant_nif,
        outletId: row.outlet_id,
        fiscalAuthorityId: row.fiscal_authority_id,
      }
    );
  }

  /** Binds a device (idempotent for the same device). */
  bind(device: BoundDevice, activation: Uint8Array | null, actor: string): void {
    this.db
      .transaction(() => {
        const changed = this.db
          .prepare(
            `INSERT OR IGNORE INTO device_binding (device_id, public_key, merchant_nif, outlet_id, fiscal_authority_id,
               activation, bound_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            device.deviceId,
            device.publicKey,
            device.merchantNif,
            device.outletId,
            device.fiscalAuthorityId,
            activation,
            this.now(),
          ).changes;
        if (changed > 0) this.audit.append(actor, "device.bind", { device_id: device.deviceId });
      })
      .immediate();
  }
}
