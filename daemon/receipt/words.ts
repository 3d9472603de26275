/**
 * The total in words (SFE §1.2 q), by the `n2words` library: "huit mille deux cents francs
 * congolais", "un million de francs congolais", "… et cinquante centimes".
 */
import { toCardinal as toEnglish } from "n2words/en-GB";
import { toCardinal as toFrench } from "n2words/fr-FR";
import { type Lang, t } from "../../protocol/i18n/index.js";

const CARDINAL: Readonly<Record<Lang, (value: bigint) => string>> = { fr: toFrench, en: toEnglish };

/**
 * French puts "de" between a round million or milliard and its noun ("un million de francs"); so
 * does nothing else here.
 */
function joinNoun(lang: Lang, words: string, noun: string): string {
  const de = lang === "fr" && /(millions?|milliards?)$/.test(words) ? " de" : "";
  return `${words}${de} ${noun}`;
}

/** `centimes` CDF minor units (1/100 franc) in words. */
export function amountInWords(centimes: number, lang: Lang): string {
  const value = BigInt(centimes);
  const francs = value / 100n;
  const cents = value % 100n;
  const noun = t(lang, "receipt.words.franc", { count: Number(francs) });
  const francPart = joinNoun(lang, CARDINAL[lang](francs), noun);
  const centPart = `${CARDINAL[lang](cents)} ${t(lang, "receipt.words.centime", { count: Number(cents) })}`;
  if (cents === 0n) return francPart;
  if (francs === 0n) return centPart;
  return `${francPart} ${t(lang, "receipt.words.and")} ${centPart}`;
}
