/** The English catalogue: the same keys as the French one (a test checks it). */
import { AUDIT_EN } from "./en/audit.js";
import { CLI_EN } from "./en/cli.js";
import { CONDITIONS_EN } from "./en/conditions.js";
import { CONSOLE_EN } from "./en/console.js";
import { ERRORS_EN } from "./en/errors.js";
import { HELP_EN } from "./en/help.js";
import { RECEIPT_EN } from "./en/receipt.js";
import { REPORT_EN } from "./en/report.js";

export const EN: Readonly<Record<string, string>> = {
  ...ERRORS_EN,
  ...CONDITIONS_EN,
  ...RECEIPT_EN,
  ...REPORT_EN,
  ...CLI_EN,
  ...CONSOLE_EN,
  ...AUDIT_EN,
  ...HELP_EN,
};
