/**
 * PTY link round trip: a serialport host writes a 200-byte frame, the link echoes it, the host waits for
 * all 200 bytes back. Prints percentiles; not part of the test run.
 *
 *   npm run build && node dist/bench/pty-roundtrip.js
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { SerialPort } from "serialport";
import { openPtyLink } from "../emulator/link/pty.js";

/** Measured round trips. */
const ITERATIONS = 500;
/** Unmeasured round trips first (JIT, first attach). */
const WARMUP_ITERATIONS = 20;
/** Bytes per frame, about one signed fiscal reply. */
const FRAME_BYTES = 200;
/** A round trip slower than this means the link lost bytes (ms). */
const ROUND_TRIP_TIMEOUT_MS = 2_000;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "def-pty-bench-"));
  const path = join(dir, "ttyDEF0");
  const link = await openPtyLink({ path });
  link.onData((bytes) => link.write(bytes));
  const host = new SerialPort({ path, baudRate: 115200, autoOpen: false });
  await promisify(host.open.bind(host))();

  let received = 0;
  let done: (() => void) | null = null;
  host.on("data", (chunk: Buffer) => {
    received += chunk.length;
    if (received >= FRAME_BYTES) done?.();
  });
  const frame = Buffer.from(Array.from({ length: FRAME_BYTES }, (_, i) => (i * 37) & 0xff));
  const samplesMs: number[] = [];
  try {
    for (let i = 0; i < WARMUP_ITERATIONS + ITERATIONS; i++) {
      received = 0;
      const echoed = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`round trip ${i} timed out`)), ROUND_TRIP_TIMEOUT_MS);
        done = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      const start = process.hrtime.bigint();
      host.write(frame);
      await echoed;
      if (i >= WARMUP_ITERATIONS) samplesMs.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  } finally {
    await promisify(host.close.bind(host))();
    await link.close();
    await rm(dir, { recursive: true, force: true });
  }
  samplesMs.sort((a, b) => a - b);
  const fmt = (p: number): string => `p${p} ${percentile(samplesMs, p).toFixed(3)} ms`;
  console.log(
    `pty round trip, ${FRAME_BYTES} B echoed, n=${ITERATIONS}: ${[50, 90, 99].map(fmt).join(", ")}, ` +
      `max ${samplesMs.at(-1)?.toFixed(3)} ms`,
  );
}

await main();
