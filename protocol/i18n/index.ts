/**
 * The message catalogues: every text a person reads, in French (the default) and English, keyed by
 * stable keys (`error.NONCE_EXPIRED`, `receipt.total_ttc` …), so a code never changes with the
 * language. Messages are ICU MessageFormat (`intl-messageformat`): plurals, numbers and dates follow
 * the language's locale (fr-CD: a narrow no-break space between thousands, a decimal comma).
 */
import { IntlMessageFormat, type PrimitiveType } from "intl-messageformat";
import { EN } from "./en.js";
import { FR } from "./fr.js";

/** The languages people can read the product in; French first. */
export const LANGS = ["fr", "en"] as const;
export type Lang = (typeof LANGS)[number];
/** The language of every human text unless one is asked for. */
export const DEFAULT_LANG: Lang = "fr";
/** The locale each language formats numbers and dates with. */
export const LOCALES: Readonly<Record<Lang, string>> = { fr: "fr-CD", en: "en-GB" };

/** One language's catalogue: key → ICU message. */
export type Catalogue = Readonly<Record<string, string>>;
/** The catalogues; `fr` is the reference, and a test checks that `en` has exactly its keys. */
export const CATALOGUES: Readonly<Record<Lang, Catalogue>> = { fr: FR, en: EN };

const compiled = new Map<string, IntlMessageFormat>();

/** True when `key` has a text in `lang`. */
export function hasMessage(lang: Lang, key: string): boolean {
  return Object.hasOwn(CATALOGUES[lang], key);
}

/**
 * The text of `key` in `lang`, with `values` put in. A key missing from the catalogue is a bug the
 * catalogue test catches; at run time it falls back to French, then to the key itself, so a person
 * always reads something searchable.
 */
export function t(lang: Lang, key: string, values?: Record<string, PrimitiveType>): string {
  const chosen: Lang = hasMessage(lang, key) ? lang : DEFAULT_LANG;
  const source = CATALOGUES[chosen][key];
  if (source === undefined) return key;
  const cacheKey = `${chosen}\u0000${key}`;
  let format = compiled.get(cacheKey);
  if (format === undefined) {
    format = new IntlMessageFormat(source, LOCALES[chosen]);
    compiled.set(cacheKey, format);
  }
  return String(format.format(values));
}

/** True for "fr" and "en". */
export function isLang(value: unknown): value is Lang {
  return value === "fr" || value === "en";
}

/**
 * The language an HTTP `Accept-Language` header asks for (RFC 9110 §12.5.4): the supported
 * language with the highest q-value, the header's order breaking ties; French when none matches.
 */
export function langOfAcceptLanguage(header: string | undefined): Lang {
  if (header === undefined) return DEFAULT_LANG;
  let best: { lang: Lang; q: number } | undefined;
  for (const part of header.split(",").slice(0, 32)) {
    const [range = "", ...params] = part.trim().split(";");
    const q = qualityOf(params);
    const primary = range.trim().toLowerCase().split("-")[0];
    const lang = primary === "*" ? DEFAULT_LANG : primary;
    if (!isLang(lang) || q <= 0) continue;
    if (best === undefined || q > best.q) best = { lang, q };
  }
  return best?.lang ?? DEFAULT_LANG;
}

function qualityOf(params: readonly string[]): number {
  for (const p of params) {
    const m = /^\s*q\s*=\s*([01](\.\d{0,3})?)\s*$/i.exec(p);
    if (m) return Number(m[1]);
  }
  return 1;
}

/**
 * The language of a POSIX locale (`LC_ALL`, `LC_MESSAGES`, `LANG`: `en_US.UTF-8` → en); French for
 * anything else, including `C` and `POSIX`, which say nothing about the reader.
 */
export function langOfPosixLocale(env: Readonly<Record<string, string | undefined>>): Lang {
  const value = env.LC_ALL || env.LC_MESSAGES || env.LANG || "";
  const primary = value.toLowerCase().split(/[_.@-]/)[0];
  return isLang(primary) ? primary : DEFAULT_LANG;
}
