/**
 * Record signature verification spread over worker threads. Ed25519 verification is most of what the
 * cloud does per uploaded record, so on a multi-core host the emulator checks a batch's signatures on
 * the workers while the calling thread goes on with other requests. The workers are `eval` sources
 * using node:crypto only, so they run the same from TypeScript sources (tests) and from dist/.
 */
import { Worker } from "node:worker_threads";
import { SignContext, verifyWith } from "../../protocol/index.js";

/** One signature to check. */
export interface SignedItem {
  readonly bytes: Uint8Array;
  readonly signature: Uint8Array;
}

// Must compute exactly protocol/security/ed25519.ts's verifyWith(pub, RECORD, bytes, sig).
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { createPublicKey, verify } = require("node:crypto");
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const keys = new Map();
parentPort.on("message", ({ id, context, publicKey, items }) => {
  const pub = Buffer.from(publicKey);
  const tag = pub.toString("base64");
  let key = keys.get(tag);
  if (key === undefined) {
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pub]), format: "der", type: "spki" });
    keys.set(tag, key);
  }
  const prefix = Buffer.concat([Buffer.from(context, "utf8"), Buffer.from([0])]);
  const out = items.map(({ bytes, signature }) => {
    try {
      return signature.length === 64 && verify(null, Buffer.concat([prefix, bytes]), key, signature);
    } catch {
      return false;
    }
  });
  parentPort.postMessage({ id, out });
});
`;

/** A fixed pool of verification threads; with 0 threads everything runs on the calling thread. */
export class VerifyPool {
  private readonly workers: Worker[] = [];
  private readonly waiting = new Map<
    number,
    { resolve: (out: boolean[]) => void; reject: (e: Error) => void }
  >();
  private nextId = 1;

  constructor(private readonly threads: number) {}

  start(): void {
    for (let i = 0; i < this.threads; i++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      worker.on("message", ({ id, out }: { id: number; out: boolean[] }) => {
        this.waiting.get(id)?.resolve(out);
        this.waiting.delete(id);
      });
      worker.unref();
      this.workers.push(worker);
    }
  }

  /**
   * Verifies every item's record signature with `publicKey`; results in item order. With workers, the
   * calling thread takes no share: it is the one decoding, checking and storing the uploads, so while
   * the workers verify one batch it can take the next request (the sync agent keeps several in flight).
   */
  async verifyAll(publicKey: Uint8Array, items: readonly SignedItem[]): Promise<boolean[]> {
    if (this.workers.length === 0) {
      return items.map((i) => verifyWith(publicKey, SignContext.RECORD, i.bytes, i.signature));
    }
    const size = Math.ceil(items.length / this.workers.length);
    const pending = this.workers.map((worker, w) => {
      const chunk = items.slice(w * size, (w + 1) * size);
      if (chunk.length === 0) return Promise.resolve([]);
      const id = this.nextId++;
      return new Promise<boolean[]>((resolve, reject) => {
        this.waiting.set(id, { resolve, reject });
        worker.postMessage({ id, context: SignContext.RECORD, publicKey, items: chunk });
      });
    });
    return (await Promise.all(pending)).flat();
  }

  /** Stops the threads; verifications still waiting are rejected (their request fails) rather than hang. */
  async stop(): Promise<void> {
    for (const { reject } of this.waiting.values()) reject(new Error("the cloud emulator is stopping"));
    this.waiting.clear();
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}
