/**
 * The installed defaults: `/usr/bin/stalela` runs the CLI with `STALELA_ENV_FILE=/etc/stalela/daemon.env`,
 * the very file the service reads as its systemd EnvironmentFile, so the CLI finds the same device,
 * state directory and cloud as the daemon without a flag. cli/main.ts loads it once, before any
 * command parses, and only fills in what the process environment leaves unset: flags > environment >
 * this file > built-in defaults.
 *
 * The format is the one systemd reads: `KEY=VALUE` lines, blank lines, comments from a leading `#` or
 * `;`, and values optionally in double quotes (where `\` escapes the next character) or single quotes
 * (taken literally).
 */
import { readFileSync } from "node:fs";
import { FiscalError } from "../protocol/index.js";

/** The environment variable naming the file. */
export const ENV_FILE_VARIABLE = "STALELA_ENV_FILE";

const LINE = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/;

/** One value: unquoted (trimmed), "double-quoted" with `\` escapes, or 'single-quoted' as is. */
function unquoted(raw: string): string | undefined {
  if (raw.startsWith("'")) {
    return raw.length >= 2 && raw.endsWith("'") && !raw.slice(1, -1).includes("'")
      ? raw.slice(1, -1)
      : undefined;
  }
  if (!raw.startsWith('"')) return /["']/.test(raw) ? undefined : raw;
  let out = "";
  for (let i = 1; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === "\\" && i + 1 < raw.length) out += raw[++i];
    else if (c === '"') return i === raw.length - 1 ? out : undefined;
    else out += c;
  }
  return undefined;
}

/**
 * Parses an environment file. A line that is not `KEY=VALUE`, or a value with an unterminated or
 * stray quote, is FIELD_TYPE naming the file and the line; a key set twice keeps its last value, as
 * systemd does.
 */
export function parseEnvFile(text: string, path: string): Map<string, string> {
  const vars = new Map<string, string>();
  text.split(/\r?\n/).forEach((rawLine, i) => {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) return;
    const match = LINE.exec(line);
    const value = match === null ? undefined : unquoted(match[2]!.trim());
    if (match === null || value === undefined) {
      throw new FiscalError(
        "FIELD_TYPE",
        `${path} line ${i + 1}: not KEY=VALUE (a value may be in "double" or 'single' quotes): ${line}`,
        { path, line: i + 1 },
      );
    }
    vars.set(match[1]!, value);
  });
  return vars;
}

/**
 * Adds the settings of the file `env.STALELA_ENV_FILE` names to `env`, for every variable `env` does
 * not already set (even to the empty string). No variable, or a missing file, is no settings; a file
 * this user cannot read is STORAGE_FAILURE naming it. Returns the names it added.
 */
export function loadEnvFile(
  env: NodeJS.ProcessEnv = process.env,
  read: (path: string) => string = (path) => readFileSync(path, "utf8"),
): string[] {
  const path = env[ENV_FILE_VARIABLE];
  if (path === undefined || path === "") return [];
  let text: string;
  try {
    text = read(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return [];
    throw new FiscalError(
      "STORAGE_FAILURE",
      `cannot read ${path} (${ENV_FILE_VARIABLE}), the installed settings: ${code ?? (err as Error).message}` +
        (code === "EACCES" || code === "EPERM"
          ? `: run stalela as root, or check its mode (ls -l ${path})`
          : ""),
      { path },
      { cause: err },
    );
  }
  const added: string[] = [];
  for (const [key, value] of parseEnvFile(text, path)) {
    if (key in env) continue;
    env[key] = value;
    added.push(key);
  }
  return added;
}
