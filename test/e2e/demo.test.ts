/**
 * `stalela demo` (npm start) from a newcomer's point of view: it comes up, prints a curl command, that
 * exact request returns a sealed invoice which then reaches the cloud emulator, its report commands
 * read and close the day; Ctrl+C stops it and removes its temporary state.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI_MAIN } from "../../bench/processes.js";
import { AuditLog } from "../../daemon/store/audit.js";
import { ConsolePasswords } from "../../daemon/store/console-password.js";
import { openDatabase } from "../../daemon/store/database.js";
import { runCli } from "../cli/run-cli.js";

/** How long the demo may take to print its banner, in ms. */
const BANNER_TIMEOUT_MS = 20_000;

describe("stalela demo", () => {
  it("comes up, its printed curl command seals an invoice, and the invoice is uploaded", async () => {
    const child = spawn(process.execPath, [CLI_MAIN, "demo", "--port", "0"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    try {
      const deadline = Date.now() + BANNER_TIMEOUT_MS;
      while (!out.includes("Press Ctrl+C")) {
        if (Date.now() > deadline) throw new Error(`demo did not come up:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const url = /curl -s -X POST (\S+) /.exec(out)![1]!;
      const key = /Authorization: Bearer (\S+)'/.exec(out)![1]!;
      const body = /-d '(.+)'/.exec(out)![1]!;
      const state = /state\s+(\S+)/.exec(out)![1]!;
      const res = await fetch(url, {
        method: "POST",
        headers: {
          authorization: `Bearer ${key}`,
          "idempotency-key": "demo-test-1",
          "content-type": "application/json",
        },
        body,
      });
      expect(res.status).toBe(201);
      // The banner's console line: its page answers, and the printed password is the one it takes.
      const [, consoleUrl, password] = /console\s+(\S+)\s+\(password (\S+);/.exec(out)!;
      const login = await fetch(`${consoleUrl}login`);
      expect(login.status).toBe(200);
      const db = openDatabase(join(state, "daemon", "daemon.sqlite"));
      try {
        expect(await new ConsolePasswords(db, new AuditLog(db)).verify(password!)).toBe(true);
      } finally {
        db.close();
      }
      // biome-ignore lint/suspicious/noExplicitAny: the daemon's JSON reply, read field by field.
      const sealed = (await res.json()) as any;
      expect(sealed.state).toBe("FISCALIZED");
      expect(sealed.fiscal.fiscal_number).toBe(1);
      expect(sealed.fiscal.qr).toMatch(/^RDCDEF01;/);
      // A version-2 invoice (SFE): a company client, the operator, and a payment in US dollars.
      expect(sealed.fiscal).toMatchObject({ v: 2, dgi_type: "FV", year_number: 1 });
      expect(sealed.invoice.client).toMatchObject({ type: "PM", nif: "A7654321C" });
      expect(sealed.invoice.operator).toEqual({ id: "DEMO-CASHIER", name: "Mireille Kabeya" });
      // 1 000 US cents at 2 850 CDF per dollar: 2 850 000 centimes.
      expect(sealed.invoice.payments[0].foreign).toMatchObject({ currency: "USD", amount: 1000 });
      expect(sealed.invoice.payments[0].amount).toBe(2_850_000);
      // The banner's receipt command, for this key: the original in French, then a DUPLICATA.
      const receiptUrl = /curl -s "(\S+)\/v1\/invoices\/\$IDEM\/receipt\?(\S+)"/.exec(out)!;
      const receipt = async () =>
        fetch(`${receiptUrl[1]}/v1/invoices/demo-test-1/receipt?${receiptUrl[2]}`, {
          headers: { authorization: `Bearer ${key}` },
        });
      const original = await receipt();
      expect(original.headers.get("receipt-copy")).toBe("original");
      const text = await original.text();
      for (const mention of [
        "FACTURE",
        "[PM] Personne morale",
        "Kin Import SARL",
        "CODE DEF/DGI",
        "TOTAL TTC",
      ])
        expect(text).toContain(mention);
      expect(text).toMatch(/cinquante-huit mille deux cents francs\s+congolais/);
      expect(text).not.toContain("DUPLICATA");
      expect(await (await receipt()).text()).toContain("DUPLICATA");
      // The sync agent uploads it to the demo's cloud emulator, which acknowledges it.
      let sync = "";
      for (const until = Date.now() + 15_000; sync !== "ACKED" && Date.now() < until; ) {
        await new Promise((r) => setTimeout(r, 100));
        const got = await fetch(`${url}/demo-test-1`, { headers: { authorization: `Bearer ${key}` } });
        sync = ((await got.json()) as { sync: { status: string } }).sync.status;
      }
      expect(sync).toBe("ACKED");
      // The banner's report commands: the X reads the day, the Z closes it, once.
      const reportState = /report x --state (\S+)/.exec(out)![1]!;
      expect(out).toContain(`report z --state ${reportState}`);
      const x = await runCli(["report", "x", "--state", reportState]);
      expect(x.code).toBe(0);
      expect(x.stdout).toMatch(/RAPPORT X[\s\S]*Factures n°\s+1 à 1 \(1 facture\)/);
      const z = await runCli(["report", "z", "--state", reportState, "--json"]);
      expect(z.code).toBe(0);
      expect(JSON.parse(z.stdout)).toMatchObject({
        z: { kind: "Z_REPORT", number: 1, last_fiscal_number: 1 },
      });
      child.kill("SIGINT");
      expect(await exited).toBe(0);
      expect(existsSync(state)).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 40_000);
});
