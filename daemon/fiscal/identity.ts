/**
 * The device this daemon is bound to: learned from INFO when the device first connects, stored in
 * `device_binding`, and checked on every reconnect so a swapped device is refused rather than mixed
 * into the same journal.
 */
import { FiscalError } from "../../protocol/index.js";

/** The bound device's identity. */
export interface BoundDevice {
  readonly deviceId: string;
  readonly publicKey: Uint8Array;
  readonly merchantNif: string;
  readonly outletId: string;
  readonly fiscalAuthorityId: string;
}

/** Holds the bound identity once known. */
export class DeviceIdentity {
  private bound: BoundDevice | undefined;

  /** The identity, or undefined before the device was ever seen. */
  get current(): BoundDevice | undefined {
    return this.bound;
  }

  /** The identity; throws DEVICE_UNAVAILABLE (or NOT_ACTIVATED semantics upstream) when not yet known. */
  require(): BoundDevice {
    if (this.bound === undefined) {
      throw new FiscalError(
        "DEVICE_UNAVAILABLE",
        "the fiscal device has not been seen yet, or is not activated",
      );
    }
    return this.bound;
  }

  /** Sets the identity (from the store at start, or from the device once activated). */
  set(identity: BoundDevice): void {
    this.bound = identity;
  }
}
