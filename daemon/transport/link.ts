/**
 * ReconnectingLink: one transport kept open by itself. When the device goes away (unplug, hang-up, reset) the
 * link retries with bounded exponential backoff, and at once on a USB attach event; the daemon never needs
 * a restart after an unplug. Whether the link is up is always known, so the session above can fail
 * requests fast instead of letting them hang.
 */
import { FiscalError } from "../../protocol/index.js";
import { messageOf, type Transport } from "./types.js";

/** First reconnect delay after the device went away, in ms (range 10 … 60,000). */
export const RECONNECT_INITIAL_DELAY_MS = 100;
/** Ceiling of the doubling reconnect delay, in ms (range 100 … 300,000). */
export const RECONNECT_MAX_DELAY_MS = 5_000;

/** Where the link stands. `connecting` and `away` both mean "requests fail fast". */
export type LinkState = "idle" | "connecting" | "up" | "away" | "closed";

/** Reconnect tuning. */
export interface ReconnectingLinkOptions {
  readonly reconnectInitialDelayMs?: number;
  readonly reconnectMaxDelayMs?: number;
}

/** A state change, with the reason the link went down when it did. */
export interface LinkStateChange {
  readonly state: LinkState;
  readonly reason?: string;
}

/** A transport plus its reconnect loop. */
export class ReconnectingLink {
  private current: LinkState = "idle";
  private attempt = 0;
  private timer: NodeJS.Timeout | null = null;
  private connecting: Promise<void> | null = null;
  private everUp = false;
  private reconnectCount = 0;
  private readonly listeners = new Set<(change: LinkStateChange) => void>();
  private readonly waiters = new Set<() => void>();

  /** Assigns only; `start()` opens. */
  constructor(
    readonly transport: Transport,
    private readonly options: ReconnectingLinkOptions = {},
  ) {}

  /** The link state. */
  get state(): LinkState {
    return this.current;
  }

  /** Successful re-opens after the first open. */
  get reconnects(): number {
    return this.reconnectCount;
  }

  /** Wires the transport and makes the first attempt; a failed one schedules retries. Resolves either way. */
  async start(): Promise<void> {
    if (this.current !== "idle") return;
    this.transport.onDisconnect((reason) => this.wentAway(messageOf(reason)));
    this.transport.onArrival?.(() => {
      if (this.current === "away") this.connectNow();
    });
    this.current = "away";
    this.connectNow();
    await this.connecting;
  }

  /** Adds a state listener; returns its remover. */
  onStateChange(listener: (change: LinkStateChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Writes through the transport. */
  write(bytes: Uint8Array): Promise<void> {
    return this.transport.write(bytes);
  }

  /** Resolves once the link is up; DEVICE_UNAVAILABLE after `timeoutMs` or when the link closes. */
  waitUp(timeoutMs: number): Promise<void> {
    if (this.current === "up") return Promise.resolve();
    if (this.current === "closed") return Promise.reject(this.unavailable("the device link is closed"));
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        if (this.current === "up") resolve();
        else
          reject(this.unavailable(this.current === "closed" ? "the device link is closed" : "not connected"));
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
    });
  }

  /** Drops the connection and reconnects: for a device that stopped answering while the link looked up. */
  recycle(reason: string): void {
    if (this.current !== "up") return;
    this.setState("away", reason);
    void this.transport
      .close()
      .catch(() => {})
      .then(() => this.connectNow());
  }

  /** Stops reconnecting and closes the transport. Idempotent. */
  async close(): Promise<void> {
    if (this.current === "closed") return;
    this.setState("closed", "closed by the host");
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.connecting?.catch(() => {});
    await this.transport.close();
  }

  private wentAway(reason: string): void {
    if (this.current !== "up") return;
    this.setState("away", reason);
    this.schedule();
  }

  private connectNow(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.connecting !== null || this.current === "closed" || this.current === "up") return;
    this.connecting = this.tryOpen().finally(() => {
      this.connecting = null;
    });
  }

  private async tryOpen(): Promise<void> {
    this.setState("connecting");
    try {
      await this.transport.open();
    } catch (err) {
      if (this.current === "closed") return;
      this.setState("away", messageOf(err));
      this.schedule();
      return;
    }
    if (this.current === "closed") {
      await this.transport.close();
      return;
    }
    if (this.everUp) this.reconnectCount++;
    this.everUp = true;
    this.attempt = 0;
    this.setState("up");
  }

  private schedule(): void {
    if (this.current === "closed" || this.timer !== null) return;
    const initial = this.options.reconnectInitialDelayMs ?? RECONNECT_INITIAL_DELAY_MS;
    const max = this.options.reconnectMaxDelayMs ?? RECONNECT_MAX_DELAY_MS;
    const delay = Math.min(max, initial * 2 ** Math.min(this.attempt, 20));
    this.attempt++;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connectNow();
    }, delay);
  }

  private setState(state: LinkState, reason?: string): void {
    if (this.current === state) return;
    this.current = state;
    for (const listener of [...this.listeners])
      listener(reason === undefined ? { state } : { state, reason });
    if (state === "up" || state === "closed") for (const waiter of [...this.waiters]) waiter();
  }

  private unavailable(why: string): FiscalError {
    return new FiscalError("DEVICE_UNAVAILABLE", `${this.transport.address}: ${why}`, {
      address: this.transport.address,
    });
  }
}
