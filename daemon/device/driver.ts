/**
 * ExchangeDriver: performs what the pure exchange machine decides. It owns the one frame in flight, its
 * timer and the SEQ counter; the session hands it the frames the parser found and the link's fate.
 */
import {
  type Command,
  decodeBusy,
  ERRORS,
  encodeFrame,
  encodeNak,
  type Frame,
  FrameType,
  nextSeq,
} from "../../protocol/index.js";
import type { LinkCounters } from "./counters.js";
import {
  type ExchangeAction,
  type ExchangeInput,
  type ExchangePolicy,
  type ExchangeState,
  startExchange,
  stepExchange,
} from "./exchange.js";
import { ExchangeError } from "./recovery.js";

/** The exchange in flight. */
interface Flight {
  readonly cmd: Command;
  readonly seq: number;
  readonly frame: Uint8Array;
  state: ExchangeState;
  timer: NodeJS.Timeout | null;
  reply: Uint8Array | null;
  readonly resolve: (reply: Uint8Array) => void;
  readonly reject: (failure: ExchangeError) => void;
}

/** Drives one exchange at a time over a frame writer. */
export class ExchangeDriver {
  private flight: Flight | null = null;
  private seq = 0;

  /** Assigns only. `send` writes one whole frame and reports write failures on its own. */
  constructor(
    private readonly policy: ExchangePolicy,
    private readonly counts: LinkCounters,
    private readonly send: (frame: Uint8Array) => void,
  ) {}

  /** The SEQ in flight, or null. */
  get inFlightSeq(): number | null {
    return this.flight?.seq ?? null;
  }

  /** Makes `first` the SEQ of the next request (a new link session starts at a random one). */
  restartSeq(first: number): void {
    this.seq = first - 1;
  }

  /** Sends a request and resolves with the reply payload, or rejects with an ExchangeError. */
  run(cmd: Command, payload: Uint8Array): Promise<Uint8Array> {
    if (this.flight !== null) return Promise.reject(new Error("ExchangeDriver: an exchange is in flight"));
    this.seq = nextSeq(this.seq);
    const seq = this.seq;
    const frame = encodeFrame({ type: FrameType.REQUEST, seq, payload });
    return new Promise((resolve, reject) => {
      const flight: Flight = {
        cmd,
        seq,
        frame,
        state: { phase: "done" },
        timer: null,
        reply: null,
        resolve,
        reject,
      };
      this.flight = flight;
      const first = startExchange(this.policy);
      this.apply(flight, first.state, first.actions);
    });
  }

  /** Takes a reply, NAK or BUSY for the SEQ in flight; anything else is counted as stale. */
  receive(frame: Frame): void {
    const flight = this.flight;
    if (flight === null || frame.seq !== flight.seq || frame.type === FrameType.REQUEST) {
      this.counts.staleFrames++;
      return;
    }
    if (frame.type === FrameType.RESPONSE) {
      flight.reply = frame.payload;
      this.feed({ kind: "reply" });
    } else if (frame.type === FrameType.NAK) {
      this.counts.naksReceived++;
      this.feed({ kind: "nak" });
    } else if (frame.type === FrameType.BUSY) {
      this.counts.busy++;
      let retryAfterMs = this.policy.busyBackoffMinMs;
      try {
        retryAfterMs = decodeBusy(frame.payload);
      } catch {
        this.counts.malformedFrames++;
      }
      this.feed({ kind: "busy", retryAfterMs });
    }
  }

  /**
   * A frame with a sound header failed its CRC. Our reply: NAK it, so the device replays it at once. A
   * NAK or BUSY for our SEQ: resend now (the device did not take the request, or asks us to retry).
   */
  damaged(seq: number, type: number): void {
    if (seq !== this.flight?.seq) return;
    if (type !== FrameType.RESPONSE) {
      this.garbled();
      return;
    }
    this.counts.naksSent++;
    this.counts.framesSent++;
    this.send(encodeFrame({ type: FrameType.NAK, seq, payload: encodeNak(ERRORS.FRAME_CRC.code) }));
  }

  /**
   * Bytes too damaged to identify arrived (a header CRC failure) while a reply is awaited: most likely
   * the reply itself, whose SEQ cannot be read to NAK it. Retransmitting the request at once gets the
   * device's cached reply without waiting out the reply timeout.
   */
  garbled(): void {
    this.feed({ kind: "garbled" });
  }

  /** The link dropped: the exchange in flight fails with "link-down". */
  linkDown(): void {
    this.feed({ kind: "link-down" });
  }

  /** Gives up on the exchange in flight (it fails with "abandoned"); a late reply is counted as stale. */
  abandon(): void {
    this.feed({ kind: "abandon" });
  }

  private feed(input: ExchangeInput): void {
    const flight = this.flight;
    if (flight === null) return;
    const next = stepExchange(flight.state, input, this.policy);
    this.apply(flight, next.state, next.actions);
  }

  private apply(flight: Flight, state: ExchangeState, actions: readonly ExchangeAction[]): void {
    flight.state = state;
    for (const action of actions) {
      switch (action.kind) {
        case "transmit":
          this.counts.framesSent++;
          if (action.retransmission) this.counts.retransmits++;
          this.send(flight.frame);
          break;
        case "arm-timer":
          if (flight.timer !== null) clearTimeout(flight.timer);
          flight.timer = setTimeout(() => {
            flight.timer = null;
            if (action.fires === "reply-timeout") this.counts.timeouts++;
            if (this.flight === flight) this.feed({ kind: action.fires });
          }, action.ms);
          break;
        case "succeed":
        case "fail":
          if (flight.timer !== null) clearTimeout(flight.timer);
          flight.timer = null;
          if (this.flight === flight) this.flight = null;
          if (action.kind === "succeed") flight.resolve(flight.reply!);
          else flight.reject(new ExchangeError(action.reason, flight.cmd, action.unanswered));
          break;
      }
    }
  }
}
