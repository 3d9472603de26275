/**
 * The language of the CLI's human output: `--lang fr|en` (a global option, set once by the program
 * before a command runs), else the POSIX locale (LC_ALL, LC_MESSAGES, LANG), else French. JSON output
 * keeps the stable codes and names whatever the language.
 */
import { type Lang, langOfPosixLocale } from "../protocol/i18n/index.js";

let chosen: Lang | undefined;

/** Sets the language `--lang` asked for. */
export function setReaderLang(lang: Lang | undefined): void {
  chosen = lang;
}

/** The language to write human output in. */
export function readerLang(): Lang {
  return chosen ?? langOfPosixLocale(process.env);
}
