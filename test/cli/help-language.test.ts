/**
 * `stalela --help` in the reader's language (cli/help.ts): every description, option, argument and
 * after text of the whole program is a key of protocol/i18n/{fr,en}/help.ts named by the key scheme,
 * the help reads French by default and English with `--lang en` (before or after the subcommand) or an
 * English POSIX locale, commander's own words included; help still goes to stdout with exit 0, and a
 * usage error is still E323 with exit 2. Expected texts are written here by hand.
 */

import type { Command } from "commander";
import { IntlMessageFormat } from "intl-messageformat";
import { afterEach, describe, expect, it, vi } from "vitest";
import { decodeHelpKey, helpKey, helpText } from "../../cli/help.js";
import { buildProgram } from "../../cli/program.js";
import { HELP_EN } from "../../protocol/i18n/en/help.js";
import { HELP_FR } from "../../protocol/i18n/fr/help.js";
import { CATALOGUES, LANGS, type Lang, LOCALES } from "../../protocol/i18n/index.js";
import { runCli } from "./run-cli.js";

const HELP: Readonly<Record<Lang, Readonly<Record<string, string>>>> = { fr: HELP_FR, en: HELP_EN };

afterEach(() => {
  vi.restoreAllMocks();
});

/** Whitespace as one space: commander wraps descriptions at the help width. */
function flat(text: string): string {
  return text.replace(/\s+/g, " ");
}

/** Every command of the tree with its path below `stalela` ("" for the program itself). */
function commandsOf(command: Command, path = ""): { command: Command; path: string }[] {
  return [
    { command, path },
    ...command.commands.flatMap((sub) => commandsOf(sub, path === "" ? sub.name() : `${path}.${sub.name()}`)),
  ];
}

/** The key a command's texts start with: help.stalela for the program, else help.<path>. */
function baseKey(path: string): string {
  return path === "" ? "help.stalela" : `help.${path}`;
}

/** What the program's help prints for `command` in `lang`, the after text included. */
function printedHelp(program: Command, command: Command, lang: Lang): { help: string; after: string } {
  program.setOptionValue("lang", lang);
  const written: string[] = [];
  const spy = vi
    .spyOn(process.stdout, "write")
    .mockImplementation((chunk) => written.push(String(chunk)) > 0);
  try {
    command.outputHelp();
  } finally {
    spy.mockRestore();
  }
  const output = written.join("");
  const help = command.helpInformation();
  if (!output.startsWith(help)) throw new Error(`${command.name()}: the help is not printed first`);
  return { help, after: output.slice(help.length) };
}

/** A description's key, or a finding when it is none, is missing from a catalogue or is misnamed. */
function keyProblem(where: string, text: string, allowed: (key: string) => boolean): string | undefined {
  const decoded = decodeHelpKey(text);
  if (decoded === undefined) return `${where}: not a help key: ${JSON.stringify(text)}`;
  for (const lang of LANGS)
    if (!Object.hasOwn(HELP[lang], decoded.key)) return `${where}: ${decoded.key} has no ${lang} text`;
  if (!allowed(decoded.key)) return `${where}: ${decoded.key} does not follow the key scheme`;
  return undefined;
}

/**
 * Everything in the program's help that is no catalogue text: a description, option or argument
 * that is no help key of both catalogues named by the scheme, or an after text that is not the text
 * of one such key in each language.
 */
function untranslatedHelp(program: Command): string[] {
  const problems: (string | undefined)[] = [];
  for (const { command, path } of commandsOf(program)) {
    const base = baseKey(path);
    const where = `stalela ${path.replaceAll(".", " ")}`.trim();
    problems.push(keyProblem(where, command.description(), (key) => key === base));
    for (const option of command.options) {
      const name = (option.long ?? option.short ?? "").replace(/^-+/, "");
      problems.push(
        keyProblem(
          `${where} ${option.flags}`,
          option.description,
          (key) => key === `${base}.${name}` || key.startsWith("help.option."),
        ),
      );
    }
    for (const argument of command.registeredArguments) {
      // An argument without a description is not listed: commander prints no Arguments: then.
      if (argument.description === "") continue;
      problems.push(
        keyProblem(
          `${where} <${argument.name()}>`,
          argument.description,
          (key) => key === `${base}.${argument.name()}`,
        ),
      );
    }
    const after = {
      fr: printedHelp(program, command, "fr").after,
      en: printedHelp(program, command, "en").after,
    };
    if (after.fr === "" && after.en === "") continue;
    const key = Object.keys(HELP_EN).find(
      (k) => after.en === `\n${HELP_EN[k]}\n` && after.fr === `\n${HELP_FR[k]}\n`,
    );
    if (key === undefined)
      problems.push(`${where}: the after text is no catalogue text: ${JSON.stringify(after.fr)}`);
    else if (key !== `${base}.after` && !key.startsWith("help.exits."))
      problems.push(`${where}: after text ${key} does not follow the key scheme`);
  }
  return problems.filter((p) => p !== undefined);
}

describe("the help catalogues", () => {
  it("have the same keys in French and English, all under help., merged into both catalogues", () => {
    expect(Object.keys(HELP_EN).sort()).toEqual(Object.keys(HELP_FR).sort());
    expect(Object.keys(HELP_FR).filter((key) => !key.startsWith("help."))).toEqual([]);
    for (const lang of LANGS)
      for (const [key, text] of Object.entries(HELP[lang])) expect(CATALOGUES[lang][key], key).toBe(text);
  });

  it("parse as ICU, take the same placeholders in both languages and lose no apostrophe or brace", () => {
    const placeholders = (message: string, lang: Lang): string[] => {
      const names = new Set<string>();
      const walk = (nodes: readonly { type: number; value?: unknown }[]): void => {
        for (const node of nodes)
          if (node.type === 1 && typeof node.value === "string") names.add(node.value);
      };
      walk(
        new IntlMessageFormat(message, LOCALES[lang]).getAst() as unknown as {
          type: number;
          value?: unknown;
        }[],
      );
      return [...names].sort();
    };
    const problems: string[] = [];
    for (const key of Object.keys(HELP_EN)) {
      const names = placeholders(HELP_EN[key]!, "en");
      if (placeholders(HELP_FR[key]!, "fr").join() !== names.join())
        problems.push(`${key}: placeholders differ`);
      for (const lang of LANGS) {
        const message = HELP[lang][key]!;
        // Each placeholder comes out as its value, and every other character as written.
        const values = Object.fromEntries(names.map((name) => [name, `<${name}>`]));
        const expected = names.reduce((text, name) => text.replaceAll(`{${name}}`, `<${name}>`), message);
        const out = String(new IntlMessageFormat(message, LOCALES[lang]).format(values));
        if (out !== expected) problems.push(`${key} (${lang}): formats as ${JSON.stringify(out)}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("are translated: the French text differs from the English one everywhere", () => {
    expect(Object.keys(HELP_EN).filter((key) => HELP_FR[key] === HELP_EN[key])).toEqual([]);
  });
});

describe("helpKey and helpText", () => {
  it("put a key's values in, show any other text as written, and never show nothing", () => {
    const port = helpKey("help.demo.port", { port: "8765" });
    expect(helpText(port, "en")).toBe("port of the POS API (default 8765, or a free one if that is taken)");
    expect(helpText(port, "fr")).toBe(
      "port de l'API des caisses (par défaut 8765, ou un port libre s'il est pris)",
    );
    expect(helpText("help.device.info", "fr")).toBe("identité, clés, état et limites de l'appareil fiscal");
    expect(helpText("some english", "fr")).toBe("some english");
    expect(helpText("help.no.such.key", "fr")).toBe("help.no.such.key");
    expect(helpText("", "fr")).toBe("");
  });
});

describe("the whole program's help", () => {
  it("is made of catalogue keys only, named by the key scheme, after texts included", () => {
    const program = buildProgram();
    expect(commandsOf(program).length).toBeGreaterThan(25);
    expect(untranslatedHelp(program)).toEqual([]);
  });

  it("finds a raw English description, option, argument or after text, and a misnamed key", () => {
    const program = buildProgram();
    const device = program.commands.find((c) => c.name() === "device")!;
    device
      .command("new")
      .description("help.device.info")
      .argument("<what>", "the thing")
      .option("--x", "some english")
      .addHelpText("after", "\nExit codes: 0 fine.");
    expect(untranslatedHelp(program)).toEqual([
      "stalela device new: help.device.info does not follow the key scheme",
      'stalela device new --x: not a help key: "some english"',
      'stalela device new <what>: not a help key: "the thing"',
      'stalela device new: the after text is no catalogue text: "\\nExit codes: 0 fine.\\n"',
    ]);
  });

  it("has no English word of commander's and no key left in French", () => {
    const program = buildProgram();
    const french = commandsOf(program)
      .map(({ command }) => {
        const { help, after } = printedHelp(program, command, "fr");
        return help + after;
      })
      .join("\n");
    for (const english of [
      "Usage:",
      "Options:",
      "Commands:",
      "Arguments:",
      "default:",
      "choices:",
      "display help",
    ])
      expect(french).not.toContain(english);
    expect(french).not.toMatch(/\bhelp\.[a-z]/);
    expect(french).toContain("Arguments :");
  });

  it("never breaks a line before a French colon", () => {
    const program = buildProgram();
    const emulator = program.commands.find((c) => c.name() === "emulator")!;
    const { help } = printedHelp(program, emulator, "fr");
    expect(help).not.toMatch(/\n\s+:/);
    expect(flat(help)).toContain('répertoire d\'état (mémoire fiscale) (par défaut : "./.state/emulator")');
  });
});

describe("stalela --help, the real binary", () => {
  it("reads French by default, commander's words included, on stdout with exit 0", async () => {
    const run = await runCli(["--help"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    expect(run.stdout).toContain("Utilisation : stalela [options] [command]");
    expect(run.stdout).toContain("Commandes :");
    const text = flat(run.stdout);
    expect(text).toContain("--version afficher la version");
    expect(text).toContain("-h, --help afficher l'aide de la commande");
    expect(text).toContain("help [command] afficher l'aide de la commande");
    expect(text).toContain('(valeurs : "fr", "en")');
    expect(text).toContain("créer, lister et révoquer les clés API des caisses");
  });

  it("reads English with --lang en", async () => {
    const run = await runCli(["--lang", "en", "--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Usage: stalela [options] [command]");
    const text = flat(run.stdout);
    expect(text).toContain("-h, --help display help for command");
    expect(text).toContain("create, list and revoke POS API keys");
    expect(text).not.toContain("Utilisation");
  });

  it("explains `device time` in French, and in English with --lang en before or after the subcommand", async () => {
    const french = await runCli(["device", "time", "--help"]);
    expect(french.code).toBe(0);
    expect(french.stderr).toBe("");
    expect(french.stdout).toContain("Utilisation : stalela device time [options]");
    const fr = flat(french.stdout);
    expect(fr).toContain("comparer l'horloge de l'appareil fiscal à celle de cet ordinateur, ou la régler");
    expect(fr).toContain("régler l'horloge de l'appareil fiscal : `now` (l'heure de cet ordinateur)");
    expect(fr).toContain("temps d'attente maximal de l'appareil fiscal (ms) (par défaut : 5000)");
    expect(french.stdout).toContain(
      "Un --set refusé (plus de 15 min une fois l'appareil activé) sort avec le code 3.",
    );
    for (const args of [
      ["--lang", "en", "device", "time", "--help"],
      ["device", "time", "--help", "--lang", "en"],
    ]) {
      const english = await runCli(args);
      expect(english.code).toBe(0);
      expect(english.stdout).toContain("Usage: stalela device time [options]");
      const en = flat(english.stdout);
      expect(en).toContain("show the device clock against this computer's, or set it");
      expect(en).toContain("wait this long for the device (default: 5000)");
      expect(english.stdout).toContain("A refused --set (over 15 min once activated) exits 3.");
      expect(english.stdout).not.toContain("Codes de sortie");
    }
  });

  it("explains `invoice receipt` with its choices and defaults in the reader's words", async () => {
    const french = await runCli(["invoice", "receipt", "--help"]);
    expect(french.code).toBe(0);
    const fr = flat(french.stdout);
    expect(fr).toContain("Utilisation : stalela invoice receipt [options] <id>");
    expect(fr).toContain("le reçu d'une facture scellée ; le premier est l'original");
    expect(fr).toContain('format du reçu (valeurs : "text", "escpos", "html", "pdf", par défaut : "text")');
    expect(fr).toContain("caractères par ligne : 32 (58 mm), 42 ou 48 (80 mm) (par défaut : 48)");
    expect(fr).toContain('le fuseau horaire de la boutique (par défaut : "Africa/Kinshasa")');
    const english = flat((await runCli(["invoice", "receipt", "--help", "--lang", "en"])).stdout);
    expect(english).toContain('receipt format (choices: "text", "escpos", "html", "pdf", default: "text")');
    expect(english).toContain('the shop\'s time zone (default: "Africa/Kinshasa")');
  });

  it("explains the emulator's fault flags in French, and in English with --lang en", async () => {
    const french = await runCli(["emulator", "--help"]);
    expect(french.code).toBe(0);
    const fr = flat(french.stdout);
    expect(fr).toContain("--drop-next <n> panne : perdre les N prochaines réponses");
    expect(fr).toContain("--busy-rate <r> panne : probabilité de répondre BUSY");
    expect(fr).toContain("chemin du lien symbolique du PTY (par défaut /tmp/stalela-def, sauf avec --tcp)");
    expect(fr).toContain("durée de vie d'un nonce de PREPARE (par défaut 120000)");
    const english = flat((await runCli(["--lang", "en", "emulator", "--help"])).stdout);
    expect(english).toContain("--drop-next <n> fault: lose the next N replies");
    expect(english).toContain("PTY symlink path (default /tmp/stalela-def unless --tcp is given)");
    expect(english).toContain("PREPARE nonce lifetime (default 120000)");
  });

  it("reads English under an English POSIX locale without --lang, French under another", async () => {
    const english = await runCli(["device", "time", "--help"], { LANG: "en_GB.UTF-8" });
    expect(english.code).toBe(0);
    expect(english.stdout).toContain("Usage: stalela device time [options]");
    expect(flat(english.stdout)).toContain("show the device clock against this computer's, or set it");
    const french = await runCli(["device", "time", "--help"], { LANG: "fr_CD.UTF-8" });
    expect(french.stdout).toContain("Utilisation : stalela device time [options]");
    // --lang wins over the locale.
    const asked = await runCli(["device", "time", "--help", "--lang", "fr"], { LANG: "en_GB.UTF-8" });
    expect(asked.stdout).toContain("Utilisation : stalela device time [options]");
  });
});

describe("usage errors, unchanged", () => {
  it("an unknown option is still E323 with exit 2 and nothing on stdout", async () => {
    const run = await runCli(["device", "time", "--bogus"]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(
      /^stalela: E323 USAGE: .* unknown option '--bogus' \(see `stalela device time --help`\)\n$/,
    );
  });

  it("a missing subcommand prints the help in the reader's language on stderr, then E323", async () => {
    const french = await runCli(["journal"]);
    expect(french.code).toBe(2);
    expect(french.stdout).toBe("");
    expect(french.stderr).toContain("Utilisation : stalela journal [options] [command]");
    expect(flat(french.stderr)).toContain(
      "breaks [options] lister chaque rupture de chaîne, acquittée ou non",
    );
    expect(french.stderr.trimEnd().split("\n").at(-1)).toMatch(
      /^stalela: E323 USAGE: .* a subcommand is required/,
    );
    const english = await runCli(["journal", "--lang", "en"]);
    expect(english.code).toBe(2);
    expect(english.stderr).toContain("Usage: stalela journal [options] [command]");
    expect(flat(english.stderr)).toContain("breaks [options] list every chain break, acknowledged or not");
  });
});
