/**
 * The language of the CLI's human output: `--lang fr|en` (a global option, set once by the program
 * before a command runs), else the POSIX locale (LC_ALL, LC_MESSAGES, LANG), else French. JSON output
 * keeps the stable codes and names whatever the language.
 */
import { type Lang, langOfPosixLocale } from "../protocol/i18n/index.js";
import { DEFAULT_TIME_ZONE, isTimeZone } from "../protocol/i18n/time.js";

let chosen: Lang | undefined;

/** Sets the language `--lang` asked for. */
export function setReaderLang(lang: Lang | undefined): void {
  chosen = lang;
}

/** The language to write human output in. */
export function readerLang(): Lang {
  return chosen ?? langOfPosixLocale(process.env);
}

/**
 * The shop's time zone for human output: `STALELA_TIME_ZONE` (from the environment or the installed
 * daemon.env, which cli/main.ts loads), else Africa/Kinshasa. An unknown zone falls back too: a
 * time shown in Kinshasa's zone beats a command that fails over a display setting.
 */
export function readerTimeZone(): string {
  const zone = process.env.STALELA_TIME_ZONE;
  return zone !== undefined && isTimeZone(zone) ? zone : DEFAULT_TIME_ZONE;
}
