/**
 * The CLI's human output in the reader's language and the shop's time zone: the `cli.*` catalogue
 * texts (protocol/i18n/{fr,en}/cli.ts) format as written in both languages, and the real binary reads
 * French by default, English with `--lang en` or an English POSIX locale, with every time in
 * Kinshasa's zone (UTC+01:00) unless STALELA_TIME_ZONE names another (Lubumbashi, UTC+02:00).
 */
import { IntlMessageFormat, type PrimitiveType } from "intl-messageformat";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InvoiceView } from "../../daemon/fiscal/types.js";
import { CLI_EN } from "../../protocol/i18n/en/cli.js";
import { CLI_FR } from "../../protocol/i18n/fr/cli.js";
import { CATALOGUES, LOCALES } from "../../protocol/i18n/index.js";
import { formatLocalTime } from "../../protocol/i18n/time.js";
import { posSale, ServiceHarness } from "../daemon/fiscal/harness.js";
import { runCli } from "./run-cli.js";

interface AstNode {
  readonly type: number;
  readonly value?: unknown;
  readonly options?: Readonly<Record<string, { readonly value: readonly AstNode[] }>>;
  readonly children?: readonly AstNode[];
}

/** @formatjs/icu-messageformat-parser's element types. */
const TYPE = { literal: 0, argument: 1, number: 2, select: 5, plural: 6 } as const;

/** Texts with no word to translate: the same in French and English on purpose. */
const SAME_IN_BOTH: ReadonlySet<string> = new Set([
  "cli.invoice.client_ref",
  "cli.invoice.qr",
  "cli.invoice.sync_dgi",
  "cli.invoice.transition",
  "cli.invoice.transition_note",
  "cli.verify_qr.v2_code",
  "cli.doctor.level.ok",
  "cli.doctor.area.udev",
  "cli.doctor.area.cloud",
  "cli.doctor.udev.missing.fix",
  "cli.doctor.device.warnings.fix",
]);

/** Placeholder name → its kind, and the apostrophes left in the literal text once ICU read it. */
function shapeOf(message: string, locale: string): { kinds: Map<string, number>; apostrophes: number } {
  const kinds = new Map<string, number>();
  let apostrophes = 0;
  const walk = (nodes: readonly AstNode[]): void => {
    for (const node of nodes) {
      if (node.type === TYPE.literal && typeof node.value === "string")
        apostrophes += node.value.split("'").length - 1;
      else if (node.type >= TYPE.argument && node.type <= TYPE.plural && typeof node.value === "string")
        kinds.set(node.value, node.type);
      for (const option of Object.values(node.options ?? {})) walk(option.value);
      if (node.children) walk(node.children);
    }
  };
  walk(new IntlMessageFormat(message, locale).getAst() as unknown as AstNode[]);
  return { kinds, apostrophes };
}

/** A sample value for each placeholder: 1 and 3 for counts, a select's every branch, text otherwise. */
function samples(kinds: Map<string, number>, count: number): Record<string, PrimitiveType> {
  const values: Record<string, PrimitiveType> = {};
  for (const [name, kind] of kinds) {
    values[name] =
      kind === TYPE.plural || kind === TYPE.number ? count : kind === TYPE.select ? "daemon" : `<${name}>`;
  }
  return values;
}

/** What is wrong with the `cli.*` texts of one language: unparsable, a brace or an apostrophe lost. */
function formatProblems(catalogue: Readonly<Record<string, string>>, locale: string): string[] {
  const problems: string[] = [];
  for (const [key, message] of Object.entries(catalogue)) {
    let shape: ReturnType<typeof shapeOf>;
    try {
      shape = shapeOf(message, locale);
    } catch (err) {
      problems.push(`${key}: does not parse: ${String(err)}`);
      continue;
    }
    if (shape.apostrophes !== message.split("'").length - 1)
      problems.push(`${key}: an apostrophe was read as ICU quoting`);
    for (const count of [1, 3]) {
      const out = String(new IntlMessageFormat(message, locale).format(samples(shape.kinds, count)));
      if (/[{}]/.test(out)) problems.push(`${key}: a brace is left in ${JSON.stringify(out)}`);
    }
    if (shape.kinds.size === 0 && String(new IntlMessageFormat(message, locale).format()) !== message)
      problems.push(`${key}: a text without placeholders does not format to itself`);
  }
  return problems;
}

describe("the cli.* catalogue texts", () => {
  it("are merged into both catalogues, with the same keys, all under cli.", () => {
    expect(Object.keys(CLI_FR).sort()).toEqual(Object.keys(CLI_EN).sort());
    expect(Object.keys(CLI_FR).every((key) => key.startsWith("cli."))).toBe(true);
    for (const key of Object.keys(CLI_FR)) {
      expect(CATALOGUES.fr[key]).toBe(CLI_FR[key]);
      expect(CATALOGUES.en[key]).toBe(CLI_EN[key]);
    }
  });

  it("format as written, apostrophes included, in each language", () => {
    expect(formatProblems(CLI_FR, LOCALES.fr)).toEqual([]);
    expect(formatProblems(CLI_EN, LOCALES.en)).toEqual([]);
    // The check itself finds an apostrophe ICU takes as quoting, and a brace it leaves.
    expect(formatProblems({ a: "l'{device}", b: "l''appareil" }, LOCALES.fr)).toEqual([
      "a: an apostrophe was read as ICU quoting",
      'a: a brace is left in "l{device}"',
      'a: a brace is left in "l{device}"',
      "a: a text without placeholders does not format to itself",
      "b: an apostrophe was read as ICU quoting",
      "b: a text without placeholders does not format to itself",
    ]);
    expect(formatProblems({ good: "l'appareil {device} n'a pas répondu" }, LOCALES.fr)).toEqual([]);
  });

  it("take the same placeholders in French and English", () => {
    // By name: a count may be a plural in one language and a plain number in the other (the code
    // passes a number either way).
    const signature = (message: string, locale: string): string =>
      [...shapeOf(message, locale).kinds.keys()].sort().join(",");
    const mismatched = Object.keys(CLI_EN).filter(
      (key) => signature(CLI_FR[key] ?? "", LOCALES.fr) !== signature(CLI_EN[key] ?? "", LOCALES.en),
    );
    expect(mismatched).toEqual([]);
  });

  it("are translated: French differs from English wherever there are words", () => {
    const same = Object.keys(CLI_EN).filter((key) => CLI_FR[key] === CLI_EN[key] && !SAME_IN_BOTH.has(key));
    expect(same).toEqual([]);
  });
});

describe("the binary's language and time zone", () => {
  let h: ServiceHarness;
  let sealed: InvoiceView;
  /** When the invoice was sealed, as a person in Kinshasa and one in Lubumbashi reads it. */
  let kinshasa: string;
  let lubumbashi: string;

  beforeAll(async () => {
    h = await new ServiceHarness().start();
    sealed = (
      await h.service.fiscalise(posSale(11_600, { client_ref: "TILL1-LANG" }), "KEY-LANG-1", h.caller)
    ).invoice;
    const at = Date.parse(sealed.fiscal!.timestamp);
    kinshasa = formatLocalTime(at, "Africa/Kinshasa", "fr");
    lubumbashi = formatLocalTime(at, "Africa/Lubumbashi", "fr");
  });
  afterAll(() => h.stop());

  const get = (args: readonly string[] = [], env: NodeJS.ProcessEnv = {}) =>
    runCli([...args, "invoice", "get", sealed.id, "--state", h.dir], env);

  it("is French by default, in Kinshasa's time (UTC+01:00)", async () => {
    const run = await get();
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^facture \S+ {2}SALE {2}FISCALIZED\n {2}clé {10}KEY-LANG-1\n/);
    expect(run.stdout).toContain("  caissier     ");
    expect(kinshasa).toMatch(/^\d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d \(UTC\+01:00\)$/);
    expect(run.stdout).toContain(`  scellée le   ${kinshasa}\n`);
    expect(run.stdout).not.toContain("sealed at");
  });

  it("is English with --lang en, anywhere on the line, and with LANG=en_US.UTF-8", async () => {
    for (const run of [
      await get(["--lang", "en"]),
      await runCli(["invoice", "get", sealed.id, "--state", h.dir, "--lang", "en"]),
      await get([], { LANG: "en_US.UTF-8" }),
      await get([], { LANG: "fr_CD.UTF-8", LC_ALL: "en_GB.UTF-8" }),
    ]) {
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^invoice \S+ {2}SALE {2}FISCALIZED\n {2}key {10}KEY-LANG-1\n/);
      expect(run.stdout).toContain(`  sealed at    ${kinshasa}\n`);
    }
    // --lang fr beats an English locale.
    const forced = await get(["--lang", "fr"], { LANG: "en_US.UTF-8" });
    expect(forced.stdout).toMatch(/^facture /);
  });

  it("shows the time in the zone STALELA_TIME_ZONE names (Lubumbashi, UTC+02:00), JSON staying UTC", async () => {
    const east = await get([], { STALELA_TIME_ZONE: "Africa/Lubumbashi" });
    expect(east.code).toBe(0);
    expect(lubumbashi).toContain("(UTC+02:00)");
    expect(east.stdout).toContain(`  scellée le   ${lubumbashi}\n`);
    expect(east.stdout).not.toContain("(UTC+01:00)");
    const json = await runCli(["invoice", "get", sealed.id, "--state", h.dir, "--json"], {
      STALELA_TIME_ZONE: "Africa/Lubumbashi",
      LANG: "en_US.UTF-8",
    });
    const view = JSON.parse(json.stdout) as InvoiceView;
    expect(view.fiscal!.timestamp).toBe(sealed.fiscal!.timestamp);
    expect(view.transitions.map((t) => t.at)).toEqual(sealed.transitions.map((t) => t.at));
  });

  it("reads the same in `keys list`: French by default, English on request, times with their offset", async () => {
    const made = await runCli(["keys", "create", "--cashier", "CASHIER-LANG", "--state", h.dir, "--json"]);
    expect(made.code).toBe(0);
    const { id, created_at } = JSON.parse(made.stdout) as { id: string; created_at: string };
    expect(created_at).toMatch(/Z$/);
    const created = Date.parse(created_at);
    const french = await runCli(["keys", "list", "--state", h.dir]);
    expect(french.stdout).toContain(
      `${id}  caissier CASHIER-LANG  créée le ${formatLocalTime(created, "Africa/Kinshasa")}  active`,
    );
    const english = await runCli(["keys", "list", "--state", h.dir], {
      LANG: "en_US.UTF-8",
      STALELA_TIME_ZONE: "Africa/Lubumbashi",
    });
    expect(english.stdout).toContain(
      `${id}  cashier CASHIER-LANG  created ${formatLocalTime(created, "Africa/Lubumbashi", "en")}  active`,
    );
  });
});
