/**
 * The .deb on a machine as a technician gets it: installed with dpkg and no network, its own runtime,
 * the daemon started with the unit's own ExecStart (through the systemctl stand-in, since CI has no
 * systemd PID 1), one invoice sealed through the installed CLI and API, then removed and purged with
 * the fiscal state left in place. Prints the package size, the install time and the first-invoice time.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEB, DEF_GROUP, dpkgFormat, REPO, run, SITE_IDENTITY, useTestMachine, VERSION } from "./machine.js";

const machine = useTestMachine();
const { env, fakeSystemd } = machine;
const API = "http://127.0.0.1:8765";
let installedAt = 0;

/** The pinned runtime the package must ship: packaging/runtime's node-24 alias. */
const PINNED_NODE = `v${(
  JSON.parse(readFileSync(join(REPO, "packaging/runtime/package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  }
).dependencies["node-24"]!.split("@").pop()}`;

function stalela(args: readonly string[]): string {
  return run("/usr/bin/stalela", args, env);
}

/** `systemctl is-active` through the stand-in: "active" or "inactive" (exit 3, which is not an error). */
function activeState(): string {
  return spawnSync("systemctl", ["is-active", "stalela-daemon"], {
    encoding: "utf8",
    env: { ...process.env, ...env },
  }).stdout.trim();
}

function modeOwner(path: string): string {
  return execFileSync("stat", ["-c", "%a %U:%G", path], { encoding: "utf8" }).trim();
}

describe("the stalela .deb", () => {
  it("installs offline with dpkg -i, creating the user, the device group, the state directory and the conffile", () => {
    const size = statSync(DEB).size;
    const started = performance.now();
    run("dpkg", ["-i", DEB], env);
    installedAt = performance.now();
    console.log(
      `package: ${(size / 1024 / 1024).toFixed(1)} MiB; dpkg -i took ${((installedAt - started) / 1000).toFixed(2)} s`,
    );
    machine.site().applyUdevRule();

    expect(run("getent", ["passwd", "stalela"])).toMatch(
      /^stalela:x:\d+:\d+:.*:\/var\/lib\/stalela:\/usr\/sbin\/nologin$/m,
    );
    expect(modeOwner("/var/lib/stalela")).toBe("700 stalela:stalela");
    expect(modeOwner("/etc/stalela/daemon.env")).toBe("640 root:stalela");
    // The DEF's group exists, and is not the state's: the service user gets it from its unit only.
    expect(run("getent", ["group", DEF_GROUP])).toMatch(new RegExp(`^${DEF_GROUP}:x:\\d+:$`, "m"));
    expect(run("id", ["-nG", "stalela"]).trim().split(" ")).not.toContain(DEF_GROUP);
    expect(run("dpkg-query", ["-W", dpkgFormat("Conffiles"), "stalela"])).toContain(
      "/etc/stalela/daemon.env",
    );
    for (const path of [
      "/usr/bin/stalela",
      "/usr/lib/systemd/system/stalela-daemon.service",
      "/usr/lib/udev/rules.d/99-stalela-def.rules",
      "/usr/share/doc/stalela/INSTALL.md",
      "/usr/share/doc/stalela/RECEIPTS.md",
      "/usr/share/doc/stalela/fr/INSTALL.md",
      "/usr/share/doc/stalela/receipts/pdf.png",
    ]) {
      expect(existsSync(path), path).toBe(true);
    }
    // postinst drove systemd (here the stand-in): reload, enable, start.
    const calls = readFileSync(join(fakeSystemd, "calls.log"), "utf8");
    expect(calls).toContain("systemctl daemon-reload");
    expect(calls).toContain("systemctl enable stalela-daemon.service");
    expect(activeState()).toBe("active");
  });

  it("ships the unit with its hardening and the release's root key only, and no crash hook", () => {
    // The test-only STALELA_CRASH_POINT hook is not in the package: a packaged daemon cannot crash itself.
    expect(existsSync("/usr/lib/stalela/app/dist/cli/main.js")).toBe(true);
    expect(existsSync("/usr/lib/stalela/app/dist/cli/crash-points.js")).toBe(false);
    expect(run("find", ["/usr/lib/stalela/app/dist", "-name", "crash-points*"]).trim()).toBe("");
    // The installed unit is the repository's, plus at most the pinned production key (none in CI).
    const installed = readFileSync("/usr/lib/systemd/system/stalela-daemon.service", "utf8");
    const source = readFileSync(join(REPO, "packaging/stalela-daemon.service"), "utf8");
    expect(installed.replace(/^Environment=STALELA_CLOUD_ROOT_KEY=[0-9a-f]{64}\n/m, "")).toBe(source);
    expect(installed).toMatch(/^UMask=0077$/m);
    expect(installed).toMatch(new RegExp(`^SupplementaryGroups=${DEF_GROUP}$`, "m"));
  });

  it("ships its own pinned Node runtime and the production dependencies only, without node-pty", () => {
    expect(run("/usr/lib/stalela/node/bin/node", ["--version"]).trim()).toBe(PINNED_NODE);
    const modules = readdirSync("/usr/lib/stalela/app/node_modules");
    expect(modules).toContain("better-sqlite3");
    expect(modules).not.toContain("node-pty");
    for (const dev of ["vitest", "typescript", "@biomejs", "fast-check"]) expect(modules).not.toContain(dev);
    expect(stalela(["--version"]).trim()).toBe(VERSION);
  });

  it("declares a libc at least as new as the newest symbol version its binaries use", () => {
    const depends = run("dpkg-query", ["-W", dpkgFormat("Depends"), "stalela"]);
    const declared = /libc6 \(>= ([\d.]+)\)/.exec(depends)?.[1];
    expect(declared, depends).toBeDefined();
    const elves = run("find", [
      "/usr/lib/stalela",
      "-type",
      "f",
      "(",
      "-name",
      "*.node",
      "-o",
      "-path",
      "*/bin/node",
      ")",
    ])
      .trim()
      .split("\n");
    const used = elves.flatMap((file) => [...run("objdump", ["-T", file]).matchAll(/GLIBC_(\d+)\.(\d+)/g)]);
    const newest = Math.max(...used.map((m) => Number(m[1]) * 1000 + Number(m[2])));
    const [major, minor] = declared!.split(".").map(Number);
    expect(newest).toBeLessThanOrEqual(major! * 1000 + minor!);
  });

  it("runs the unit's daemon against the DEF, activates by code and seals an invoice", async () => {
    const envFile = readFileSync("/etc/stalela/daemon.env", "utf8");
    // The development mode: the DEF is the emulator and the cloud is http on loopback, which a
    // production daemon refuses (docs/SECURITY.md).
    execFileSync("sh", [
      "-c",
      `sed -i -e 's|^#STALELA_CLOUD_URL=.*|STALELA_CLOUD_URL=${machine.site().cloudUrl}|' ` +
        "-e 's|^#STALELA_ALLOW_EMULATOR=.*|STALELA_ALLOW_EMULATOR=1|' /etc/stalela/daemon.env",
    ]);
    expect(readFileSync("/etc/stalela/daemon.env", "utf8")).not.toBe(envFile);
    run("systemctl", ["restart", "stalela-daemon"], env);
    // The daemon runs as stalela, on the package's runtime, with the unit's command line.
    const daemon = run("pgrep", ["-a", "-u", "stalela", "-f", "dist/cli/main.js daemon"]).trim();
    expect(daemon).toMatch(
      /^\d+ \/usr\/lib\/stalela\/node\/bin\/node \/usr\/lib\/stalela\/app\/dist\/cli\/main\.js daemon$/,
    );
    // It reaches the DEF through the device group its unit adds (SupplementaryGroups=).
    const pid = daemon.split(" ")[0]!;
    const groups = /^Groups:\s*(.*)$/m
      .exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]
      ?.trim()
      .split(/\s+/);
    const defGid = run("getent", ["group", DEF_GROUP]).split(":")[2]!;
    expect(groups).toContain(defGid);

    const activation = JSON.parse(
      stalela(["device", "activate", "--code", machine.site().code, "--json"]),
    ) as {
      merchant_nif: string;
      outlet_id: string;
      public_key: string;
    };
    expect(activation.merchant_nif).toBe(SITE_IDENTITY.nif);
    expect(activation.outlet_id).toBe(SITE_IDENTITY.outlet);
    expect(activation.public_key).toMatch(/^[0-9a-f]{64}$/);

    const key = stalela(["keys", "create", "--cashier", "CAISSIER-1", "--key-only"]).trim();
    const res = await fetch(`${API}/v1/invoices`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${key}`,
        "idempotency-key": "pkg-test-1",
        "content-type": "application/json",
      },
      body: JSON.stringify({
        type: "SALE",
        currency: "CDF",
        operator: { name: "Mireille Kabeya" },
        items: [{ name: "Savon", kind: "BIE", quantity: 2, unit_price: 1500, tax_group: "B" }],
        payments: [{ method: "CASH", amount: 3000 }],
      }),
    });
    const sealedAt = performance.now();
    const body = (await res.json()) as { state: string; fiscal: { fiscal_number: number; qr: string } };
    expect(res.status).toBe(201);
    expect(body.state).toBe("FISCALIZED");
    expect(body.fiscal.fiscal_number).toBe(1);
    console.log(
      `first invoice sealed ${((sealedAt - installedAt) / 1000).toFixed(2)} s after dpkg -i returned`,
    );

    // The receipt's QR verifies offline under the key activation printed, with the repo's verifier.
    const verified = run(process.execPath, [
      join(REPO, "dist/cli/main.js"),
      "verify-qr",
      body.fiscal.qr,
      "--pubkey",
      activation.public_key,
      "--lang",
      "fr",
    ]);
    expect(verified).toContain("QR VÉRIFIÉ");
    // The state is the service's alone: set by the daemon at open, whatever created the files.
    expect(modeOwner("/var/lib/stalela")).toBe("700 stalela:stalela");
    for (const file of ["daemon.sqlite", "daemon.sqlite-wal", "daemon.sqlite-shm", "admin.sock"]) {
      expect(modeOwner(`/var/lib/stalela/${file}`), file).toBe("600 stalela:stalela");
    }
    // The operator console ships whole: its templates and its scripts, served with no network.
    const login = await fetch(`${API}/console/login`);
    expect(login.status).toBe(200);
    expect(await login.text()).toContain("Connexion à la console");
    for (const asset of ["htmx.min.js", "chart.umd.min.js", "console.js", "console.css"]) {
      expect((await fetch(`${API}/console/assets/${asset}`)).status, asset).toBe(200);
    }
    // The CLI finds the installed state without --state (daemon.env), run from anywhere.
    const got = run("/usr/bin/stalela", ["invoice", "get", "pkg-test-1", "--json"], { ...env, PWD: "/" });
    expect((JSON.parse(got) as { state: string }).state).toMatch(/^(FISCALIZED|DELIVERED|SYNCED)$/);
  });

  it("removes: the service stops, the software goes, the fiscal state and the settings stay", () => {
    run("dpkg", ["-r", "stalela"], env);
    expect(activeState()).toBe("inactive");
    expect(existsSync("/usr/bin/stalela")).toBe(false);
    expect(existsSync("/usr/lib/stalela")).toBe(false);
    expect(existsSync("/var/lib/stalela/daemon.sqlite")).toBe(true);
    expect(existsSync("/etc/stalela/daemon.env")).toBe(true);
    expect(run("getent", ["passwd", "stalela"])).toContain("stalela");
  });

  it("purges: only the settings file goes; the fiscal state and its owner stay", () => {
    run("dpkg", ["--purge", "stalela"], env);
    expect(existsSync("/etc/stalela/daemon.env")).toBe(false);
    expect(existsSync("/var/lib/stalela/daemon.sqlite")).toBe(true);
    expect(modeOwner("/var/lib/stalela")).toBe("700 stalela:stalela");
  });
});
