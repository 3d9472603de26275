/**
 * Connects WireHosts to a real emulator process over TCP (spawning lives in bench/processes.ts, shared
 * with the benchmarks).
 */
import { connect, type Socket } from "node:net";
import { WireHost } from "./wire-host.js";

export {
  CLI_MAIN,
  READY_TIMEOUT_MS,
  type ReadyLine,
  type SpawnedEmulator,
  spawnEmulator,
} from "../../bench/processes.js";

/** Connects a WireHost to the process's TCP link; the host fails fast once the socket closes. */
export async function connectTcp(port: number): Promise<{ host: WireHost; socket: Socket }> {
  const socket = connect({ host: "127.0.0.1", port });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.on("error", () => {});
  const host = new WireHost({
    write: (bytes) => socket.write(bytes),
    onData: (handler) => socket.on("data", (d: Buffer) => handler(new Uint8Array(d))),
  });
  socket.once("close", () => host.close("tcp connection closed"));
  return { host, socket };
}
