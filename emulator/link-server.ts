/**
 * LinkServer: everything between the bytes on a host link and the device's commands. One
 * FrameParser per link; NAK for damaged frames, BUSY while a request is in progress, sequence
 * replay (a repeated SEQ with the same payload gets the cached reply bytes, never a second
 * execution), the inter-byte timeout, BOOT events, link counters, and the link-level faults.
 */
import {
  bytesEqual,
  type Command,
  type DeviceState,
  decodeRequest,
  ERRORS,
  encodeBusy,
  encodeError,
  encodeEvent,
  encodeFrame,
  encodeNak,
  encodeResult,
  FiscalError,
  type Frame,
  FrameParser,
  FrameType,
  MAX_PAYLOAD_BYTES,
  type ParseEvent,
} from "../protocol/index.js";
import { BUSY_RETRY_AFTER_MS, INTER_BYTE_TIMEOUT_MS } from "./config.js";
import type { FiscalDevice } from "./device/fiscal-device.js";
import type { FaultPlan } from "./faults.js";
import type { HostLink } from "./link/types.js";
import { type LinkCounters, zeroCounters } from "./link-counters.js";
import type { EmulatorLogger } from "./log.js";

/** One attached host link and its parser state. */
interface HostPort {
  readonly link: HostLink;
  readonly parser: FrameParser;
  silenceTimer: NodeJS.Timeout | null;
  closed: boolean;
}

/** The request being executed, or whose delayed reply is still on its way. */
interface InFlight {
  readonly seq: number;
  readonly payload: Uint8Array;
}

/** The device's memory of its last reply, for sequence replay. */
interface LastReply extends InFlight {
  readonly frame: Uint8Array;
}

/** Serves one device on any number of host links; requests execute one at a time device-wide. */
export class LinkServer {
  readonly counters: LinkCounters = zeroCounters();
  private readonly ports = new Set<HostPort>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private inFlight: InFlight | null = null;
  private lastReply: LastReply | null = null;
  private announcedState: DeviceState | null = null;

  /** Assigns only. */
  constructor(
    private readonly device: FiscalDevice,
    private readonly faults: FaultPlan,
    private readonly log: EmulatorLogger,
  ) {}

  /** Starts serving `link` and greets it with a BOOT event. */
  attach(link: HostLink): void {
    const port: HostPort = { link, parser: new FrameParser(), silenceTimer: null, closed: false };
    this.ports.add(port);
    link.onData((chunk) => this.onData(port, chunk));
    link.onHostGone(() => {
      // The host closed the port: a half-received frame belongs to a session that is over.
      port.parser.reset();
      this.clearSilence(port);
    });
    link.onHostAttached?.(() => this.sendEvent(port, "BOOT"));
    this.sendEvent(port, "BOOT");
  }

  /** Unplugs every link (the hosts see the device vanish; the device keeps its state). */
  disconnectAll(): void {
    for (const port of this.ports) this.disconnect(port);
  }

  /** Sends STATE_CHANGED to every host when the state moved since the last announcement. */
  announceState(): void {
    const state = this.device.state;
    if (this.announcedState === null || state === this.announcedState) {
      this.announcedState = state;
      return;
    }
    for (const port of this.ports) this.sendEvent(port, "STATE_CHANGED");
    this.announcedState = state;
  }

  /** Stops serving: cancels timers (delayed replies are lost, like on power-off) and detaches. */
  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const port of this.ports) {
      this.clearSilence(port);
      port.closed = true;
    }
    this.ports.clear();
    this.inFlight = null;
  }

  private onData(port: HostPort, chunk: Uint8Array): void {
    if (port.closed) return;
    this.handle(port, port.parser.push(this.faults.corrupt(chunk, "rx")));
    this.armSilence(port);
  }

  /** (Re)starts the inter-byte timeout while a partial frame is held. */
  private armSilence(port: HostPort): void {
    this.clearSilence(port);
    if (port.closed || port.parser.buffered === 0) return;
    port.silenceTimer = setTimeout(() => {
      port.silenceTimer = null;
      this.handle(port, port.parser.expirePartial());
      // What remained after the abandoned frame may itself be a partial frame.
      this.armSilence(port);
    }, INTER_BYTE_TIMEOUT_MS);
  }

  private clearSilence(port: HostPort): void {
    if (port.silenceTimer !== null) clearTimeout(port.silenceTimer);
    port.silenceTimer = null;
  }

  private handle(port: HostPort, events: readonly ParseEvent[]): void {
    for (const event of events) {
      if (event.kind === "frame") {
        this.counters.framesIn++;
        this.onFrame(port, event.frame);
        continue;
      }
      // Damage is counted and logged, never swallowed; debug level for what carries no SEQ.
      this.log.log(
        event.kind === "garbage" || event.kind === "header-crc" ? "debug" : "warn",
        `link.${event.kind}`,
        {
          ...event,
        },
      );
      switch (event.kind) {
        case "garbage":
          this.counters.garbageBytes += event.bytes;
          break;
        case "header-crc":
          // Nothing in the header can be trusted, not even the SEQ to NAK: the host's timeout recovers.
          this.counters.headerCrcErrors++;
          break;
        case "frame-crc":
          this.counters.frameCrcErrors++;
          // A damaged NAK is not NAKed back: two ends NAKing each other's NAKs would never stop.
          if (event.type !== FrameType.NAK) this.sendNak(port, event.seq, ERRORS.FRAME_CRC.code);
          break;
        case "oversize":
          this.counters.oversizeFrames++;
          this.sendNak(port, event.seq, ERRORS.FRAME_TOO_LARGE.code);
          break;
        case "unsupported":
          this.counters.unsupportedFrames++;
          this.sendNak(port, event.seq, ERRORS.FRAME_VERSION.code);
          break;
        case "truncated":
          this.counters.truncated++;
          break;
      }
    }
  }

  private onFrame(port: HostPort, frame: Frame): void {
    if (frame.type === FrameType.REQUEST) {
      this.onRequest(port, frame.seq, frame.payload);
    } else if (frame.type === FrameType.NAK && this.lastReply?.seq === frame.seq && this.inFlight === null) {
      // The host received our reply damaged: send the same bytes again.
      this.counters.replaysServed++;
      this.transmit(port, this.lastReply.frame, true);
    } else {
      this.counters.unexpectedFrames++;
    }
  }

  private onRequest(port: HostPort, seq: number, payload: Uint8Array): void {
    const inFlight = this.inFlight;
    if (inFlight !== null) {
      // A retransmission of the request in progress: its reply is on its way.
      if (inFlight.seq === seq && bytesEqual(inFlight.payload, payload)) this.counters.duplicatesIgnored++;
      else this.sendBusy(port, seq);
      return;
    }
    const last = this.lastReply;
    if (last !== null && last.seq === seq && bytesEqual(last.payload, payload)) {
      // Never BUSY here: BUSY tells the host the request was not executed, and this one was.
      this.counters.replaysServed++;
      this.reply(port, { seq, payload }, last.frame);
      return;
    }
    if (this.faults.answerBusy()) {
      this.sendBusy(port, seq);
      return;
    }
    this.execute(port, seq, payload);
  }

  private execute(port: HostPort, seq: number, payload: Uint8Array): void {
    this.inFlight = { seq, payload };
    this.counters.requestsExecuted++;
    let cmd: Command | undefined;
    let sealed = false;
    let replyPayload: Uint8Array;
    try {
      const request = decodeRequest(payload);
      cmd = request.cmd;
      replyPayload = encodeResult(cmd, this.device.execute(cmd, request.args));
      if (replyPayload.length > MAX_PAYLOAD_BYTES) {
        throw new FiscalError("FRAME_TOO_LARGE", `the ${cmd} reply would be ${replyPayload.length} bytes`);
      }
      sealed = cmd === "COMMIT";
    } catch (err) {
      replyPayload = encodeError(this.asFiscalError(err, cmd));
    }
    const frame = encodeFrame({ type: FrameType.RESPONSE, seq, payload: replyPayload });
    this.lastReply = { seq, payload, frame };
    if (sealed && this.faults.disconnectAfterCommit()) {
      this.log.log("info", "fault.disconnect_after_commit", { seq });
      this.inFlight = null;
      this.disconnect(port);
      return;
    }
    if (sealed && this.faults.dropCommitReply()) {
      this.log.log("info", "fault.drop_commit_reply", { seq });
      this.counters.repliesDropped++;
      this.inFlight = null;
      this.announceState();
      return;
    }
    this.reply(port, { seq, payload }, frame);
  }

  /** Delivers a reply, after the delay fault if any; the device stays busy until it is sent. */
  private reply(port: HostPort, request: InFlight, frame: Uint8Array): void {
    const delay = this.faults.delayMs;
    if (delay <= 0) {
      this.transmit(port, frame, true);
      this.inFlight = null;
      this.announceState();
      return;
    }
    this.inFlight = request;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.inFlight = null;
      this.transmit(port, frame, true);
      this.announceState();
    }, delay);
    this.timers.add(timer);
  }

  private asFiscalError(err: unknown, cmd: Command | undefined): FiscalError {
    if (err instanceof FiscalError) return err;
    this.log.log("error", "command.failed", { cmd, error: (err as Error).message });
    return new FiscalError("STORAGE_FAILURE", `internal failure: ${(err as Error).message}`, undefined, {
      cause: err,
    });
  }

  private sendNak(port: HostPort, seq: number, code: number): void {
    this.counters.naksSent++;
    this.transmit(port, encodeFrame({ type: FrameType.NAK, seq, payload: encodeNak(code) }), false);
  }

  private sendBusy(port: HostPort, seq: number): void {
    this.counters.busySent++;
    const retryAfter = Math.max(BUSY_RETRY_AFTER_MS, this.faults.delayMs);
    this.transmit(port, encodeFrame({ type: FrameType.BUSY, seq, payload: encodeBusy(retryAfter) }), false);
  }

  private sendEvent(port: HostPort, event: "BOOT" | "STATE_CHANGED"): void {
    const state = this.device.state;
    this.announcedState = state;
    const payload = encodeEvent({ event, at: this.device.clock.now(), state });
    this.transmit(port, encodeFrame({ type: FrameType.EVENT, seq: 0, payload }), false);
  }

  /** Writes a frame through the drop (replies only) and corruption faults. */
  private transmit(port: HostPort, frame: Uint8Array, isReply: boolean): void {
    if (port.closed) return;
    if (isReply && this.faults.dropReply()) {
      this.counters.repliesDropped++;
      return;
    }
    try {
      port.link.write(this.faults.corrupt(frame, "tx"));
      this.counters.framesOut++;
    } catch (err) {
      this.log.log("warn", "link.write_failed", { error: (err as Error).message });
    }
  }

  private disconnect(port: HostPort): void {
    this.counters.disconnects++;
    port.parser.reset();
    this.clearSilence(port);
    port.link.disconnect().catch((err: unknown) => {
      this.log.log("warn", "link.disconnect_failed", { error: (err as Error).message });
    });
  }
}
