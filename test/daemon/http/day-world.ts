/**
 * The fiscal day of the HTTP suites' app: the real DayReports over a whole fiscal service on the
 * emulator's device core (test/daemon/fiscal/harness.ts), so a report route answers what the daemon
 * would. The world is made on first use, so that a suite that never calls a report route makes no
 * device; `failNext` makes the next call throw, as a device fault or a bug would (the fake invoice
 * service's `failNext`). Its invoices are sealed by its own service (`seal`): the fake invoice service
 * of makeApp seals nothing on a device.
 */
import type { DayReportOperations } from "../../../daemon/http/context.js";
import type { DayReports } from "../../../daemon/reports/day-reports.js";
import { bundleFor } from "../../emulator/fixtures.js";
import { posSale, ServiceHarness } from "../fiscal/harness.js";

/** Starts a harness as ServiceHarness.start() does, without awaiting: INFO straight from the core. */
function startedHarness(): ServiceHarness {
  const h = new ServiceHarness();
  h.device.start();
  h.device.execute("ACTIVATE", { bundle: bundleFor(h.device.deviceId) });
  h.open();
  const info = h.device.execute("INFO", {});
  h.identity.set({
    deviceId: info.device_id,
    publicKey: info.public_key,
    merchantNif: info.identity!.merchant_nif,
    outletId: info.identity!.outlet_id,
    fiscalAuthorityId: info.identity!.fiscal_authority_id,
  });
  ({ caller: h.caller, key: h.apiKey } = h.newCaller("CASHIER-1"));
  return h;
}

/** The real DayReports of a lazily made world, with a scripted failure of the next call. */
export class DayReportsUnderTest implements DayReportOperations {
  private harness: ServiceHarness | undefined;
  private failure: unknown;
  private sealed = 0;

  /** The world: the device, the store and the service; made on first use. */
  get world(): ServiceHarness {
    this.harness ??= startedHarness();
    return this.harness;
  }

  /** The next call throws `error` (a FiscalError as the device or DayReports would, or a bug). */
  failNext(error: unknown): void {
    this.failure = error;
  }

  /** Seals a sale of `amount` centimes through the world's own service; the next reports cover it. */
  async seal(amount = 11_600): Promise<void> {
    this.sealed += 1;
    await this.world.service.fiscalise(posSale(amount), `DAY-WORLD-${this.sealed}`, this.world.caller);
  }

  private get day(): DayReports {
    const failure = this.failure;
    this.failure = undefined;
    if (failure !== undefined) throw failure;
    return this.world.dayReports;
  }

  async closeDay(actor: string): ReturnType<DayReports["closeDay"]> {
    return this.day.closeDay(actor);
  }

  async readDay(): ReturnType<DayReports["readDay"]> {
    return this.day.readDay();
  }

  async articles(actor: string, range?: { from?: number; to?: number }): ReturnType<DayReports["articles"]> {
    return this.day.articles(actor, range);
  }

  stored(...args: Parameters<DayReports["stored"]>): ReturnType<DayReports["stored"]> {
    return this.day.stored(...args);
  }

  storedList(...args: Parameters<DayReports["storedList"]>): ReturnType<DayReports["storedList"]> {
    return this.day.storedList(...args);
  }

  /** Stops the world's device and removes its files, if it was made. */
  stop(): void {
    this.harness?.stop();
    this.harness = undefined;
  }
}
