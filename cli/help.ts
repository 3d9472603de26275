/**
 * `stalela --help` in the reader's language: every description the commands register is a catalogue
 * key (protocol/i18n/{fr,en}/help.ts), put into words when the help is printed, in the language of
 * `--lang` (wherever it is on the line: commander has parsed it onto the program by then), else the
 * POSIX locale, else French (cli/lang.ts). Commander's own words (its headings, "display help for
 * command", the "(default: …)" and "(choices: …)" suffixes) are translated here too.
 *
 * Key scheme (`<path>` is a command's names below `stalela`, joined by dots; an option is named by
 * its long flag without the dashes, `--no-link` → `no-link`):
 *   help.stalela                   the program's description; help.stalela.<option> its own options
 *   help.<path>                    a command's description: help.device.info, help.verify-qr
 *   help.<path>.<option>           an option of that command: help.device.time.set
 *   help.<path>.<argument>         an argument of that command, by its name: help.verify-qr.payload
 *   help.<path>.after              the text printed after the command's help (its exit codes…)
 *   help.option.<option>[.<variant>]  an option several commands get from one helper: --json, --state
 *                                  (STATE_DIR_HELP in cli/state.ts), withDeviceOptions' --device …
 *   help.exits.<group>             an after text several commands share (help.exits.device)
 *   help.builtin.help              commander's `-h, --help` and `help [command]`
 *   help.heading.<name>            commander's headings: Usage:, Options:, Commands: …
 *   help.suffix.<name>             commander's "(default: …)", "(choices: …)" … parts
 * A description that is no catalogue key is shown as written. A text with values (a default port, a
 * path) is registered as `helpKey(key, values)`; its values are strings, put in as written.
 */
import {
  type AddHelpTextContext,
  type Argument,
  type Command,
  Help,
  type HelpConfiguration,
  type Option,
} from "commander";
import { hasMessage, isLang, type Lang, t } from "../protocol/i18n/index.js";
import { readerLang } from "./lang.js";

/** Values of a help text: strings, so a port or a count reads as the code has it (no grouping). */
export type HelpValues = Readonly<Record<string, string>>;

/** The description of commander's `-h, --help` option and of its `help [command]` command. */
export const HELP_DESCRIPTION = "help.builtin.help";

/** Commander's headings and their keys. */
const HEADINGS: Readonly<Record<string, string>> = {
  "Usage:": "help.heading.usage",
  "Arguments:": "help.heading.arguments",
  "Options:": "help.heading.options",
  "Global Options:": "help.heading.global_options",
  "Commands:": "help.heading.commands",
};

/** A help key with its values, as one description string: `help.demo.port{"port":"8765"}`. */
export function helpKey(key: string, values?: HelpValues): string {
  return values === undefined ? key : `${key}${JSON.stringify(values)}`;
}

/** The key and values of a description made by helpKey; undefined for any other text. */
export function decodeHelpKey(text: string): { key: string; values?: HelpValues } | undefined {
  const m = /^(help\.[\w.-]+)(\{.*\})?$/s.exec(text);
  if (m === null || !hasMessage("fr", m[1]!)) return undefined;
  if (m[2] === undefined) return { key: m[1]! };
  try {
    const values: unknown = JSON.parse(m[2]);
    if (typeof values !== "object" || values === null || Array.isArray(values)) return undefined;
    if (!Object.values(values).every((v) => typeof v === "string")) return undefined;
    return { key: m[1]!, values: values as HelpValues };
  } catch {
    return undefined;
  }
}

/** A description in `lang`: the catalogue's text for a help key, any other text as written. */
export function helpText(text: string, lang: Lang): string {
  const decoded = decodeHelpKey(text);
  return decoded === undefined ? text : t(lang, decoded.key, decoded.values);
}

/** The language `command`'s help is printed in: the program's `--lang`, else the reader's. */
export function helpLangOf(command: Command): Lang {
  let root = command;
  while (root.parent !== null) root = root.parent;
  const lang = root.opts().lang as unknown;
  return isLang(lang) ? lang : readerLang();
}

/** An after text for `addHelpText("after", …)`, put into words when the help is printed. */
export function afterHelp(key: string, values?: HelpValues): (context: AddHelpTextContext) => string {
  return ({ command }) => `\n${t(helpLangOf(command), key, values)}`;
}

/** The language each help formatter was started with (formatHelp sets it before anything else). */
const helperLangs = new WeakMap<Help, Lang>();

function langOfHelper(helper: Help): Lang {
  return helperLangs.get(helper) ?? readerLang();
}

/** Stands for a space that must not break a line while commander wraps a text. */
const GLUE = "\u0001";

/** `(a, b)` after a description, or the description alone when there is nothing to add. */
function withExtras(description: string, extras: readonly string[]): string {
  if (extras.length === 0) return description;
  const extra = `(${extras.join(", ")})`;
  return description ? `${description} ${extra}` : extra;
}

function choicesOf(choices: readonly string[]): string {
  return choices.map((choice) => JSON.stringify(choice)).join(", ");
}

/**
 * The help configuration of the program, set on it before any command is made (each copies it):
 * commander's Help with every text it prints put into the reader's language.
 */
export function helpConfiguration(): HelpConfiguration {
  return {
    formatHelp(this: Help, cmd: Command, helper: Help): string {
      helperLangs.set(helper, helpLangOf(cmd));
      return Help.prototype.formatHelp.call(this, cmd, helper);
    },
    // French puts a space before : ; ! ? » and after «: a line never breaks there.
    boxWrap(this: Help, str: string, width: number): string {
      const glued = str.replace(/ (?=[:;!?»])|(?<=«) /g, GLUE);
      return Help.prototype.boxWrap.call(this, glued, width).replaceAll(GLUE, " ");
    },
    styleTitle(this: Help, title: string): string {
      const key = HEADINGS[title];
      const lang = langOfHelper(this);
      return key === undefined ? helpText(title, lang) : t(lang, key);
    },
    commandDescription(this: Help, cmd: Command): string {
      return helpText(cmd.description(), langOfHelper(this));
    },
    subcommandDescription(this: Help, cmd: Command): string {
      return helpText(cmd.summary() || cmd.description(), langOfHelper(this));
    },
    // As commander's own, with its words in the reader's language.
    optionDescription(this: Help, option: Option): string {
      const lang = langOfHelper(this);
      const extras: string[] = [];
      if (option.argChoices)
        extras.push(t(lang, "help.suffix.choices", { values: choicesOf(option.argChoices) }));
      if (option.defaultValue !== undefined) {
        // A boolean flag's default is for the programmer, unless it is a real true/false value.
        const showDefault =
          option.required ||
          option.optional ||
          (option.isBoolean() && typeof option.defaultValue === "boolean");
        if (showDefault) {
          const value = option.defaultValueDescription
            ? helpText(option.defaultValueDescription, lang)
            : JSON.stringify(option.defaultValue);
          extras.push(t(lang, "help.suffix.default", { value }));
        }
      }
      if (option.presetArg !== undefined && option.optional)
        extras.push(t(lang, "help.suffix.preset", { value: JSON.stringify(option.presetArg) }));
      if (option.envVar !== undefined) extras.push(t(lang, "help.suffix.env", { name: option.envVar }));
      return withExtras(helpText(option.description, lang), extras);
    },
    argumentDescription(this: Help, argument: Argument): string {
      const lang = langOfHelper(this);
      const extras: string[] = [];
      if (argument.argChoices)
        extras.push(t(lang, "help.suffix.choices", { values: choicesOf(argument.argChoices) }));
      if (argument.defaultValue !== undefined) {
        const value = argument.defaultValueDescription
          ? helpText(argument.defaultValueDescription, lang)
          : JSON.stringify(argument.defaultValue);
        extras.push(t(lang, "help.suffix.default", { value }));
      }
      return withExtras(helpText(argument.description, lang), extras);
    },
  };
}
