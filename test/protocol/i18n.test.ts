/**
 * The catalogue module, the shop's time and the total in words: the language negotiation rules,
 * French by default, the same keys in both catalogues, local times with their offset, and French
 * number words with the grammar a receipt needs.
 */
import { describe, expect, it } from "vitest";
import { amountInWords } from "../../daemon/receipt/words.js";
import { CATALOGUES, langOfAcceptLanguage, langOfPosixLocale, t } from "../../protocol/i18n/index.js";
import { formatLocalTime, isTimeZone } from "../../protocol/i18n/time.js";

describe("the catalogues", () => {
  it("have the same keys in French and English", () => {
    expect(Object.keys(CATALOGUES.en).sort()).toEqual(Object.keys(CATALOGUES.fr).sort());
  });
  it("format ICU plurals in each language", () => {
    expect(t("fr", "receipt.words.franc", { count: 1 })).toBe("franc congolais");
    expect(t("fr", "receipt.words.franc", { count: 2 })).toBe("francs congolais");
    expect(t("en", "receipt.words.franc", { count: 2 })).toBe("Congolese francs");
  });
  it("falls back to the key itself for a key no catalogue has", () => {
    expect(t("en", "no.such.key")).toBe("no.such.key");
  });
});

describe("the language a reader asks for", () => {
  it.each([
    [undefined, "fr"],
    ["", "fr"],
    ["en", "en"],
    ["en-GB,en;q=0.9,fr;q=0.8", "en"],
    ["fr-CD, en;q=0.5", "fr"],
    ["de-DE, en;q=0.3, fr;q=0.7", "fr"],
    ["en;q=0, fr;q=0.1", "fr"],
    ["de, ln", "fr"],
    ["*", "fr"],
  ] as const)("Accept-Language %j reads as %s", (header, lang) => {
    expect(langOfAcceptLanguage(header)).toBe(lang);
  });
  it.each([
    [{ LANG: "en_US.UTF-8" }, "en"],
    [{ LANG: "fr_CD.UTF-8" }, "fr"],
    [{ LANG: "C.UTF-8" }, "fr"],
    [{ LC_ALL: "en_GB", LANG: "fr_FR" }, "en"],
    [{}, "fr"],
  ] as const)("the POSIX locale %j reads as %s", (env, lang) => {
    expect(langOfPosixLocale(env)).toBe(lang);
  });
});

describe("the shop's time", () => {
  const instant = Date.UTC(2026, 11, 1, 23, 30, 5);
  it("is Kinshasa's by default, with its offset", () => {
    expect(formatLocalTime(instant, "Africa/Kinshasa")).toBe("02/12/2026 00:30:05 (UTC+01:00)");
  });
  it("is an hour later in Lubumbashi", () => {
    expect(formatLocalTime(instant, "Africa/Lubumbashi", "en")).toBe("02/12/2026 01:30:05 (UTC+02:00)");
  });
  it("reads UTC as +00:00", () => {
    expect(formatLocalTime(instant, "UTC")).toBe("01/12/2026 23:30:05 (UTC+00:00)");
  });
  it("knows real zones only", () => {
    expect(isTimeZone("Africa/Lubumbashi")).toBe(true);
    expect(isTimeZone("Africa/Gombe")).toBe(false);
  });
});

describe("the total in words", () => {
  it.each([
    [820_000, "huit mille deux cents francs congolais"],
    [100, "un franc congolais"],
    [100_000_000, "un million de francs congolais"],
    [200_000_000_000, "deux milliards de francs congolais"],
    [150, "un franc congolais et cinquante centimes"],
    [8_000, "quatre-vingts francs congolais"],
    [1, "un centime"],
    [7_160_000, "soixante et onze mille six cents francs congolais"],
  ])("%d centimes read %j in French", (centimes, words) => {
    expect(amountInWords(centimes, "fr")).toBe(words);
  });
  it("reads in English when asked", () => {
    expect(amountInWords(820_050, "en")).toBe(
      "eight thousand two hundred Congolese francs and fifty centimes",
    );
  });
});
