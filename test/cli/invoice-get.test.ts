/**
 * `stalela invoice get` reads the daemon's store directly: a store filled by the real fiscal service
 * (over the emulator core), looked up by Idempotency-Key, id and client_ref.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InvoiceView } from "../../daemon/fiscal/types.js";
import { formatLocalTime } from "../../protocol/i18n/time.js";
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
    // French by default (the run's locale names no language), times in Kinshasa's zone.
    expect(byId.stdout).toContain(`facture ${sealed.id}  SALE  FISCALIZED`);
    expect(byId.stdout).toContain(`code d'auth. ${sealed.fiscal!.auth_code}`);
    expect(byId.stdout).toContain(`QR           ${sealed.fiscal!.qr}`);
    expect(byId.stdout).toMatch(/n° fiscal\s+1 \(SALE n° 1\) sur l'appareil fiscal DEF-/);
    // 11 600 centimes is 116,00 CDF (fr-CD: decimal comma), and the DGI number of a v2 record.
    expect(byId.stdout).toContain("total        116,00 CDF (11600 en unités mineures)");
    expect(byId.stdout).toMatch(/DGI\s+FV n° 1 de l'exercice 20\d\d, ISF ISF-TEST-0001, rn TILL1-0042/);
    const sealedAt = formatLocalTime(Date.parse(sealed.fiscal!.timestamp), "Africa/Kinshasa", "fr");
    expect(sealedAt).toContain("(UTC+01:00)");
    expect(byId.stdout).toContain(`scellée le   ${sealedAt}`);
    expect(byId.stdout).toContain("reçus        0 imprimé, 0 DUPLICATA");
    expect(byId.stdout).toContain("envoi        PENDING, 0 tentative");
    expect(byId.stdout).toMatch(
      /historique\n {4}\d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d \(UTC\+01:00\) {2}PREPARING/,
    );
    expect(byId.stdout).toMatch(/PREPARING[\s\S]*PREPARED[\s\S]*FISCALIZED/);
    expect(byId.stdout).not.toMatch(/\d{4}-\d\d-\d\dT/);
    const english = await runCli(["--lang", "en", "invoice", "get", sealed.id, "--state", h.dir]);
    expect(english.code).toBe(0);
    expect(english.stdout).toContain(`invoice ${sealed.id}  SALE  FISCALIZED`);
    expect(english.stdout).toContain(`auth code    ${sealed.fiscal!.auth_code}`);
    expect(english.stdout).toMatch(/fiscal no\.\s+1 \(SALE #1\)/);
    expect(english.stdout).toContain("total        116,00 CDF (11600 in minor units)");
    expect(english.stdout).toMatch(/DGI\s+FV no\. 1 of 20\d\d, ISF ISF-TEST-0001, rn TILL1-0042/);
    expect(english.stdout).toContain(`sealed at    ${sealedAt}`);
    expect(english.stdout).toContain("sync         PENDING, 0 attempts");
    const byRef = await runCli(["invoice", "get", "TILL1-0042", "--state", h.dir, "--json"]);
    expect(byRef.code).toBe(0);
    const view = JSON.parse(byRef.stdout) as InvoiceView;
    expect(view.id).toBe(sealed.id);
    // JSON keeps ISO 8601 UTC.
    expect(view.fiscal!.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
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
