/**
 * `stalela cloud-emulator`: the reference Stalela Cloud for development and CI (docs/CLOUD_API.md
 * §Cloud emulator). Activation codes can be issued at start (`--issue-code CODE:NIF:OUTLET:AUTHORITY`)
 * or at run time (`POST /admin/codes`); faults at start (`--fault NAME=VALUE`) or at run time
 * (`POST /control/faults`).
 */
import { type Command, InvalidArgumentError } from "commander";
import {
  type CloudFaultPatch,
  type CodeIdentity,
  parseCloudFault,
  startCloudEmulator,
} from "../../emulator/cloud/index.js";
import { fromHex } from "../../protocol/index.js";

/** The cloud emulator's default port (the daemon's default `sync.endpoint` points here). */
export const DEFAULT_CLOUD_PORT = 8780;
/** The cloud emulator's default state directory. */
export const DEFAULT_CLOUD_STATE_DIR = "./.state/cloud";

interface CloudFlags {
  port: number;
  host: string;
  state: string;
  issueCode: { code: string; identity: CodeIdentity }[];
  rootSeed?: Uint8Array;
  fault: CloudFaultPatch;
  verifyThreads: number;
}

function port(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65_535) throw new InvalidArgumentError("must be 0..65535");
  return Number(text);
}

function issueCode(text: string, previous: CloudFlags["issueCode"]): CloudFlags["issueCode"] {
  const [code, merchant_nif, outlet_id, fiscal_authority_id, ...rest] = text.split(":");
  const id = /^[A-Za-z0-9-]{1,32}$/;
  if (
    rest.length > 0 ||
    ![code, merchant_nif, outlet_id, fiscal_authority_id].every((p) => p !== undefined && id.test(p))
  ) {
    throw new InvalidArgumentError("must be CODE:MERCHANT_NIF:OUTLET_ID:FISCAL_AUTHORITY_ID");
  }
  return [
    ...previous,
    {
      code: code!,
      identity: {
        merchant_nif: merchant_nif!,
        outlet_id: outlet_id!,
        fiscal_authority_id: fiscal_authority_id!,
      },
    },
  ];
}

function threads(text: string): number {
  if (!/^\d{1,2}$/.test(text) || Number(text) > 16) throw new InvalidArgumentError("must be 0..16");
  return Number(text);
}

function rootSeed(text: string): Uint8Array {
  try {
    const seed = fromHex(text);
    if (seed.length === 32) return seed;
  } catch {
    // reported below
  }
  throw new InvalidArgumentError("must be a 32-byte Ed25519 seed in hex (64 characters)");
}

function fault(text: string, previous: CloudFaultPatch): CloudFaultPatch {
  try {
    return { ...previous, ...parseCloudFault(text) };
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** Registers `stalela cloud-emulator`. */
export function registerCloudEmulatorCommand(program: Command): void {
  program
    .command("cloud-emulator")
    .description("help.cloud-emulator")
    .option("--port <n>", "help.cloud-emulator.port", port, DEFAULT_CLOUD_PORT)
    .option("--host <host>", "help.cloud-emulator.host", "127.0.0.1")
    .option("--state <dir>", "help.cloud-emulator.state", DEFAULT_CLOUD_STATE_DIR)
    .option("--issue-code <spec>", "help.cloud-emulator.issue-code", issueCode, [])
    .option("--root-seed <hex>", "help.cloud-emulator.root-seed", rootSeed)
    .option("--verify-threads <n>", "help.cloud-emulator.verify-threads", threads, 0)
    .option("--fault <name=value>", "help.cloud-emulator.fault", fault, {})
    .action(async (flags: CloudFlags) => {
      const cloud = await startCloudEmulator({
        stateDir: flags.state,
        port: flags.port,
        host: flags.host,
        rootSeed: flags.rootSeed,
        faults: flags.fault,
        verifyThreads: flags.verifyThreads,
      });
      for (const { code, identity } of flags.issueCode) cloud.issueCode(identity, code);
      process.stdout.write(
        `${JSON.stringify({ url: cloud.url, state: flags.state, codes: flags.issueCode.map((c) => c.code) })}\n`,
      );
      const shutdown = () => {
        void cloud.close().finally(() => process.exit(0));
      };
      process.once("SIGINT", shutdown);
      process.once("SIGTERM", shutdown);
    });
}
