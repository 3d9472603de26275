/**
 * USB identities of a DEF. The default lives here and nowhere else: `auto` discovery, the udev rules and
 * the documentation (docs/DEVICE_LINK.md §USB identity) all take it from this file.
 */

/** A USB vendor and product id pair. */
export interface UsbId {
  readonly vendorId: number;
  readonly productId: number;
}

/**
 * PLACEHOLDER until hardware is assigned its ids. 0x1209 is the pid.codes vendor id for open-source
 * hardware; product 0xDEF1 is NOT registered with pid.codes. Replace both (and regenerate the udev rules)
 * when the DEF manufacturer allocates the production VID:PID. Meanwhile operators override it with the
 * daemon's `device.usbIds` setting (env STALELA_DEVICE_IDS, a comma list of VID:PID), which `auto`
 * discovery searches; a `hid:VID:PID` or `usb:VID:PID` URI names its one id itself.
 */
export const DEFAULT_DEF_USB_IDS: readonly UsbId[] = Object.freeze([
  Object.freeze({ vendorId: 0x1209, productId: 0xdef1 }),
]);

/** USB interface class of a HID interface. */
export const USB_CLASS_HID = 0x03;
/** USB interface class of a CDC data interface (the bulk half of a CDC-ACM serial port). */
export const USB_CLASS_CDC_DATA = 0x0a;
/** USB interface class of a vendor-specific interface (the DEF's raw bulk interface). */
export const USB_CLASS_VENDOR = 0xff;

/** Formats an id as `1209:DEF1`, the form URIs and logs use. */
export function formatUsbId(id: UsbId): string {
  const hex = (n: number): string => n.toString(16).toUpperCase().padStart(4, "0");
  return `${hex(id.vendorId)}:${hex(id.productId)}`;
}

/** Parses one 16-bit hex id (`1209`, `0x1209`); throws RangeError otherwise. */
export function parseHexId(text: string, what: string): number {
  const match = /^(?:0x)?([0-9a-fA-F]{1,4})$/.exec(text);
  if (match === null)
    throw new RangeError(`${what} must be a 16-bit hex number, got ${JSON.stringify(text)}`);
  return Number.parseInt(match[1]!, 16);
}

/** The form of one `VID:PID` setting, as parseUsbId accepts it (for the config schema). */
export const USB_ID_PATTERN = "^(?:0x)?[0-9a-fA-F]{1,4}:(?:0x)?[0-9a-fA-F]{1,4}$";

/** Parses `VID:PID` (hex) into a UsbId; throws RangeError otherwise. */
export function parseUsbId(text: string): UsbId {
  const [vid, pid, ...rest] = text.split(":");
  if (vid === undefined || pid === undefined || rest.length > 0) {
    throw new RangeError(`a USB id is VID:PID in hex, got ${JSON.stringify(text)}`);
  }
  return { vendorId: parseHexId(vid, "vendor id"), productId: parseHexId(pid, "product id") };
}

/** True when `device` carries one of `ids`. */
export function matchesUsbId(device: UsbId, ids: readonly UsbId[]): boolean {
  return ids.some((id) => id.vendorId === device.vendorId && id.productId === device.productId);
}
