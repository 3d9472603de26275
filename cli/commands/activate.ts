/**
 * `stalela device activate (--code CODE | --bundle FILE)`: activates the DEF for a merchant and outlet.
 *
 * With the daemon running, the request goes over its admin channel (docs/ADMIN.md), which owns the
 * device link and the cloud client. Without it, a bundle file is applied directly: the device is
 * opened here and the same ActivationService runs on the daemon's store, so the binding and the
 * resumable progress are recorded exactly as the daemon would record them. A code needs the daemon,
 * which is configured to reach the Stalela Cloud. Either way the device's public key is printed:
 * docs/INSTALL.md has the technician write it down.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { type ActivationResult, ActivationService } from "../../daemon/activation/activation.js";
import { configFromEnv, resolveConfigLayers } from "../../daemon/config.js";
import { trustPolicyFrom } from "../../daemon/fiscal/device-trust.js";
import { DeviceIdentity } from "../../daemon/fiscal/identity.js";
import { ActivationProgressStore } from "../../daemon/store/activation-progress.js";
import { AuditLog } from "../../daemon/store/audit.js";
import { CloudCredentialStore } from "../../daemon/store/cloud-credential.js";
import { DeviceBindingStore } from "../../daemon/store/device-binding.js";
import { cloudPortFor } from "../../daemon/sync/cloud-sync.js";
import { t } from "../../protocol/i18n/index.js";
import { FiscalError } from "../../protocol/index.js";
import { START_DAEMON_FIX } from "../doctor/report.js";
import { afterHelp } from "../help.js";
import { readerLang } from "../lang.js";
import { type OutputOptions, printResult, runAction } from "../output.js";
import { enterStateDir, openStore } from "../state.js";
import { adminSocketPath, liveAdminClient } from "./admin-socket.js";
import { type DeviceFlags, withDevice, withDeviceOptions } from "./device-connect.js";

interface ActivateFlags extends DeviceFlags, OutputOptions {
  readonly code?: string;
  readonly bundle?: string;
  readonly cloud?: string;
  readonly allowEmulator?: boolean;
}

/** Registers `activate` under the `device` group. */
export function registerDeviceActivateCommand(device: Command): void {
  withDeviceOptions(
    device
      .command("activate")
      .description("help.device.activate")
      .option("--code <code>", "help.device.activate.code")
      .option("--bundle <file>", "help.device.activate.bundle")
      .option("--cloud <url>", "help.device.activate.cloud")
      .option("--allow-emulator", "help.device.activate.allow-emulator"),
  )
    .addHelpText("after", afterHelp("help.device.activate.after"))
    .action((flags: ActivateFlags) => runAction(flags, () => activate(flags)));
}

async function activate(flags: ActivateFlags): Promise<void> {
  if ((flags.code === undefined) === (flags.bundle === undefined)) {
    throw new FiscalError("FIELD_REQUIRED", "give exactly one of --code CODE or --bundle FILE");
  }
  const fileBytes = flags.bundle === undefined ? undefined : readBundle(flags.bundle);
  const stateDir = enterStateDir(flags);
  const admin = await liveAdminClient(stateDir);
  // Claiming a code and registering talk to the cloud and can take seconds: say so on a terminal only.
  if (
    flags.json !== true &&
    process.stderr.isTTY === true &&
    (admin !== undefined || fileBytes !== undefined)
  ) {
    const via = admin === undefined ? "device" : "daemon";
    process.stderr.write(`${t(readerLang(), "cli.device.activate.progress", { via })}\n`);
  }
  let result: ActivationResult;
  let via: "daemon" | "device";
  if (admin !== undefined) {
    via = "daemon";
    result =
      fileBytes === undefined
        ? await admin.activateWithCode(flags.code!)
        : await admin.activateWithBundle(fileBytes);
  } else if (fileBytes !== undefined) {
    via = "device";
    result = await activateDirectly(flags, stateDir, fileBytes);
  } else {
    throw new FiscalError(
      "CLOUD_UNREACHABLE",
      "activation with a code goes through the daemon, which talks to the Stalela Cloud, and no daemon " +
        `answers on ${adminSocketPath(stateDir)}: start it, ${START_DAEMON_FIX}; check --state; ` +
        "or activate offline with --bundle FILE",
    );
  }
  const say = (key: string, values?: Record<string, string>): string =>
    t(readerLang(), `cli.device.activate.${key}`, values);
  printResult(flags, { ...result, via }, () => [
    say(result.resumed ? "resumed" : "done", { device: result.device_id, via }),
    say("merchant", { nif: result.merchant_nif }),
    say("outlet", { outlet: result.outlet_id }),
    say("authority", { authority: result.fiscal_authority_id }),
    say("public_key", { key: result.public_key }),
    say("write_down"),
    say(result.registered ? "registered" : "not_registered"),
  ]);
}

function readBundle(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new FiscalError("FIELD_REQUIRED", `cannot read the bundle file ${path}: ${(err as Error).message}`);
  }
}

/**
 * No daemon: the device is opened here and the daemon's own activation flow runs on its store. The
 * store must exist (the daemon creates it), and is checked before the device is touched.
 */
async function activateDirectly(
  flags: ActivateFlags,
  stateDir: string,
  fileBytes: Uint8Array,
): Promise<ActivationResult> {
  // The same settings and rules as the daemon's (daemon.env's STALELA_* variables, docs/SECURITY.md):
  // the pinned root, the configured merchant, https only outside development mode.
  const { config } = resolveConfigLayers([
    configFromEnv(process.env),
    {
      patch: {
        ...(flags.cloud === undefined ? {} : { cloud: { endpoint: flags.cloud } }),
        ...(flags.allowEmulator === true ? { trust: { allowEmulator: true } } : {}),
      },
      origin: "flag",
    },
  ]);
  const db = openStore(stateDir);
  try {
    return await withDevice(flags, async (device) => {
      const audit = new AuditLog(db);
      return new ActivationService({
        device,
        cloud: cloudPortFor(config.cloud, config.trust.allowEmulator),
        progress: new ActivationProgressStore(db),
        bindings: new DeviceBindingStore(db, audit),
        credentials: new CloudCredentialStore(db, audit),
        identity: new DeviceIdentity(),
        audit,
        trust: trustPolicyFrom(config.trust, config.merchant),
      }).activateWithBundle(fileBytes, "cli");
    });
  } finally {
    db.close();
  }
}
