/**
 * DeviceSession: the I/O loop around the exchange machine. Exactly one request is in flight per device;
 * callers wait in a bounded FIFO queue. Bytes from the link go through one FrameParser (inter-byte
 * timeout → `expirePartial()`); replies are matched by SEQ; a damaged reply is NAKed so the device
 * replays it. A lost or unreadable COMMIT or ACTIVATE reply is resolved by asking the device
 * (recovery.ts), never by a fresh COMMIT, within `resolveDeadlineMs`; every other command fails once its
 * exchange does, because it cannot have sealed anything. While the device is away, requests fail fast
 * with DEVICE_UNAVAILABLE.
 */
import { randomInt } from "node:crypto";
import {
  type ArgsOf,
  type Command,
  type DeviceEvent,
  encodeRequest,
  FiscalError,
  isFiscalError,
  MAX_SEQ,
  type ResultOf,
} from "../../protocol/index.js";
import { type LinkState, type LinkStateChange, ReconnectingLink } from "../transport/link.js";
import type { Transport } from "../transport/types.js";
import { type DeviceSessionConfig, resolveSessionConfig } from "./config.js";
import { type LinkCounters, zeroLinkCounters } from "./counters.js";
import { ExchangeDriver } from "./driver.js";
import { SessionEvents, type SessionLogger, SILENT_SESSION_LOGGER } from "./events.js";
import { RequestQueue } from "./queue.js";
import { FrameReceiver } from "./receiver.js";
import {
  ExchangeError,
  failureError,
  inDoubtError,
  type LostReplyCause,
  needsResolution,
  type RecoveryContext,
  type ResolvedCommand,
  recoverLostReply,
  UnsettledError,
} from "./recovery.js";
import { decodeReply, ReplyUndecodableError } from "./reply.js";

/** What a session is built from. */
export interface DeviceSessionOptions {
  readonly transport: Transport;
  readonly config?: Partial<DeviceSessionConfig>;
  readonly logger?: SessionLogger;
  /** Picks the first SEQ of each link session (default: uniformly random 1 … 65535). */
  readonly initialSeq?: () => number;
}

/** One device, one link, one request at a time. */
export class DeviceSession {
  readonly config: DeviceSessionConfig;
  readonly link: ReconnectingLink;
  private readonly counts: LinkCounters = zeroLinkCounters();
  private readonly receiver: FrameReceiver;
  private readonly queue: RequestQueue;
  private readonly events: SessionEvents;
  private readonly driver: ExchangeDriver;
  private readonly linkListeners = new Set<(change: LinkStateChange) => void>();
  private started = false;
  private closed = false;
  private wasUp = false;

  /** Assigns only; `start()` opens the link. */
  constructor(private readonly options: DeviceSessionOptions) {
    this.config = resolveSessionConfig(options.config);
    this.link = new ReconnectingLink(options.transport, this.config);
    this.events = new SessionEvents(options.logger ?? SILENT_SESSION_LOGGER);
    this.queue = new RequestQueue(this.config.maxQueuedRequests, () => this.link.state === "up");
    this.driver = new ExchangeDriver(this.config, this.counts, (frame) => this.send(frame));
    this.receiver = new FrameReceiver(this.counts, this.config.interByteTimeoutMs, {
      frame: (frame) => this.driver.receive(frame),
      event: (event) => this.events.emit(event),
      damaged: (seq, type) => this.driver.damaged(seq, type),
      garbled: () => this.driver.garbled(),
    });
  }

  /** The device URI. */
  get address(): string {
    return this.options.transport.address;
  }

  /** The link state (`up` is the only one in which requests are accepted). */
  get linkState(): LinkState {
    return this.link.state;
  }

  /** A copy of the link counters. */
  get counters(): LinkCounters {
    return { ...this.counts, reconnects: this.link.reconnects };
  }

  /** Requests waiting behind the one in flight. */
  get queued(): number {
    return this.queue.length;
  }

  /** Opens the link; if the device is absent the session keeps trying in the background. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.options.transport.onData((bytes) => this.receiver.push(bytes));
    this.link.onStateChange((change) => this.linkChanged(change));
    await this.link.start();
  }

  /** Resolves once the link is up; DEVICE_UNAVAILABLE after `timeoutMs`. */
  waitConnected(timeoutMs: number): Promise<void> {
    return this.link.waitUp(timeoutMs);
  }

  /** Adds a listener for device events (BOOT, STATE_CHANGED); returns its remover. */
  onEvent(listener: (event: DeviceEvent) => void): () => void {
    return this.events.onEvent(listener);
  }

  /**
   * Adds a listener for link state changes; returns its remover. Listeners run after the session has
   * taken the change in, so a request made from an `up` listener goes out on the new link session.
   */
  onLinkState(listener: (change: LinkStateChange) => void): () => void {
    this.linkListeners.add(listener);
    return () => this.linkListeners.delete(listener);
  }

  /**
   * Sends one command and resolves with its result, or rejects with a coded FiscalError: the device's
   * own refusal, DEVICE_UNAVAILABLE (away or closed; at once), DEVICE_QUEUE_FULL, DEVICE_BUSY,
   * DEVICE_TIMEOUT. A COMMIT or ACTIVATE whose reply was lost or unreadable resolves to its true outcome
   * (or in-doubt at the deadline); any other command fails at once, with `details.cannot_seal`.
   */
  request<C extends Command>(cmd: C, args: ArgsOf<C>): Promise<ResultOf<C>> {
    if (this.closed) return Promise.reject(this.unavailable("the device session is closed"));
    if (this.link.state !== "up") {
      this.counts.unavailableRejected++;
      return Promise.reject(this.unavailable(`the device is not connected (${this.link.state})`));
    }
    if (this.queue.full) {
      this.counts.queueRejected++;
      return Promise.reject(
        new FiscalError("DEVICE_QUEUE_FULL", `${this.queue.length} requests are already waiting`, {
          limit: this.config.maxQueuedRequests,
        }),
      );
    }
    let payload: Uint8Array;
    try {
      payload = encodeRequest(cmd, args);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.queue.enqueue(() => this.perform(cmd, args, payload));
  }

  /** Rejects every waiter, settles the request in flight, then closes the link (reverse of start). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue.rejectWaiting(this.unavailable("the device session is closed"));
    this.driver.linkDown();
    this.events.cancelSleeps();
    this.receiver.reset();
    await this.link.close();
    await this.queue.drained();
  }

  private async perform<C extends Command>(
    cmd: C,
    args: ArgsOf<C>,
    payload: Uint8Array,
  ): Promise<ResultOf<C>> {
    let reply: Uint8Array;
    try {
      reply = await this.exchange(cmd, payload);
    } catch (err) {
      if (!(err instanceof ExchangeError)) throw err;
      if (err.reason === "timeout") this.link.recycle("the device stopped answering");
      // BUSY to every transmission means "never executed"; only an unanswered transmission can hide one.
      const neverExecuted = err.reason === "busy" && !err.unanswered;
      if (neverExecuted || !needsResolution(cmd)) throw failureError(err, this.address);
      return this.resolveLost(cmd, args as ArgsOf<ResolvedCommand>, err.reason) as Promise<ResultOf<C>>;
    }
    try {
      return decodeReply(cmd, reply);
    } catch (err) {
      if (!(err instanceof ReplyUndecodableError)) throw err;
      // An unreadable reply to a command that cannot seal is just an error; to a COMMIT it is in doubt.
      if (!needsResolution(cmd)) throw err.error;
      this.events.log("warn", "device.reply_undecodable", { command: cmd, error: err.error.message });
      return this.resolveLost(cmd, args as ArgsOf<ResolvedCommand>, "undecodable") as Promise<ResultOf<C>>;
    }
  }

  /**
   * Establishes the true outcome of a COMMIT or ACTIVATE whose reply was lost, by `resolveDeadlineMs`
   * at the latest: at the deadline the recovery exchange in flight is abandoned and the answer is
   * in-doubt.
   */
  private async resolveLost<C extends ResolvedCommand>(
    cmd: C,
    args: ArgsOf<C>,
    cause: LostReplyCause,
  ): Promise<ResultOf<C>> {
    const deadline = Date.now() + this.config.resolveDeadlineMs;
    const stop = setTimeout(() => this.driver.abandon(), this.config.resolveDeadlineMs);
    const ctx: RecoveryContext = {
      call: async (c, a) => {
        if (Date.now() >= deadline) throw new ExchangeError("abandoned", c);
        return decodeReply(c, await this.exchange(c, encodeRequest(c, a)));
      },
    };
    this.events.log("warn", "device.reply_lost", { command: cmd, reason: cause });
    try {
      return await this.resolveUntil(cmd, args, cause, deadline, ctx);
    } finally {
      clearTimeout(stop);
    }
  }

  private async resolveUntil<C extends ResolvedCommand>(
    cmd: C,
    args: ArgsOf<C>,
    cause: LostReplyCause,
    deadline: number,
    ctx: RecoveryContext,
  ): Promise<ResultOf<C>> {
    for (;;) {
      const left = deadline - Date.now();
      if (this.closed || left <= 0) {
        this.counts.unresolved++;
        const why = this.closed ? "the session closed first" : "the device did not come back in time";
        throw inDoubtError(cmd, args, why);
      }
      if (this.link.state !== "up") {
        await this.link.waitUp(left).catch(() => {});
        continue;
      }
      try {
        const result = await recoverLostReply(cmd, args, ctx, cause);
        this.counts.resolved++;
        this.events.log("info", "device.reply_resolved", { command: cmd, outcome: "done" });
        return result;
      } catch (err) {
        if (isFiscalError(err) && err.details?.outcome === "not-committed") {
          this.counts.resolved++;
          this.events.log("info", "device.reply_resolved", { command: cmd, outcome: "not-committed" });
        }
        if (!(err instanceof ExchangeError || err instanceof UnsettledError)) throw err;
        if (err instanceof ExchangeError && err.reason === "timeout")
          this.link.recycle("no answer during recovery");
        const left = deadline - Date.now();
        if (left > 0) await this.events.sleep(Math.min(this.config.resolveRetryDelayMs, left));
      }
    }
  }

  /** One exchange on the link: the reply payload, or an ExchangeError. */
  private exchange(cmd: Command, payload: Uint8Array): Promise<Uint8Array> {
    if (this.closed || this.link.state !== "up") return Promise.reject(new ExchangeError("link-down", cmd));
    return this.driver.run(cmd, payload);
  }

  private send(frame: Uint8Array): void {
    this.link.write(frame).catch((err: unknown) => {
      this.events.log("warn", "device.write_failed", { error: (err as Error).message });
      this.link.recycle(`write failed: ${(err as Error).message}`);
    });
  }

  private linkChanged(change: LinkStateChange): void {
    this.takeLinkChange(change);
    for (const listener of [...this.linkListeners]) {
      try {
        listener(change);
      } catch (err) {
        this.events.log("error", "device.link_listener_failed", { error: (err as Error).message });
      }
    }
  }

  private takeLinkChange(change: LinkStateChange): void {
    if (change.state === "up") {
      this.wasUp = true;
      this.receiver.reset();
      this.driver.restartSeq((this.options.initialSeq ?? (() => randomInt(1, MAX_SEQ + 1)))());
      this.events.log("info", "device.link_up", { address: this.address });
      this.queue.pump();
      return;
    }
    if (change.state !== "away" && change.state !== "closed") return;
    // Each failed reconnect attempt passes through "away" again: count the loss of a live link only.
    if (change.state === "away" && this.wasUp) this.counts.disconnects++;
    this.wasUp = false;
    this.events.log("warn", "device.link_down", { address: this.address, reason: change.reason });
    this.receiver.reset();
    this.queue.rejectWaiting(this.unavailable(`the device went away (${change.reason ?? change.state})`));
    this.driver.linkDown();
  }

  private unavailable(why: string): FiscalError {
    return new FiscalError("DEVICE_UNAVAILABLE", `${this.address}: ${why}`, { address: this.address });
  }
}
