/** Command-line flags shared by the bench/ scripts (`--name N`). */

/** Reads `--name N` from argv, or `fallback` when absent; throws for a value that is not a number ≥ 0. */
export function numberFlag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} needs a number`);
  return value;
}
