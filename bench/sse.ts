/**
 * Agent exit → the worker's completion event (`worker_result`) at a subscribed SSE client, through
 * the real server (bin/longtable-panel.mjs), with 1 worker and with 8 workers finishing together.
 *
 * 8 workers of a "load" run wait for the whole benchmark. Each round launches a run of 1 (or 8)
 * workers whose agent (bench/agent.ts, [bench:trigger]) waits on a FIFO; once all are running and
 * an SSE client holds `events.onRun`, the bench writes to every FIFO at once. Each agent writes
 * its result, then its exit stamp (wall clock, µs) as its last act and exits: from there the
 * launcher runs the finish step (worker-finish.mjs: result file, git commit, result.json), the
 * supervisor sees result.json, applies it through the door, and the event goes out on SSE.
 *
 * ours:  SSE arrival (wall clock) − the agent's exit stamp, per worker.
 * floor: an `fs.watch` on the stamps' folder, in this process, during the same rounds: its
 *        notification time − the same stamp (what a watcher that does no work at all would see,
 *        under the same load).
 */
import { existsSync, readFileSync, statSync, watch, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeBenchAgent, stampMs, wallMs } from "./agent";
import { benchTempDir, log, median, openSse, percentile, sleep, startBenchServer, waitUntil, type BenchOptions, type BenchServer, type Row } from "./lib";

interface WorkerView {
  id: string;
  status: string;
  executionState: string;
  resultPath: string;
}
interface RunView {
  id: string;
  status: string;
  workers: WorkerView[];
}
interface EventPayload {
  type: string;
  workerId: string | null;
}

const ROLES = ["reviewer", "theory_critic", "methods_critic", "measurement_auditor", "editor", "ethics_reviewer", "voice_keeper", "venue_strategist"];

interface Sample {
  ours: number;
  floor: number;
  /** The finish step: exit stamp → result.json written (its mtime). */
  finish: number;
  /** The server: result.json written → SSE arrival. */
  server: number;
}

async function launchRunning(server: BenchServer, roles: string[], prompt: string): Promise<RunView> {
  const created = await server.call<RunView>("runs.create", { repoPath: server.repo, prompt, roles, mode: "review" }, "mutation");
  await server.call("runs.launch", { runId: created.id }, "mutation");
  return waitUntil(async () => {
    const r = await server.call<RunView>("runs.get", { runId: created.id });
    if (r.workers.some((w) => w.status === "failed")) throw new Error(`a worker failed to launch: ${JSON.stringify(r.workers)}`);
    return r.workers.every((w) => w.status === "running") ? r : undefined;
  }, `${roles.length} workers running`, 120_000, 100);
}

async function round(server: BenchServer, triggerDir: string, k: number, i: number): Promise<Sample[]> {
  const view = await launchRunning(server, ROLES.slice(0, k), `Benchmark exit → SSE, ${k} worker(s), round ${i}. [bench:trigger]`);
  const ids = view.workers.map((w) => `${view.id}-${w.id}`);
  await waitUntil(() => (ids.every((id) => existsSync(join(triggerDir, `${id}.fifo`))) ? true : undefined), "the agents' FIFOs", 60_000, 20);
  const launched = new Set<string>();
  const arrived = new Map<string, number>();
  const failed: string[] = [];
  let allLaunched!: () => void;
  const backlog = new Promise<void>((res) => (allLaunched = res));
  const client = openSse(server, "events.onRun", { runId: view.id }, (m) => {
    if (!m.id || !m.data) return;
    const e = JSON.parse(m.data) as EventPayload;
    if (e.type === "worker_launched" && e.workerId) {
      launched.add(e.workerId);
      if (launched.size === k) allLaunched();
    }
    if (e.type === "worker_result" && e.workerId && !arrived.has(e.workerId)) arrived.set(e.workerId, performance.timeOrigin + m.at);
    if (e.type === "worker_failed") failed.push(m.data);
  });
  const watched = new Map<string, number>();
  const watcher = watch(triggerDir, { persistent: false }, (_e, name) => {
    const at = wallMs();
    if (name && name.endsWith(".exit") && !watched.has(name)) watched.set(name, at);
  });
  try {
    await Promise.race([backlog, sleep(15_000).then(() => Promise.reject(new Error("no backlog on the SSE stream")))]);
    await sleep(1000); // the supervisor's next tick watches the new workers' folders
    for (const id of ids) writeFileSync(join(triggerDir, `${id}.fifo`), "go\n");
    await waitUntil(() => {
      if (failed.length) throw new Error(`a worker failed instead of completing: ${failed[0]}`);
      return arrived.size === k ? true : undefined;
    }, `${k} worker_result event(s)`, 60_000, 5);
  } finally {
    client.close();
    watcher.close();
  }
  return view.workers.map((w, j) => {
    const stamp = stampMs(readFileSync(join(triggerDir, `${ids[j]}.exit`), "utf8"));
    const resultAt = statSync(w.resultPath).mtimeMs;
    const sse = arrived.get(w.id)!;
    const seen = watched.get(`${ids[j]}.exit`) ?? NaN;
    return { ours: sse - stamp, floor: seen - stamp, finish: resultAt - stamp, server: sse - resultAt };
  });
}

export async function run(opts: BenchOptions): Promise<Row[]> {
  const { dir } = benchTempDir("sse");
  const agent = await makeBenchAgent(join(dir, "agent"));
  log("sse: starting the server…");
  const server = await startBenchServer({ codexBin: agent.bin, tag: "sse", sandboxWritable: [agent.dir] });
  const scenarios = [
    { k: 1, rounds: opts.quick ? 8 : 30, target: 150 },
    { k: 8, rounds: opts.quick ? 2 : 8, target: 400 },
  ];
  const rows: Row[] = [];
  try {
    await launchRunning(server, ROLES, "Benchmark load: 8 workers that wait. [bench:hang]");
    log("sse: 8 load workers running");
    for (const s of scenarios) {
      const samples: Sample[] = [];
      for (let i = 0; i < s.rounds; i++) {
        const got = await round(server, agent.triggerDir, s.k, i);
        samples.push(...got);
        log(`sse ${s.k} together, round ${i + 1}: ${got.map((x) => x.ours.toFixed(0)).join(" ")} ms (floor ${got.map((x) => x.floor.toFixed(1)).join(" ")})`);
      }
      const ours = samples.map((x) => x.ours);
      const floor = samples.map((x) => x.floor).filter(Number.isFinite);
      const p = (xs: number[], q: number) => percentile(xs, q);
      const note = `${samples.length} samples (${s.rounds} rounds, 8 other workers running); ours max ${Math.max(...ours).toFixed(0)} ms; ` +
        `median split: agent exit → result.json written (finish step) ${median(samples.map((x) => x.finish)).toFixed(0)} ms, result.json → SSE (server) ${median(samples.map((x) => x.server)).toFixed(0)} ms; ` +
        `fs.watch floor p50 ${p(floor, 50).toFixed(2)} ms, p95 ${p(floor, 95).toFixed(2)} ms`;
      const label = s.k === 1 ? "1 worker" : `${s.k} finishing together`;
      rows.push({ name: `agent exit → SSE event, p50 (${label})`, ours: p(ours, 50), floor: p(floor, 50), ratio: p(ours, 50) / p(floor, 50), target: "—", unit: "ms", ok: null, note });
      rows.push({ name: `agent exit → SSE event, p95 (${label})`, ours: p(ours, 95), floor: p(floor, 95), ratio: p(ours, 95) / p(floor, 95), target: `p95 ≤ ${s.target} ms`, unit: "ms", ok: p(ours, 95) <= s.target });
    }
  } finally {
    await server.stop();
  }
  return rows;
}
