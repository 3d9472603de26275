/**
 * The cloud emulator's store (device keys, credential hashes, received invoices) comes out with a 0700
 * directory and 0600 files, set by the code at every open, under umask 022 and over an older open one.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CloudStore } from "../../emulator/cloud/store.js";

const modeOf = (path: string) => (existsSync(path) ? (statSync(path).mode & 0o777).toString(8) : "-");

let root: string;
let savedUmask: number;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "stalela-cloud-modes-"));
  savedUmask = process.umask(0o022);
});
afterEach(() => {
  process.umask(savedUmask);
  rmSync(root, { recursive: true, force: true });
});

describe("the cloud emulator's store", () => {
  it("is created under umask 022 with a 0700 directory and 0600 database, -wal and -shm", () => {
    const dir = join(root, "cloud");
    mkdirSync(dir, { recursive: true });
    const path = join(dir, "cloud.sqlite");
    const store = new CloudStore(path);
    store.open();
    try {
      expect([modeOf(dir), modeOf(path), modeOf(`${path}-wal`), modeOf(`${path}-shm`)]).toEqual([
        "700",
        "600",
        "600",
        "600",
      ]);
    } finally {
      store.close();
    }
  });

  it("closes a store an older version left 0644 in a 0755 directory", () => {
    const dir = join(root, "cloud-old");
    const path = join(dir, "cloud.sqlite");
    mkdirSync(dir, { recursive: true });
    const first = new CloudStore(path);
    first.open();
    first.close();
    chmodSync(dir, 0o755);
    chmodSync(path, 0o644);
    const store = new CloudStore(path);
    store.open();
    try {
      expect([modeOf(dir), modeOf(path)]).toEqual(["700", "600"]);
    } finally {
      store.close();
    }
  });
});
