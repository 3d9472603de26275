/** Journal export and offline verification (docs/EXPORT.md): pure, shared by the CLI and auditors' tools. */
export * from "./export-format.js";
export * from "./report.js";
export * from "./verify-export.js";
