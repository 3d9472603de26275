/**
 * docs/INSTALL.md, executed as written: every ```sh block, in order, in one bash session as root, from
 * a folder that holds the built package and its checksum (the technician's USB stick), with the
 * emulated DEF plugged in at /dev/stalela-def and the cloud emulator as the Stalela Cloud. Three things
 * are the test's own, and all are explicit: the "Site values" block gets this site's cloud URL, merchant,
 * outlet and activation code (same variable names, checked); after the block that installs the package
 * the test plays udev's part for the emulated DEF (group stalela-dev, mode 0660), as the rule does for a
 * real one; and it turns on the development mode (STALELA_ALLOW_EMULATOR=1 in daemon.env), without which
 * the daemon rightly refuses the emulator's model, its development root key and the http:// loopback cloud.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEB, DEF_GROUP, REPO, SITE_IDENTITY, useTestMachine, VERSION } from "./machine.js";

const GUIDE = join(REPO, "docs/INSTALL.md");
const SITE_BLOCK_MARK = "# Site values";

/** The ```sh blocks of a Markdown document, in order (```text and other blocks are not commands). */
function shellBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  const fence = /^```sh\n([\s\S]*?)^```$/gm;
  for (let m = fence.exec(markdown); m !== null; m = fence.exec(markdown)) blocks.push(m[1]!);
  return blocks;
}

/** Puts this site's values in the guide's site block; the block must set exactly these names. */
function withSiteValues(block: string, values: Readonly<Record<string, string>>): string {
  const assigned = [...block.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]!);
  if (assigned.sort().join() !== Object.keys(values).sort().join()) {
    throw new Error(
      `the site block sets ${assigned.join(", ")}, the test gives ${Object.keys(values).join(", ")}`,
    );
  }
  return block.replace(/^([A-Z_]+)=.*$/gm, (_line, name: string) => `${name}='${values[name]}'`);
}

/** This site's SFE identity (ISF, shop name and address), distinct from the guide's examples. */
const SITE_SFE = { isf: "ISF-TEST-0042", name: "Boutique du test", address: "42, avenue du Test, Gombe" };

const machine = useTestMachine();

describe("docs/INSTALL.md", () => {
  it("has the blocks the test relies on", () => {
    const blocks = shellBlocks(readFileSync(GUIDE, "utf8"));
    expect(blocks.filter((b) => b.startsWith(SITE_BLOCK_MARK))).toHaveLength(1);
    expect(blocks.filter((b) => /^dpkg -i /m.test(b)).length).toBeGreaterThanOrEqual(1);
    expect(withSiteValues("# Site values\nA=1\nB=2\n", { A: "x", B: "y" })).toBe(
      "# Site values\nA='x'\nB='y'\n",
    );
    expect(() => withSiteValues("A=1\n", { A: "x", B: "y" })).toThrow(/sets A/);
  });

  it("works as written, from the package to removal", () => {
    const stick = mkdtempSync(join(tmpdir(), "stalela-usb-"));
    copyFileSync(DEB, join(stick, basename(DEB)));
    copyFileSync(`${DEB}.sha256`, join(stick, `${basename(DEB)}.sha256`));

    const site = machine.site();
    const blocks = shellBlocks(readFileSync(GUIDE, "utf8"));
    let installed = false;
    const script = blocks.flatMap((block, i) => {
      const body = block.startsWith(SITE_BLOCK_MARK)
        ? withSiteValues(block, {
            CLOUD_URL: site.cloudUrl,
            NIF: SITE_IDENTITY.nif,
            OUTLET: SITE_IDENTITY.outlet,
            CODE: site.code,
            ISF: SITE_SFE.isf,
            SHOP_NAME: SITE_SFE.name,
            SHOP_ADDRESS: SITE_SFE.address,
          })
        : block;
      const steps = [`echo '---- INSTALL.md block ${i + 1}' >&2`, body];
      if (!installed && /^dpkg -i /m.test(block)) {
        installed = true;
        steps.push(
          `chgrp ${DEF_GROUP} '${site.ptyPath}' && chmod 0660 '${site.ptyPath}'   # the udev rule's part`,
          // The test's development mode: the DEF is the emulator, the cloud is http on loopback.
          "sed -i 's|^#\\?STALELA_ALLOW_EMULATOR=.*|STALELA_ALLOW_EMULATOR=1|' /etc/stalela/daemon.env",
          "grep -qx 'STALELA_ALLOW_EMULATOR=1' /etc/stalela/daemon.env",
        );
      }
      return steps;
    });
    const result = spawnSync("bash", ["-euo", "pipefail", "-x", "-c", script.join("\n")], {
      cwd: stick,
      encoding: "utf8",
      // A technician's shell that names no language: the CLI then speaks French (docs/CLI.md).
      env: { ...process.env, LC_ALL: "", LC_MESSAGES: "", LANG: "C.UTF-8", ...machine.env, HOME: "/root" },
      maxBuffer: 64 * 1024 * 1024,
    });
    const transcript = `${result.stdout}\n${result.stderr}`;
    expect(result.status, transcript).toBe(0);

    // What the guide promises the technician sees, checked against facts the test knows itself.
    expect(result.stdout).toMatch(new RegExp(`^${VERSION.replaceAll(".", "\\.")}$`, "m"));
    expect(result.stdout).toContain(`STALELA_CLOUD_URL=${site.cloudUrl}`);
    expect(result.stdout).toContain(`STALELA_MERCHANT_NIF=${SITE_IDENTITY.nif}`);
    expect(result.stdout).toContain(`STALELA_OUTLET_ID=${SITE_IDENTITY.outlet}`);
    expect(result.stdout).toContain(`STALELA_ISF=${SITE_SFE.isf}`);
    expect(result.stdout).toContain(`STALELA_SELLER_NAME=${SITE_SFE.name}`);
    // The test sale carries the shop's SFE identity from daemon.env (the curl prints the invoice).
    expect(result.stdout).toContain(`"isf":"${SITE_SFE.isf}"`);
    expect(result.stdout).toContain(`"address":"${SITE_SFE.address}"`);
    expect(result.stdout).toContain("UNACTIVATED");
    expect(result.stdout).toMatch(/clé publique\s+[0-9a-f]{64}/);
    expect(result.stdout).toMatch(/"state":\s*"FISCALIZED"/);
    expect(result.stdout).toContain("/var/lib/stalela/daemon.sqlite");
  });
});
