/**
 * `stalela invoice get` reads the daemon's store directly: a store filled by the real fiscal service
 * (over the emulator core), looked up by Idempotency-Key, id and client_ref.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InvoiceView } from "../../daemon/fiscal/types.js";
import { posSale, ServiceHarness } from "../daemon/fiscal/harness.js";
import { runCli } from "./run-cli.js";

let h: ServiceHarness;
let sealed: InvoiceView;

beforeAll(async () => {
  h = await new ServiceHarness().start();
  sealed = (await h.service.fiscalise(posSale(11_600, { client_ref: "TILL1-0042" }), "KEY-CLI-1", h.caller))
    .invoice;
});
afterAll(() => h.stop());

describe("stalela invoice get", () => {
  it("finds an invoice by Idempotency-Key and prints the API's InvoiceView with --json", async () => {
    const run = await runCli(["invoice", "get", "KEY-CLI-1", "--state", h.dir, "--json"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const view = JSON.parse(run.stdout) as InvoiceView;
    expect(view).toEqual(JSON.parse(JSON.stringify(h.service.get("KEY-CLI-1"))));
    expect(view).toMatchObject({ id: sealed.id, state: "FISCALIZED", idempotency_key: "KEY-CLI-1" });
    expect(view.fiscal?.fiscal_number).toBe(1);
    expect(view.sync.status).toBe("PENDING");
  });

  it("finds it by id and by client_ref, and prints state, fiscal number, auth code, QR and transitions", async () => {
    const byId = await runCli(["invoice", "get", sealed.id, "--state", h.dir]);
    expect(byId.code).toBe(0);
    expect(byId.stdout).toContain(`invoice ${sealed.id}  SALE  FISCALIZED`);
    expect(byId.stdout).toContain(`auth code    ${sealed.fiscal!.auth_code}`);
    expect(byId.stdout).toContain(`QR           ${sealed.fiscal!.qr}`);
    expect(byId.stdout).toMatch(/fiscal no\.\s+1 \(SALE #1\)/);
    // 11 600 centimes is 116,00 CDF (fr-CD: decimal comma), and the DGI number of a v2 record.
    expect(byId.stdout).toContain("total        116,00 CDF (11600 in minor units)");
    expect(byId.stdout).toMatch(/DGI\s+FV no\. 1 of 20\d\d, ISF ISF-TEST-0001, rn TILL1-0042/);
    expect(byId.stdout).toMatch(/PREPARING[\s\S]*PREPARED[\s\S]*FISCALIZED/);
    const byRef = await runCli(["invoice", "get", "TILL1-0042", "--state", h.dir, "--json"]);
    expect(byRef.code).toBe(0);
    expect((JSON.parse(byRef.stdout) as InvoiceView).id).toBe(sealed.id);
  });

  it("exits 2 with E115 RECORD_NOT_FOUND for an unknown id, and for a state dir without a store", async () => {
    const run = await runCli(["invoice", "get", "NO-SUCH-KEY", "--state", h.dir, "--json"]);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({ error: { code: 115, name: "RECORD_NOT_FOUND" } });
    const human = await runCli(["invoice", "get", "NO-SUCH-KEY", "--state", h.dir]);
    expect(human.code).toBe(2);
    expect(human.stderr).toContain("E115 RECORD_NOT_FOUND");
    const noStore = await runCli(["invoice", "get", "KEY-CLI-1", "--state", `${h.dir}/nowhere`]);
    expect(noStore.code).toBe(2);
    expect(noStore.stderr).toContain(`no daemon store at ${h.dir}/nowhere/daemon.sqlite`);
    expect(noStore.stderr).toContain("start the daemon once, it creates the store");
  });
});
