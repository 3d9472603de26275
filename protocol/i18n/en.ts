/** The English catalogue: the same keys as the French one (a test checks it). */
import { CONDITIONS_EN } from "./en/conditions.js";
import { ERRORS_EN } from "./en/errors.js";
import { RECEIPT_EN } from "./en/receipt.js";

export const EN: Readonly<Record<string, string>> = { ...ERRORS_EN, ...CONDITIONS_EN, ...RECEIPT_EN };
