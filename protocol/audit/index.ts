/** Journal export and offline verification (docs/EXPORT.md): pure, shared by the CLI and auditors' tools. */
export * from "./credit-ledger.js";
export * from "./entry-pipeline.js";
export * from "./entry-verdict.js";
export * from "./export-format.js";
export * from "./export-lines.js";
export * from "./record-rules.js";
export * from "./report.js";
export * from "./verify-export.js";
