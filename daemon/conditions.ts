/**
 * Words a raised status condition for a person: its message and its fix-it hint from the catalogues,
 * in the reader's language. The code, the severity and the time stay as raised, so a program reads
 * the same report whatever the language.
 */
import { type Lang, t } from "../protocol/i18n/index.js";
import type { RaisedCondition, StatusCondition } from "./fiscal/types.js";

/** The condition as /v1/status, the CLI and the console show it. */
export function describeCondition(condition: RaisedCondition, lang: Lang): StatusCondition {
  const params = condition.params ?? {};
  return {
    code: condition.code,
    severity: condition.severity,
    message: t(lang, `condition.${condition.code}.message`, params),
    hint: t(lang, `condition.${condition.code}.hint`, params),
    since: condition.since,
  };
}
