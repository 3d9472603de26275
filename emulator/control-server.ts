/**
 * The control channel of an emulator process: a small JSON-over-HTTP server, on 127.0.0.1 by
 * default, that tests and technicians use to switch faults at run time and to read the device's
 * state (docs/EMULATOR.md §Control channel). It never touches fiscal data directly.
 *
 *   GET  /faults          settings in force and the seed
 *   PUT  /faults          apply a partial change (FaultPatch); 400 with the problems if invalid
 *   POST /faults/reset    clear every fault
 *   POST /disconnect      unplug every host link
 *   GET  /state           device identity, STATUS, faults and link counters
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Emulator } from "./emulator.js";
import { FaultInputError } from "./faults.js";
import { listenError } from "./listen-error.js";
import type { EmulatorLogger } from "./log.js";

/** Largest request body the control channel reads, in bytes. */
export const MAX_CONTROL_BODY_BYTES = 16 * 1024;

/** Where the control channel listens. */
export interface ControlAddress {
  readonly host: string;
  readonly port: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_CONTROL_BODY_BYTES)
      throw new HttpError(413, `body exceeds ${MAX_CONTROL_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpError(400, "body is not JSON");
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** The HTTP control channel of one emulator. */
export class ControlServer {
  private server: Server | null = null;

  /** Assigns only; `start()` listens. */
  constructor(
    private readonly emulator: Emulator,
    private readonly address: ControlAddress,
    private readonly log: EmulatorLogger,
  ) {}

  /** Listens; resolves with the bound address (useful with port 0). */
  async start(): Promise<ControlAddress> {
    const server = createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        const status = err instanceof HttpError ? err.status : err instanceof FaultInputError ? 400 : 500;
        if (status === 500) this.log.log("error", "control.failed", { error: (err as Error).message });
        send(res, status, { error: (err as Error).message });
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      const failed = (err: Error): void =>
        reject(listenError(err, "control channel", this.address.host, this.address.port));
      server.once("error", failed);
      server.listen(this.address.port, this.address.host, () => {
        server.off("error", failed);
        resolve();
      });
    });
    const bound = server.address() as AddressInfo;
    return { host: bound.address, port: bound.port };
  }

  /** Stops listening and drops idle keep-alive connections. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server === null) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://control").pathname;
    const key = `${req.method ?? "GET"} ${path}`;
    const faults = this.emulator.faults;
    switch (key) {
      case "GET /faults":
        return send(res, 200, { seed: faults.seed, faults: faults.current() });
      case "PUT /faults": {
        const settings = faults.update((await readJson(req)) as never);
        this.log.log("info", "control.faults", { faults: settings });
        return send(res, 200, { seed: faults.seed, faults: settings });
      }
      case "POST /faults/reset":
        return send(res, 200, { seed: faults.seed, faults: faults.reset() });
      case "POST /disconnect":
        this.emulator.disconnect();
        this.log.log("info", "control.disconnect");
        return send(res, 200, { disconnected: true });
      case "GET /state":
        return send(res, 200, jsonSafe(this.emulator.snapshot()));
      default:
        throw new HttpError(
          ["/faults", "/faults/reset", "/disconnect", "/state"].includes(path) ? 405 : 404,
          `no route for ${key}`,
        );
    }
  }
}

/** Byte strings as hex, so the snapshot is plain JSON. */
function jsonSafe(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString("hex");
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v)]));
  }
  return value;
}
