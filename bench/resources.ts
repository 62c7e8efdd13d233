/**
 * The real server's footprint (bin/longtable-panel.mjs is the process that runs Next in-process)
 * with 128 workers (4 runs of 32, the most one run may have) and 20 browsers subscribed (each:
 * events.onAll + events.onRun + events.onActivity of one of the runs, as the run page holds).
 * The agent is the bench's bash stand-in (bench/agent.ts).
 *
 * memory: every worker writes an agent message every 4 s (32 activity rows a second in all,
 *         fanned out to the browsers); RSS from /proc/<pid>/status for 10 minutes (quick: 40 s).
 *         Targets: ≤ 400 MB, and not growing between minute 2 and minute 10 — growth ≤ 5 % of the
 *         earlier figure (GC noise) counts as flat. Quick reports 10 s → 40 s for information only
 *         (that is still the warm-up).
 * CPU:    then the workers stop writing (they wait, still running) and all 20 browsers stay
 *         subscribed; utime+stime of the server pid from /proc/<pid>/stat over 60 s (quick: 20 s)
 *         → % of one core. Target ≤ 3 %.
 * There is no floor: these are absolute figures of one process.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeBenchAgent } from "./agent";
import {
  benchTempDir, CLK_TCK, cpuTicks, log, median, now, openSse, rssBytes, sleep, startBenchServer, waitUntil, type BenchOptions, type BenchServer, type Row, type SseClient,
} from "./lib";

const ROLES = ["reviewer", "theory_critic", "methods_critic", "measurement_auditor", "editor", "ethics_reviewer", "voice_keeper", "venue_strategist"];
const RUNS = 4;
const PER_RUN = 32;
const WORKERS = RUNS * PER_RUN;
const BROWSERS = 20;
const EVERY_S = 4;

interface RunView {
  id: string;
  workers: { id: string; status: string; executionState: string; failureReason?: string }[];
}

async function launchRuns(server: BenchServer, prompt: string): Promise<string[]> {
  const roles = Array.from({ length: PER_RUN }, (_, i) => ROLES[i % ROLES.length]!);
  const ids: string[] = [];
  for (let r = 0; r < RUNS; r++) {
    const created = await server.call<RunView>("runs.create", { repoPath: server.repo, prompt: `${prompt} (run ${r + 1} of ${RUNS})`, roles, mode: "review" }, "mutation");
    await server.call("runs.launch", { runId: created.id }, "mutation");
    ids.push(created.id);
  }
  for (const id of ids) {
    let last: RunView | undefined;
    try {
      await waitUntil(async () => {
        last = await server.call<RunView>("runs.get", { runId: id });
        return last.workers.every((w) => w.status === "running") ? last : undefined;
      }, `${PER_RUN} workers of ${id} running`, 600_000, 500);
    } catch (error) {
      const states = (last?.workers ?? []).map((w) => `${w.id}: ${w.status}/${w.executionState}${w.failureReason ? ` (${w.failureReason})` : ""}`);
      throw new Error(`${(error as Error).message}; ${states.filter((s) => !s.includes(": running/")).join("; ")}`);
    }
  }
  return ids;
}

/** One browser tab: the three subscriptions the run page and the runs list hold. */
function browser(server: BenchServer, runId: string): { clients: SseClient[]; close(): void; events(): number } {
  let events = 0;
  const count = (m: { id?: string }) => {
    if (m.id) events++;
  };
  const clients = [
    openSse(server, "events.onAll", {}, count),
    openSse(server, "events.onRun", { runId }, count),
    openSse(server, "events.onActivity", { runId }, count),
  ];
  return { clients, close: () => clients.forEach((c) => c.close()), events: () => events };
}

export async function run(opts: BenchOptions): Promise<Row[]> {
  const total = opts.quick ? 40 : 600;
  const early = opts.quick ? 10 : 120;
  const cpuSeconds = opts.quick ? 20 : 60;
  const { dir } = benchTempDir("resources");
  const agent = await makeBenchAgent(join(dir, "agent"));
  log("resources: starting the server…");
  const server = await startBenchServer({ codexBin: agent.bin, tag: "res", sandboxWritable: [agent.dir] });
  const tabs: ReturnType<typeof browser>[] = [];
  try {
    // Busy until the memory window ends (the bench makes the quiet file), then waiting silently.
    const launchStart = now();
    const runIds = await launchRuns(server, `Benchmark: busy workers, then quiet ones. [bench:busy:${EVERY_S}]`);
    const launchSeconds = (now() - launchStart) / 1000;
    log(`resources: ${WORKERS} workers running after ${launchSeconds.toFixed(0)} s`);
    for (let i = 0; i < BROWSERS; i++) tabs.push(browser(server, runIds[i % RUNS]!));
    await Promise.all(tabs.flatMap((t) => t.clients.map((c) => c.opened)));

    log(`resources: memory — ${WORKERS} busy workers, ${BROWSERS} browsers; sampling RSS for ${total} s…`);
    const t0 = now();
    const samples: { t: number; mb: number }[] = [];
    let atEarly: number | undefined;
    for (let tick = 0; ; tick++) {
      const t = (now() - t0) / 1000;
      const mb = rssBytes(server.pid) / 2 ** 20;
      samples.push({ t, mb });
      if (atEarly === undefined && t >= early) atEarly = mb;
      if (t >= total) break;
      if (tick % 12 === 0) log(`resources: memory — ${t.toFixed(0)} s: RSS ${mb.toFixed(0)} MB, ${tabs.reduce((n, b) => n + b.events(), 0)} events delivered`);
      await sleep(Math.min(5000, Math.max(0, (total - t) * 1000)));
    }
    // Figures at minute 2 and minute 10 as the median of the samples around them, so that one
    // sample taken just before a garbage collection does not decide "growing".
    const around = (from: number, to: number) => median(samples.filter((x) => x.t >= from && x.t <= to).map((x) => x.mb));
    const span = opts.quick ? 5 : 30;
    const first = around(early - span, early + span) || (atEarly ?? samples[0]!.mb);
    const last = around(total - 2 * span, total + 1) || samples.at(-1)!.mb;
    const peak = Math.max(...samples.map((x) => x.mb));
    const delivered = tabs.reduce((n, b) => n + b.events(), 0);
    const growth = last - first;
    const minute = (sec: number) => (opts.quick ? `${sec} s` : `minute ${sec / 60}`);

    // CPU: the same workers once they stopped writing; every browser stays subscribed.
    writeFileSync(agent.quietFile, "");
    log(`resources: CPU — waiting until the workers are quiet, then measuring ${cpuSeconds} s…`);
    await sleep((EVERY_S + 3) * 1000);
    const c0 = cpuTicks(server.pid);
    const w0 = now();
    await sleep(cpuSeconds * 1000);
    const c1 = cpuTicks(server.pid);
    const wall = (now() - w0) / 1000;
    const pct = ((c1 - c0) / CLK_TCK / wall) * 100;
    let stillRunning = 0;
    for (const id of runIds) stillRunning += (await server.call<RunView>("runs.get", { runId: id })).workers.filter((w) => w.status === "running").length;
    return [
      {
        name: `server RSS, ${WORKERS} busy workers + ${BROWSERS} browsers, after ${opts.quick ? `${total} s` : "10 min"}`, ours: last, floor: null, ratio: null, target: "≤ 400 MB", unit: "MB", ok: last <= 400,
        note: `peak ${peak.toFixed(0)} MB; ${delivered.toLocaleString("en")} events delivered to the ${BROWSERS} browsers (${BROWSERS * 3} SSE streams); launching the ${WORKERS} workers took ${launchSeconds.toFixed(0)} s`,
      },
      {
        // 40 s is still the server's warm-up (the first major GC comes later): quick reports it, the full run judges it.
        name: `server RSS growth, ${minute(early)} → ${minute(total)}`, ours: growth, floor: null, ratio: null,
        target: opts.quick ? "not growing (judged by the full run)" : "not growing (≤ +5 %)", unit: "MB", ok: opts.quick ? null : growth <= first * 0.05,
        note: `median RSS of the samples within ±${span} s of ${minute(early)}: ${first.toFixed(0)} MB; in the last ${2 * span} s: ${last.toFixed(0)} MB (single samples: ${(atEarly ?? NaN).toFixed(0)} MB → ${samples.at(-1)!.mb.toFixed(0)} MB)`,
      },
      {
        name: `server CPU, ${WORKERS} workers running + ${BROWSERS} browsers, nothing changing`, ours: pct, floor: null, ratio: null, target: "≤ 3 % of one core", unit: "%", ok: pct <= 3 && stillRunning === WORKERS,
        note: `${((c1 - c0) / CLK_TCK).toFixed(2)} s CPU over ${wall.toFixed(0)} s (utime+stime of the server pid); ${stillRunning} workers running; ${BROWSERS} browsers subscribed`,
      },
    ];
  } finally {
    for (const t of tabs) t.close();
    await server.stop();
  }
}
