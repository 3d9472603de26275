/** The French catalogue, the reference one: every key any person-facing text uses. */
import { AUDIT_FR } from "./fr/audit.js";
import { CLI_FR } from "./fr/cli.js";
import { CONDITIONS_FR } from "./fr/conditions.js";
import { CONSOLE_FR } from "./fr/console.js";
import { ERRORS_FR } from "./fr/errors.js";
import { HELP_FR } from "./fr/help.js";
import { RECEIPT_FR } from "./fr/receipt.js";
import { REPORT_FR } from "./fr/report.js";

export const FR: Readonly<Record<string, string>> = {
  ...ERRORS_FR,
  ...CONDITIONS_FR,
  ...RECEIPT_FR,
  ...REPORT_FR,
  ...CLI_FR,
  ...CONSOLE_FR,
  ...AUDIT_FR,
  ...HELP_FR,
};
