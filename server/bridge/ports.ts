/**
 * Ports for workers (ARCHITECTURE.md §10): a port is free when nothing else holds it — no live
 * worker of this panel has it (the caller's `taken`) and a bind on 127.0.0.1 succeeds (nothing
 * else on the machine listens there, on 127.0.0.1 or on every address).
 */
import { createServer } from "node:net";

/** Does a bind on 127.0.0.1:`port` succeed right now? (The socket is closed again at once.) */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * `count` free ports in [lo, hi], none in `taken`. The worker's previous ports come first when
 * they are still free (a resumed worker keeps its URLs); then the lowest free ones.
 */
export async function allocatePorts(count: number, range: readonly [number, number], taken: ReadonlySet<number>, previous: readonly number[] = []): Promise<number[]> {
  const [lo, hi] = range;
  const out: number[] = [];
  const inRange = (p: number) => Number.isInteger(p) && p >= lo && p <= hi;
  for (const p of previous) {
    if (out.length >= count) break;
    if (inRange(p) && !taken.has(p) && !out.includes(p) && (await portIsFree(p))) out.push(p);
  }
  for (let p = lo; p <= hi && out.length < count; p++) {
    if (taken.has(p) || out.includes(p)) continue;
    if (await portIsFree(p)) out.push(p);
  }
  if (out.length < count) {
    throw new Error(`only ${out.length} of the ${count} ports this worker needs are free in ${lo}-${hi}: stop other workers' servers, clean up finished workers, or widen LONGTABLE_PORT_RANGE`);
  }
  return out;
}
