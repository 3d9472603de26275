/**
 * The install a fresh machine does: `npm ci` refuses a lock in which any dependency edge has no
 * resolved entry ("Missing: X from lock file"), and a machine's npm cache must not decide what the lock
 * holds. These checks read package.json and package-lock.json only (no registry, no cache), so they say
 * the same on every machine. `.ci/run` also runs `npm ci` from the clean clone and fails if the tree
 * changed. And `engines` says the truth about the Node lines the product runs on (docs/INSTALL.md §10).
 */
import { readFileSync } from "node:fs";
import { join, posix } from "node:path";
import { fileURLToPath } from "node:url";
import semver from "semver";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

interface LockEntry {
  readonly version?: string;
  readonly link?: boolean;
  readonly resolved?: string;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  readonly dev?: boolean;
}
type Lock = { readonly packages: Record<string, LockEntry> };

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(join(ROOT, path), "utf8")) as T;
}

/** Where node's resolution finds `name` from the package at `from`: nearest node_modules upwards. */
function resolveIn(lock: Lock, from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = dir === "" ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
    if (lock.packages[candidate] !== undefined) return candidate;
    if (dir === "") return undefined;
    const up = dir.lastIndexOf("/node_modules/");
    dir = up < 0 ? "" : dir.slice(0, up);
  }
}

/** Every dependency edge of the lock that resolves to nothing, as "from -> name". */
function missingEdges(lock: Lock): string[] {
  const missing: string[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (entry.link === true) continue;
    const optionalPeers = Object.entries(entry.peerDependenciesMeta ?? {})
      .filter(([, meta]) => meta.optional === true)
      .map(([name]) => name);
    const edges = [
      ...Object.keys(entry.dependencies ?? {}),
      ...Object.keys(entry.optionalDependencies ?? {}),
      ...Object.keys(entry.peerDependencies ?? {}).filter((name) => !optionalPeers.includes(name)),
    ];
    for (const name of edges) {
      if (resolveIn(lock, path, name) === undefined) missing.push(`${path || "(root)"} -> ${name}`);
    }
  }
  return missing;
}

describe("package-lock.json", () => {
  const lock = readJson<Lock>("package-lock.json");

  it("resolves every dependency edge, optional ones of every platform included", () => {
    expect(missingEdges(lock)).toEqual([]);
  });

  it("finds a missing platform package, as npm ci does", () => {
    const broken: Lock = {
      packages: {
        "": { dependencies: { tool: "1.0.0" } },
        "node_modules/tool": { version: "1.0.0", optionalDependencies: { "tool-linux-x64": "1.0.0" } },
      },
    };
    expect(missingEdges(broken)).toEqual(["node_modules/tool -> tool-linux-x64"]);
    const nested: Lock = {
      packages: {
        "": { dependencies: { a: "1" } },
        "node_modules/a": { version: "1", dependencies: { b: "1" } },
        "node_modules/a/node_modules/b": { version: "1", dependencies: { c: "1" } },
        "node_modules/c": { version: "1" },
      },
    };
    expect(missingEdges(nested)).toEqual([]);
  });

  it("records exactly the versions package.json pins, and the local cbor-extract stand-in", () => {
    const pkg = readJson<{
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
      optionalDependencies: Record<string, string>;
    }>("package.json");
    const all = { ...pkg.dependencies, ...pkg.devDependencies, ...pkg.optionalDependencies };
    for (const [name, spec] of Object.entries(all)) {
      const entry = lock.packages[`node_modules/${name}`];
      expect(entry, name).toBeDefined();
      if (spec.startsWith("file:")) {
        expect(entry!.link, name).toBe(true);
        expect(posix.normalize(entry!.resolved!)).toBe(posix.normalize(spec.slice("file:".length)));
      } else {
        expect(entry!.version, name).toBe(spec);
      }
    }
    // cbor-x's optional native extension is the stand-in, never the registry package whose
    // platform binaries the registry cannot serve (commit "lock: complete and stable …").
    expect(lock.packages["node_modules/cbor-extract"]?.link).toBe(true);
    expect(Object.keys(lock.packages).filter((p) => p.includes("@cbor-extract/"))).toEqual([]);
  });
});

describe("engines", () => {
  const range = readJson<{ engines: { node: string } }>("package.json").engines.node;

  it("admits the Node this runs on and the LTS lines CI tests, and nothing that fails", () => {
    expect(semver.satisfies(process.version, range)).toBe(true);
    for (const ok of ["20.19.0", "22.12.0", "22.23.5", "24.0.0", "24.22.3"]) {
      expect(semver.satisfies(ok, range), ok).toBe(true);
    }
    // Before 20.19 fastify.inject fails with ERR_REQUIRE_ESM and vitest on a node:util export; 23 is
    // not an LTS line, nor 21 or 25; 26 is untested (docs/INSTALL.md §10).
    for (const bad of ["18.20.0", "20.11.1", "20.18.3", "21.7.3", "23.11.0", "25.0.0", "26.12.1"]) {
      expect(semver.satisfies(bad, range), bad).toBe(false);
    }
  });

  it("matches the runtimes pinned for CI and the package", () => {
    const runtimes = readJson<{ dependencies: Record<string, string> }>("packaging/runtime/package.json");
    for (const spec of Object.values(runtimes.dependencies)) {
      const version = spec.split("@").pop()!;
      expect(semver.satisfies(version, range), version).toBe(true);
    }
  });
});
