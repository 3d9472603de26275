/**
 * The emulated DEF core as the daemon's device link presents it to the admin routes and the console's
 * device page (daemon/admin/device-routes.ts AdminDevice): each method one command of the core.
 */
import type { AdminDevice } from "../../daemon/admin/device-routes.js";
import type { FiscalDevice } from "../../emulator/device/fiscal-device.js";

export function emulatedLink(device: Pick<FiscalDevice, "execute">): Required<AdminDevice> {
  const run = device.execute.bind(device);
  return {
    info: async () => run("INFO", {}),
    status: async () => run("STATUS", {}),
    readJournal: async (from, limit) => run("JOURNAL_READ", { from, limit }),
    getReport: async (args) => run("GET_REPORT", args),
    timeGet: async () => run("TIME_GET", {}),
    timeSet: async (now) => run("TIME_SET", { now }),
    selfTest: async () => run("SELF_TEST", {}),
  };
}
