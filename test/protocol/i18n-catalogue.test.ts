/**
 * The error and status-condition catalogues (protocol/i18n/{fr,en}/{errors,conditions}.ts): one text
 * per error of the ERRORS table and per condition the daemon raises, in both languages, each a valid
 * ICU message that formats with its values, French actually translated. The checks are functions
 * returning their findings, and each is also run on a broken catalogue to show that it can fail.
 */
import { readdirSync, readFileSync } from "node:fs";
import { IntlMessageFormat, type PrimitiveType } from "intl-messageformat";
import { describe, expect, it } from "vitest";
import { ERRORS } from "../../protocol/errors.js";
import { CONDITIONS_EN } from "../../protocol/i18n/en/conditions.js";
import { ERRORS_EN } from "../../protocol/i18n/en/errors.js";
import { CONDITIONS_FR } from "../../protocol/i18n/fr/conditions.js";
import { ERRORS_FR } from "../../protocol/i18n/fr/errors.js";

type Catalogue = Readonly<Record<string, string>>;

/** The locales protocol/i18n/index.ts formats each language with. */
const LOCALE = { fr: "fr-CD", en: "en-GB" } as const;
/** The narrow no-break space fr-CD groups thousands with. */
const NNBSP = "\u202f";

/**
 * Every condition code the daemon raises, written by hand from daemon/status.ts (`add(...)`),
 * daemon/sync/conditions.ts and daemon/daemon.ts (SFE_NOT_CONFIGURED): a new condition must be added
 * here and given a text in both catalogues.
 */
const CONDITION_CODES = [
  // daemon/status.ts
  "DEVICE_IDENTITY_MISMATCH",
  "DEVICE_UNTRUSTED",
  "DEVICE_MISSING",
  "DEVICE_NOT_ACTIVATED",
  "DEVICE_LOCKED",
  "CLOCK_INVALID",
  "CLOCK_SKEW",
  "JOURNAL_NEARLY_FULL",
  "JOURNAL_CHAIN_BROKEN",
  "RECORDS_IMPORTED",
  // daemon/sync/conditions.ts
  "CLOUD_NOT_CONFIGURED",
  "CLOUD_ACK_MISMATCH",
  "CLOUD_NOT_ACTIVATED",
  "SYNC_FAILED",
  "SYNC_PENDING_TOO_LONG",
  "CLOUD_UNREACHABLE",
  "CLOUD_CREDENTIAL_REFUSED",
  "CLOUD_OFFLINE_DAYS",
  // daemon/daemon.ts
  "SFE_NOT_CONFIGURED",
  "DAY_NOT_CLOSED",
] as const;

/** A value for every placeholder a catalogue message uses. */
const SAMPLES: Readonly<Record<string, PrimitiveType>> = {
  kind: "id",
  connected: "DEF-0002",
  bound: "DEF-0001",
  reason: "JOURNAL_FULL",
  seconds: 75,
  used: 950_000,
  capacity: 1_000_000,
  count: 3,
  minutes: 60,
  days: 8,
  settings: "sfe.isf (STALELA_ISF)",
  closing: "01/12/2026 23:00:00 (UTC+01:00)",
  hours: 2,
};

/** Texts that are the same in both languages on purpose (none yet: every text has words to translate). */
const SAME_IN_BOTH: ReadonlySet<string> = new Set<string>();

const ERROR_KEYS = Object.keys(ERRORS).map((name) => `error.${name}`);

// ---------------------------------------------------------------------------------------------------
// The checks: each returns what it found wrong, so a test asserts [] and a self-test a finding.

/** Keys missing from `actual` and keys `actual` has beyond `expected`. */
function keyProblems(expected: readonly string[], actual: Catalogue): string[] {
  const want = new Set(expected);
  return [
    ...expected.filter((key) => !Object.hasOwn(actual, key)).map((key) => `missing ${key}`),
    ...Object.keys(actual)
      .filter((key) => !want.has(key))
      .map((key) => `extra ${key}`),
  ];
}

/** Condition keys that are not exactly `.message` and `.hint` for each of `codes`. */
function conditionKeyProblems(codes: readonly string[], catalogue: Catalogue): string[] {
  return keyProblems(
    codes.flatMap((code) => [`condition.${code}.message`, `condition.${code}.hint`]),
    catalogue,
  );
}

interface AstNode {
  readonly type: number;
  readonly value?: unknown;
  readonly options?: Readonly<Record<string, { readonly value: readonly AstNode[] }>>;
  readonly children?: readonly AstNode[];
}

/** The parser's element types (@formatjs/icu-messageformat-parser TYPE) that name an argument. */
const ARGUMENT_KIND: Readonly<Record<number, string>> = {
  1: "argument",
  2: "number",
  3: "date",
  4: "time",
  5: "select",
  6: "plural",
};
const SELECT = 5;
const LITERAL = 0;

/** How many apostrophes a text has. */
function quotes(text: string): number {
  return text.split("'").length - 1;
}

/**
 * Placeholder name → its kind, the option keys of every select, and the apostrophes left in the
 * literal text of all branches once the parser has read ICU's quoting.
 */
function placeholdersOf(ast: readonly AstNode[]): {
  kinds: Map<string, string>;
  selects: [string, string][];
  apostrophes: number;
} {
  const kinds = new Map<string, string>();
  const selects: [string, string][] = [];
  let apostrophes = 0;
  const walk = (nodes: readonly AstNode[]): void => {
    for (const node of nodes) {
      if (node.type === LITERAL && typeof node.value === "string") apostrophes += quotes(node.value);
      const kind = ARGUMENT_KIND[node.type];
      if (kind !== undefined && typeof node.value === "string") kinds.set(node.value, kind);
      if (node.type === SELECT && typeof node.value === "string") {
        for (const option of Object.keys(node.options ?? {}))
          if (option !== "other") selects.push([node.value, option]);
      }
      for (const option of Object.values(node.options ?? {})) walk(option.value);
      if (node.children) walk(node.children);
    }
  };
  walk(ast);
  return { kinds, selects, apostrophes };
}

function compile(message: string, locale: string): IntlMessageFormat {
  return new IntlMessageFormat(message, locale);
}

/**
 * Messages that do not parse, do not format with the samples (and with each select option and a
 * count of 1), leave a brace in the output, or lose an apostrophe (ICU's quoting: `'{` starts an
 * escape and `''` is one apostrophe, so an apostrophe missing from the parsed text was read as one).
 */
function formatProblems(catalogue: Catalogue, locale: string): string[] {
  const problems: string[] = [];
  for (const [key, message] of Object.entries(catalogue)) {
    let format: IntlMessageFormat;
    try {
      format = compile(message, locale);
    } catch (err) {
      problems.push(`${key}: does not parse: ${String(err)}`);
      continue;
    }
    const { kinds, selects, apostrophes } = placeholdersOf(format.getAst() as unknown as AstNode[]);
    if (apostrophes !== quotes(message)) problems.push(`${key}: an apostrophe was read as ICU quoting`);
    const base: Record<string, PrimitiveType> = {};
    for (const name of kinds.keys()) {
      if (!Object.hasOwn(SAMPLES, name)) problems.push(`${key}: no sample value for {${name}}`);
      else base[name] = SAMPLES[name];
    }
    const variants: Record<string, PrimitiveType>[] = [base, { ...base, count: 1, days: 1 }];
    for (const [name, option] of selects) variants.push({ ...base, [name]: option });
    for (const values of variants) {
      let out: string;
      try {
        out = String(format.format(values));
      } catch (err) {
        problems.push(`${key}: does not format with ${JSON.stringify(values)}: ${String(err)}`);
        continue;
      }
      if (/[{}]/.test(out)) problems.push(`${key}: a brace is left in ${JSON.stringify(out)}`);
    }
    if (kinds.size === 0 && String(format.format()) !== message)
      problems.push(`${key}: a message without placeholders does not format to itself`);
  }
  return problems;
}

/** Keys whose French and English texts are the same although the English one has a letter. */
function untranslated(fr: Catalogue, en: Catalogue): string[] {
  return Object.keys(en).filter(
    (key) => /\p{L}/u.test(en[key] ?? "") && fr[key] === en[key] && !SAME_IN_BOTH.has(key),
  );
}

/** Keys whose French and English messages take different placeholders. */
function placeholderMismatches(fr: Catalogue, en: Catalogue): string[] {
  const signature = (message: string, locale: string): string =>
    [...placeholdersOf(compile(message, locale).getAst() as unknown as AstNode[]).kinds]
      .map(([name, kind]) => `${name}:${kind}`)
      .sort()
      .join(",");
  return Object.keys(en).filter(
    (key) => fr[key] !== undefined && signature(fr[key], LOCALE.fr) !== signature(en[key] ?? "", LOCALE.en),
  );
}

/** Every .ts file under `dir`, relative to the repository. */
function tsFiles(dir: string): string[] {
  const root = new URL(`../../${dir}/`, import.meta.url);
  return (readdirSync(root, { recursive: true }) as string[])
    .filter((name) => name.endsWith(".ts"))
    .map((name) => `${dir}/${name}`);
}

function source(path: string): string {
  return readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");
}

/**
 * The condition codes the daemon's source raises: `add("CODE", …)` in daemon/status.ts, and every
 * `{ code: "CODE", severity: … }` object anywhere in daemon/ (daemon/sync/conditions.ts, the
 * SFE_NOT_CONFIGURED source in daemon/daemon.ts, and any new one).
 */
function scannedConditionCodes(): Set<string> {
  const codes = new Set<string>();
  for (const m of source("daemon/status.ts").matchAll(/\badd\(\s*"([A-Z][A-Z0-9_]*)"/g)) codes.add(m[1]!);
  for (const path of tsFiles("daemon")) {
    for (const m of source(path).matchAll(/\bcode:\s*"([A-Z][A-Z0-9_]*)",\s*severity:/g)) codes.add(m[1]!);
  }
  return codes;
}

function format(lang: "fr" | "en", key: string, values?: Record<string, PrimitiveType>): string {
  const catalogue = { fr: { ...ERRORS_FR, ...CONDITIONS_FR }, en: { ...ERRORS_EN, ...CONDITIONS_EN } }[lang];
  const message = catalogue[key];
  if (message === undefined) throw new Error(`no ${lang} text for ${key}`);
  return String(compile(message, LOCALE[lang]).format(values));
}

// ---------------------------------------------------------------------------------------------------

describe("error catalogue", () => {
  it("has one error.<NAME> text per ERRORS entry in French and in English, and nothing else", () => {
    expect(ERROR_KEYS.length).toBeGreaterThan(80);
    expect(keyProblems(ERROR_KEYS, ERRORS_FR)).toEqual([]);
    expect(keyProblems(ERROR_KEYS, ERRORS_EN)).toEqual([]);
  });

  it("keeps the ERRORS table's English text verbatim", () => {
    const changed = (Object.keys(ERRORS) as (keyof typeof ERRORS)[]).filter(
      (name) => ERRORS_EN[`error.${name}`] !== ERRORS[name].text,
    );
    expect(changed).toEqual([]);
  });
});

describe("condition catalogue", () => {
  it("has a .message and a .hint for every condition code, in both languages, and nothing else", () => {
    expect(conditionKeyProblems(CONDITION_CODES, CONDITIONS_FR)).toEqual([]);
    expect(conditionKeyProblems(CONDITION_CODES, CONDITIONS_EN)).toEqual([]);
    expect(keyProblems(Object.keys(CONDITIONS_FR), CONDITIONS_EN)).toEqual([]);
    expect(keyProblems(Object.keys(CONDITIONS_EN), CONDITIONS_FR)).toEqual([]);
  });

  it("covers exactly the codes the daemon's source raises", () => {
    const scanned = scannedConditionCodes();
    expect([...scanned].sort()).toEqual([...CONDITION_CODES].sort());
    const withoutText = [...scanned].filter(
      (code) =>
        CONDITIONS_FR[`condition.${code}.message`] === undefined ||
        CONDITIONS_EN[`condition.${code}.message`] === undefined ||
        CONDITIONS_FR[`condition.${code}.hint`] === undefined ||
        CONDITIONS_EN[`condition.${code}.hint`] === undefined,
    );
    expect(withoutText).toEqual([]);
  });

  it("gives no placeholder to a hint", () => {
    const withValues = Object.entries({ ...CONDITIONS_FR, ...CONDITIONS_EN })
      .filter(([key]) => key.endsWith(".hint"))
      .filter(
        ([, message]) =>
          placeholdersOf(compile(message, "fr-CD").getAst() as unknown as AstNode[]).kinds.size > 0,
      )
      .map(([key]) => key);
    expect(withValues).toEqual([]);
  });
});

describe("every message", () => {
  const all = {
    fr: { ...ERRORS_FR, ...CONDITIONS_FR },
    en: { ...ERRORS_EN, ...CONDITIONS_EN },
  };

  it("parses as ICU and formats with sample values, leaving no brace and losing no apostrophe", () => {
    expect(formatProblems(all.fr, LOCALE.fr)).toEqual([]);
    expect(formatProblems(all.en, LOCALE.en)).toEqual([]);
  });

  it("takes the same placeholders in French and in English", () => {
    expect(placeholderMismatches(all.fr, all.en)).toEqual([]);
  });

  it("is translated: French differs from English wherever the English has words", () => {
    expect(Object.keys(all.en).length).toBeGreaterThan(100);
    expect(untranslated(all.fr, all.en)).toEqual([]);
  });
});

describe("the checks themselves", () => {
  it("find a missing key, an extra key and a condition without its hint", () => {
    const { "error.NONCE_EXPIRED": _dropped, ...short } = ERRORS_FR;
    expect(keyProblems(ERROR_KEYS, short)).toEqual(["missing error.NONCE_EXPIRED"]);
    expect(keyProblems(ERROR_KEYS, { ...ERRORS_FR, "error.NO_SUCH": "x" })).toEqual(["extra error.NO_SUCH"]);
    const { "condition.CLOCK_SKEW.hint": _hint, ...noHint } = CONDITIONS_EN;
    expect(conditionKeyProblems(CONDITION_CODES, noHint)).toEqual(["missing condition.CLOCK_SKEW.hint"]);
    expect(conditionKeyProblems([...CONDITION_CODES, "NEW_CONDITION"], CONDITIONS_EN)).toEqual([
      "missing condition.NEW_CONDITION.message",
      "missing condition.NEW_CONDITION.hint",
    ]);
  });

  it("find a message that does not parse, lacks a sample, keeps a brace or loses an apostrophe", () => {
    const found = formatProblems(
      {
        unclosed: "the clock differs by {seconds s",
        unknown: "{nobody} is here",
        quoted: "l'appareil '{count}' est là",
        lost: "l''appareil",
      },
      LOCALE.fr,
    );
    expect(found.some((p) => p.startsWith("unclosed: does not parse"))).toBe(true);
    expect(found.some((p) => p.startsWith("unknown: no sample value for {nobody}"))).toBe(true);
    expect(found.some((p) => p.startsWith("quoted: a brace is left"))).toBe(true);
    expect(found.some((p) => p.startsWith("lost: an apostrophe was read as ICU quoting"))).toBe(true);
  });

  it("find an untranslated copy and a placeholder renamed in one language", () => {
    expect(untranslated({ a: "same text", b: "autre" }, { a: "same text", b: "other" })).toEqual(["a"]);
    expect(untranslated({ a: "DEF-1" }, { a: "DEF-1" })).toEqual(["a"]);
    expect(untranslated({ a: "123" }, { a: "123" })).toEqual([]);
    expect(placeholderMismatches({ a: "{n} jours" }, { a: "{days} days" })).toEqual(["a"]);
  });

  it("finds the daemon's conditions in its source", () => {
    const scanned = scannedConditionCodes();
    // One from each place: status.ts's add(), the sync agent's objects, the SFE source in daemon.ts.
    for (const code of ["CLOCK_SKEW", "DEVICE_UNTRUSTED", "SYNC_FAILED", "SFE_NOT_CONFIGURED"])
      expect(scanned.has(code)).toBe(true);
  });
});

describe("texts, by hand", () => {
  it("keeps apostrophes and French words in the error texts", () => {
    expect(format("fr", "error.DEVICE_UNAVAILABLE")).toBe("l'appareil fiscal n'est pas connecté");
    expect(format("fr", "error.REFERENCE_REQUIRED")).toBe(
      "une facture d'avoir doit faire référence à sa facture d'origine",
    );
    expect(format("fr", "error.AMOUNT_NOT_POSITIVE")).toBe(
      "une facture ou une ligne a un montant nul ou négatif (SFE EG1.21–1.22)",
    );
    expect(format("en", "error.NONCE_EXPIRED")).toBe("the commit nonce has expired");
  });

  it("puts the clock skew in seconds", () => {
    expect(format("fr", "condition.CLOCK_SKEW.message", { seconds: 75 })).toBe(
      "l'horloge de l'appareil fiscal diffère de celle de cet ordinateur de 75 s",
    );
    expect(format("en", "condition.CLOCK_SKEW.message", { seconds: 75 })).toBe(
      "the device clock differs from this computer's by 75 s",
    );
    expect(format("fr", "condition.CLOCK_SKEW.message", { seconds: 7200 })).toContain(`de 7${NNBSP}200 s`);
    expect(format("en", "condition.CLOCK_SKEW.message", { seconds: -7200 })).toContain("by -7,200 s");
  });

  it("counts records in the singular and the plural", () => {
    expect(format("fr", "condition.RECORDS_IMPORTED.message", { count: 1 })).toBe(
      "1 enregistrement a été importé depuis le journal de l'appareil fiscal",
    );
    expect(format("fr", "condition.RECORDS_IMPORTED.message", { count: 3 })).toBe(
      "3 enregistrements ont été importés depuis le journal de l'appareil fiscal",
    );
    expect(format("en", "condition.RECORDS_IMPORTED.message", { count: 1 })).toBe(
      "1 record was imported from the device journal",
    );
    expect(format("en", "condition.RECORDS_IMPORTED.message", { count: 3 })).toBe(
      "3 records were imported from the device journal",
    );
    expect(format("fr", "condition.CLOUD_OFFLINE_DAYS.message", { days: 8 })).toBe(
      "aucun contact réussi avec le Stalela Cloud depuis 8 jours",
    );
    expect(format("en", "condition.SYNC_FAILED.message", { count: 1 })).toBe("1 invoice failed to upload");
  });

  it("groups the journal's numbers as each locale does", () => {
    const journal = { used: 950_000, capacity: 1_000_000 };
    expect(format("fr", "condition.JOURNAL_NEARLY_FULL.message", journal)).toBe(
      "le journal de l'appareil fiscal est presque plein : " +
        `950${NNBSP}000 enregistrements sur 1${NNBSP}000${NNBSP}000`,
    );
    expect(format("en", "condition.JOURNAL_NEARLY_FULL.message", journal)).toBe(
      "the device journal is 950,000 of 1,000,000 records full",
    );
  });

  it("names the lock reason and the identity mismatch", () => {
    const locked = (reason: string): string => format("fr", "condition.DEVICE_LOCKED.message", { reason });
    expect(locked("JOURNAL_FULL")).toBe("l'appareil fiscal est verrouillé (journal fiscal plein)");
    expect(locked("none")).toBe("l'appareil fiscal est verrouillé (aucune raison indiquée)");
    expect(locked("overheated")).toBe("l'appareil fiscal est verrouillé (overheated)");
    expect(format("en", "condition.DEVICE_LOCKED.message", { reason: "SELF_TEST_FAILED" })).toBe(
      "the fiscal device is locked (self-test failed)",
    );
    const mismatch = { connected: "DEF-2", bound: "DEF-1" };
    expect(format("fr", "condition.DEVICE_IDENTITY_MISMATCH.message", { kind: "id", ...mismatch })).toBe(
      "l'appareil fiscal connecté DEF-2 n'est pas l'appareil lié DEF-1",
    );
    expect(format("en", "condition.DEVICE_IDENTITY_MISMATCH.message", { kind: "key", ...mismatch })).toBe(
      "the connected device DEF-2 has another key than the bound device",
    );
  });

  it("tells the technician which setting and which command fix a condition", () => {
    expect(format("fr", "condition.SFE_NOT_CONFIGURED.hint")).toContain("STALELA_ISF");
    expect(format("fr", "condition.SFE_NOT_CONFIGURED.message", { settings: "sfe.isf (STALELA_ISF)" })).toBe(
      "l'identité du SFE n'est pas configurée (manquant : sfe.isf (STALELA_ISF)) : " +
        "aucune facture n'est scellée",
    );
    expect(format("fr", "condition.SYNC_FAILED.hint")).toContain("`stalela queue retry`");
    expect(format("en", "condition.JOURNAL_CHAIN_BROKEN.hint")).toContain("`stalela journal ack --by NAME`");
    expect(format("fr", "condition.CLOUD_NOT_CONFIGURED.hint")).toContain("STALELA_CLOUD_URL");
  });
});
