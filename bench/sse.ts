/**
 * Worker result written → `worker_result` received by a subscribed SSE client, with 16 workers
 * running, through the real server (bin/longtable-panel.mjs; fake codex whose workers hang).
 *
 * 15 workers of a "load" run hang for the whole benchmark; each sample launches a one-worker run
 * (so 16 run at every sample), subscribes to `events.onRun` over SSE, waits until the backlog
 * arrived and the supervisor had a tick to start watching the worker, then writes
 * result.json.commit and result.json (temp file + rename, as worker-finish does) and times until
 * the event arrives.
 * floor: fs.watch notification latency for the same write, in this process.
 */
import { watch } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { makeFakeCodex } from "../test/support/fake-codex.ts";
import {
  benchTempDir, log, now, openSse, percentile, sh, sleep, startBenchServer, waitUntil, type BenchOptions, type Row,
} from "./lib";

interface WorkerView {
  id: string;
  role: string;
  label: string;
  status: string;
  executionState: string;
  worktreePath: string;
  resultPath: string;
}
interface RunView {
  id: string;
  status: string;
  workers: WorkerView[];
}
interface EventPayload {
  seq: number;
  type: string;
  workerId: string | null;
}

const LOAD_ROLES = ["reviewer", "theory_critic", "methods_critic", "measurement_auditor", "editor"];

const resultFor = (w: WorkerView) => ({
  role: w.role, label: w.label, status: "completed", summary: `${w.label}: benchmark result.`, claims: ["a claim"], objections: [], openQuestions: [], evidenceRefs: [], error: "",
});

async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = join(path, "..", `.${path.split("/").pop()}.bench.tmp`);
  await writeFile(tmp, text);
  await rename(tmp, path);
}

/** fs.watch latency of a temp-file + rename write of result.json in a watched folder. */
async function floorSamples(dir: string, n: number, body: string): Promise<number[]> {
  const runtime = join(dir, "floor", ".longtable-worker");
  await mkdir(runtime, { recursive: true });
  const out: number[] = [];
  let pending: ((at: number) => void) | undefined;
  const watcher = watch(runtime, { persistent: false }, (_e, name) => {
    if (name === "result.json" && pending) {
      const p = pending;
      pending = undefined;
      p(now());
    }
  });
  try {
    for (let i = 0; i < n; i++) {
      const path = join(runtime, "result.json");
      const arrived = new Promise<number>((res) => (pending = res));
      const t0 = now();
      await writeAtomic(path, body);
      const at = await Promise.race([arrived, sleep(5000).then(() => NaN)]);
      if (Number.isFinite(at)) out.push(at - t0);
      await sleep(20);
    }
  } finally {
    watcher.close();
  }
  return out;
}

export async function run(opts: BenchOptions): Promise<Row[]> {
  const samples = opts.quick ? 8 : 40;
  const settleMs = 1200;
  const { dir } = benchTempDir("sse");
  const codexBin = await makeFakeCodex(join(dir, "codex"), { "*": [{ message: "working" }, { hang: true }] });
  log("sse: starting the server…");
  const server = await startBenchServer({ codexBin, tag: "sse" });
  const latencies: number[] = [];
  try {
    const roles = Array.from({ length: 15 }, (_, i) => LOAD_ROLES[i % LOAD_ROLES.length]!);
    const load = await server.call<RunView>("runs.create", { repoPath: server.repo, prompt: "Benchmark load: hang.", roles, mode: "review" }, "mutation");
    await server.call("runs.launch", { runId: load.id }, "mutation");
    await waitUntil(async () => {
      const r = await server.call<RunView>("runs.get", { runId: load.id });
      return r.workers.every((w) => w.status === "running") ? r : undefined;
    }, "15 load workers running", 60_000, 250);
    log(`sse: 15 load workers running; ${samples} samples…`);

    for (let i = 0; i < samples; i++) {
      const created = await server.call<RunView>("runs.create", { repoPath: server.repo, prompt: `Benchmark sample ${i}.`, roles: ["reviewer"], mode: "review" }, "mutation");
      const launched = await server.call<RunView>("runs.launch", { runId: created.id }, "mutation");
      const worker = launched.workers[0]!;
      if (worker.status !== "running") throw new Error(`sample worker is ${worker.status}/${worker.executionState}`);
      let backlogSeen!: () => void;
      const backlog = new Promise<void>((res) => (backlogSeen = res));
      let gotResult!: (at: number) => void;
      const result = new Promise<number>((res) => (gotResult = res));
      const client = openSse(server, "events.onRun", { runId: created.id }, (m) => {
        if (!m.id || !m.data) return;
        const e = JSON.parse(m.data) as EventPayload;
        if (e.type === "worker_launched") backlogSeen();
        if (e.type === "worker_result" && e.workerId === worker.id) gotResult(m.at);
      });
      try {
        await Promise.race([backlog, sleep(10_000).then(() => Promise.reject(new Error("no backlog on the SSE stream")))]);
        await sleep(settleMs);
        const head = sh(worker.worktreePath, "git", ["rev-parse", "HEAD"]).trim();
        await writeAtomic(`${worker.resultPath}.commit`, `${head}\n`);
        const t0 = now();
        await writeAtomic(worker.resultPath, `${JSON.stringify(resultFor(worker), null, 2)}\n`);
        const at = await Promise.race([result, sleep(15_000).then(() => NaN)]);
        if (!Number.isFinite(at)) throw new Error(`no worker_result event within 15 s (sample ${i})`);
        latencies.push(at - t0);
      } finally {
        client.close();
      }
    }
  } finally {
    await server.stop();
  }
  const floor = await floorSamples(dir, Math.max(samples, 40), JSON.stringify(resultFor({ id: "w", role: "reviewer", label: "Reviewer", status: "", executionState: "", worktreePath: "", resultPath: "" })));
  const ours50 = percentile(latencies, 50);
  const ours95 = percentile(latencies, 95);
  const floor50 = percentile(floor, 50);
  const floor95 = percentile(floor, 95);
  log(`sse: latencies (ms, in order): ${latencies.map((x) => x.toFixed(0)).join(" ")}`);
  const note = `${latencies.length} samples (16 workers running, SSE client on events.onRun); ours max ${Math.max(...latencies).toFixed(0)} ms; fs.watch floor over ${floor.length} writes`;
  return [
    { name: "worker result → SSE event, p50 (16 running)", ours: ours50, floor: floor50, ratio: floor50 > 0 ? ours50 / floor50 : null, target: "p50 ≤ 50 ms", unit: "ms", ok: ours50 <= 50, note },
    { name: "worker result → SSE event, p95 (16 running)", ours: ours95, floor: floor95, ratio: floor95 > 0 ? ours95 / floor95 : null, target: "p95 ≤ 250 ms", unit: "ms", ok: ours95 <= 250 },
  ];
}
