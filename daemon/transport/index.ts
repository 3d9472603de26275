/**
 * Device transports: one Transport interface, its serial, USB-HID, raw USB bulk, TCP and in-memory
 * implementations, device URIs, `auto` discovery, and the self-reconnecting ReconnectingLink.
 */
export * from "./address.js";
export * from "./auto.js";
export * from "./create.js";
export * from "./hid.js";
export * from "./hotplug.js";
export * from "./link.js";
export * from "./memory.js";
export * from "./native.js";
export * from "./serial.js";
export * from "./tcp.js";
export * from "./types.js";
export * from "./usb-bulk.js";
export * from "./usb-ids.js";
