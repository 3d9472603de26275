/**
 * `stalela config check [--config FILE] [--json]`: the configuration the daemon would run with, from
 * the same sources in the same order (defaults < --config FILE < STALELA_* environment, with
 * $STALELA_ENV_FILE loaded first), every setting with its value and where it came from. Secrets are
 * masked. An invalid configuration is the daemon's own coded error, and a non-zero exit.
 */
import type { Command } from "commander";
import {
  CONFIG_PATHS,
  type ConfigLayer,
  configFromEnv,
  configFromFile,
  type ResolvedConfig,
  resolveConfigLayers,
} from "../../daemon/config.js";
import { type Lang, t } from "../../protocol/i18n/index.js";
import { afterHelp } from "../help.js";
import { readerLang } from "../lang.js";
import { type OutputOptions, printResult, runAction } from "../output.js";

/** What a masked secret shows instead of its value. */
export const MASK = "********";

/** Settings whose name looks secret but which are public (a public key is not a secret). */
export const PUBLIC_SETTINGS: ReadonlySet<string> = new Set(["trust.cloudRootKey"]);

/**
 * True for a setting whose value must never be printed: its name says credential, key, password,
 * secret or token (any case), unless it is listed as public. Only text values can be secrets
 * (`metrics.requireKey` is a yes/no).
 */
export function isSecretSetting(path: string, value: unknown): boolean {
  if (PUBLIC_SETTINGS.has(path) || typeof value !== "string") return false;
  const name = path.split(".").at(-1) ?? path;
  return /credential|key|password|secret|token/i.test(name);
}

/** One line of the report. */
export interface ConfigEntry {
  readonly path: string;
  /** The value, MASK for a secret; undefined when the setting is unset. */
  readonly value: unknown;
  /** "default", "file:PATH", "env:NAME" or "flag:--name". */
  readonly source: string;
}

function valueAt(config: object, path: string): unknown {
  let node: unknown = config;
  for (const key of path.split(".")) node = (node as Record<string, unknown> | undefined)?.[key];
  return node;
}

/** The settings of a resolved configuration (every one, in schema order, by default), secrets masked. */
export function configEntries(
  resolved: ResolvedConfig,
  paths: readonly string[] = CONFIG_PATHS,
): ConfigEntry[] {
  return paths.map((path) => {
    const value = valueAt(resolved.config, path);
    return {
      path,
      value: value !== undefined && isSecretSetting(path, value) ? MASK : value,
      source: resolved.sources[path] ?? "default",
    };
  });
}

/** The check's answer: the settings, and the warnings the daemon would log at start. */
export function configReport(resolved: ResolvedConfig): {
  valid: true;
  settings: ConfigEntry[];
  warnings: readonly string[];
} {
  return { valid: true, settings: configEntries(resolved), warnings: resolved.warnings };
}

function shown(value: unknown, lang: Lang): string {
  if (value === undefined) return t(lang, "cli.config.not_set");
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** The human lines of a report, in `lang` (the reader's language unless given). */
export function configLines(report: ReturnType<typeof configReport>, lang: Lang = readerLang()): string[] {
  const say = (key: string, values?: Record<string, string>): string => t(lang, `cli.config.${key}`, values);
  const [setting, value] = [say("setting"), say("value")];
  const width = Math.max(setting.length, ...report.settings.map((e) => e.path.length));
  const valueWidth = Math.min(
    40,
    Math.max(value.length, ...report.settings.map((e) => shown(e.value, lang).length)),
  );
  return [
    say("valid"),
    `${setting.padEnd(width)}  ${value.padEnd(valueWidth)}  ${say("source")}`,
    ...report.settings.map(
      (e) => `${e.path.padEnd(width)}  ${shown(e.value, lang).padEnd(valueWidth)}  ${e.source}`,
    ),
    ...report.warnings.map((warning) => say("warning", { warning })),
  ];
}

interface ConfigCheckFlags extends OutputOptions {
  readonly config?: string;
}

/** Resolves the configuration as `stalela daemon` would, without its command-line flags. */
export function checkConfig(flags: ConfigCheckFlags, env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  const file: ConfigLayer[] = flags.config ? [configFromFile(flags.config)] : [];
  return resolveConfigLayers([...file, configFromEnv(env)]);
}

/** Registers `config` and `config check`. */
export function registerConfigCommand(program: Command): void {
  const config = program.command("config").description("help.config");
  config
    .command("check")
    .description("help.config.check")
    .option("--config <file>", "help.config.check.config")
    .option("--json", "help.option.json")
    .addHelpText("after", afterHelp("help.config.check.after"))
    .action((flags: ConfigCheckFlags) =>
      runAction(flags, () => {
        const report = configReport(checkConfig(flags));
        printResult(flags, report, () => configLines(report));
      }),
    );
}
