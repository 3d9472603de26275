/**
 * The PTY link: a virtual serial port that a host opens with `serialport` as if it were /dev/ttyACM0.
 * `options.path` is a symlink to the slave side (/dev/pts/N); the emulator keeps only the master (see
 * pty-pair.ts for how it is read). Unix only: node-pty has no PTYs on Windows, use the TCP link there.
 *
 * One emulator per path: the link claims `PATH.lock` (link-lock.ts) before it touches the symlink, so
 * a second emulator is refused instead of taking over a path a live one serves, while a symlink left by
 * a dead one is replaced. On close the symlink is removed only if it still points at this link's PTY.
 */
import { randomBytes } from "node:crypto";
import { lstat, readlink, rename, symlink, unlink } from "node:fs/promises";
import { claimLinkPath, type LinkPathClaim } from "./link-lock.js";
import { PtyPair } from "./pty-pair.js";
import { type HostLink, handled, LinkEvents } from "./types.js";

/** Where to put the port. */
export interface PtyLinkOptions {
  /**
   * The symlink hosts open, e.g. /tmp/def-emulator/ttyDEF0. Replaces a stale symlink; never a real file,
   * nor a path another live emulator serves (LINK_PATH_IN_USE).
   */
  readonly path: string;
}

/**
 * A HostLink on a PTY. disconnect() closes the master, which hangs up the slave: the host's open port
 * fails (serialport emits 'close' with a DisconnectedError, err.disconnected === true) and /dev/pts/N
 * disappears. Before that a fresh PTY is already behind `path`, so reopening the same path works at once;
 * `slavePath` changes.
 */
export interface PtyLink extends HostLink {
  /** The symlink hosts open. */
  readonly path: string;
  /** The real slave device the symlink points to, e.g. /dev/pts/3. */
  readonly slavePath: string;
  /** Whether a process has the slave open (learnt from the master: up to HOST_POLL_INTERVAL_MS late). */
  readonly hostAttached: boolean;
  /** Adds a handler called when a process opens the slave (see hostAttached for the delay). */
  onHostAttached(handler: () => void): void;
}

class PtyLinkImpl extends LinkEvents implements PtyLink {
  private closed = false;
  private closing: Promise<void> | null = null;
  // disconnect() and close() run one at a time, in call order.
  private serial: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private pair: PtyPair,
    private readonly claim: LinkPathClaim,
  ) {
    super();
    this.watch(pair);
  }

  get slavePath(): string {
    return this.pair.slavePath;
  }

  write(bytes: Uint8Array): void {
    if (!this.closed) this.pair.send(bytes);
  }

  disconnect(): Promise<void> {
    return handled(this.enqueue(() => this.replug()));
  }

  close(): Promise<void> {
    this.closed = true;
    this.closing ??= handled(this.enqueue(() => this.shutdown()));
    return this.closing;
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.serial.then(step);
    this.serial = run.catch(() => {});
    return run;
  }

  private watch(pair: PtyPair): void {
    const current = (): boolean => this.pair === pair && !this.closed;
    pair.start({
      presence: (present) => {
        if (current()) present ? this.hostArrived() : this.hostLeft();
      },
      data: (bytes) => {
        if (current()) this.emitData(bytes);
      },
    });
  }

  /** Fresh PTY behind the path first, then hang up the old one: a host reopening never finds a gap. */
  private async replug(): Promise<void> {
    if (this.closed) return;
    const fresh = await openPairAt(this.path);
    const old = this.pair;
    this.pair = fresh;
    this.watch(fresh);
    this.hostLeft();
    await old.retire();
  }

  private async shutdown(): Promise<void> {
    this.hostLeft();
    try {
      // Only our own symlink: someone may have pointed the path elsewhere since.
      if ((await readlink(this.path).catch(() => null)) === this.pair.slavePath) await unlink(this.path);
    } finally {
      try {
        await this.pair.retire();
      } finally {
        // Last: until the symlink is gone, the path is still ours.
        this.claim.release();
      }
    }
  }
}

/** Points `path` at `target` atomically: a symlink is made beside it, then renamed over it. */
async function pointSymlink(path: string, target: string): Promise<void> {
  const existing = await lstat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return null;
    throw err;
  });
  // The caller holds the path's claim, so any symlink here is stale (a crashed run's, pointing at a dead
  // or reused pts) or our own; anything else is not ours to replace.
  if (existing !== null && !existing.isSymbolicLink()) {
    throw new Error(`pty link: ${path} exists and is not a symlink; refusing to replace it`);
  }
  const temp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  await symlink(target, temp);
  try {
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
}

/** Opens a fresh PTY pair and points `path` at its slave. */
async function openPairAt(path: string): Promise<PtyPair> {
  const pair = await PtyPair.open();
  try {
    await pointSymlink(path, pair.slavePath);
  } catch (err) {
    await pair.retire();
    throw err;
  }
  return pair;
}

/**
 * Claims `options.path`, opens a fresh PTY in raw mode and makes the path a symlink to its slave.
 * LINK_PATH_IN_USE when another live emulator serves the path.
 */
export async function openPtyLink(options: PtyLinkOptions): Promise<PtyLink> {
  const claim = claimLinkPath(options.path);
  try {
    return new PtyLinkImpl(options.path, await openPairAt(options.path), claim);
  } catch (err) {
    claim.release();
    throw err;
  }
}
