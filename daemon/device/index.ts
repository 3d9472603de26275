/**
 * The device layer: the pure exchange machine, the DeviceSession I/O loop with its queue, counters and
 * lost-reply resolution, and the FiscalDevice API the fiscal service uses.
 */
export * from "./config.js";
export * from "./counters.js";
export * from "./create.js";
export * from "./driver.js";
export * from "./events.js";
export * from "./exchange.js";
export * from "./fiscal-device.js";
export * from "./queue.js";
export * from "./receiver.js";
export * from "./recovery.js";
export * from "./reply.js";
export * from "./session.js";
