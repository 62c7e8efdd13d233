/**
 * The real server's footprint (bin/longtable-panel.mjs is the process that runs Next in-process),
 * one server, one run of 32 workers (fake codex):
 *
 * memory: the workers produce activity (an agent item every second each, as JSONL) and 10
 *         browsers are subscribed (events.onAll + events.onRun + events.onActivity each); RSS from
 *         /proc/<pid>/status for 10 minutes (quick: 40 s). Targets: ≤ 400 MB, and not growing
 *         between minute 2 and minute 10 — growth ≤ 5 % of the earlier figure (GC noise) counts as
 *         flat. Quick reports 10 s → 40 s for information only: that is still the warm-up.
 * CPU:    then the workers stop producing anything (they hang, still running), 9 browsers leave,
 *         one stays subscribed; utime+stime of the server pid from /proc/<pid>/stat over 60 s
 *         (quick: 15 s) → % of one core. Target ≤ 3 %.
 */
import { join } from "node:path";
import { makeFakeCodex, type FakeCodexStep } from "../test/support/fake-codex.ts";
import {
  benchTempDir, CLK_TCK, cpuTicks, log, median, now, openSse, rssBytes, sleep, startBenchServer, waitUntil, type BenchOptions, type BenchServer, type Row, type SseClient,
} from "./lib";

const ROLES = ["reviewer", "theory_critic", "methods_critic", "measurement_auditor", "editor", "ethics_reviewer", "voice_keeper", "venue_strategist"];
const WORKERS = 32;

interface RunView {
  id: string;
  workers: { id: string; status: string; executionState: string; failureReason?: string }[];
}

async function launch32(server: BenchServer, prompt: string): Promise<RunView> {
  const roles = Array.from({ length: WORKERS }, (_, i) => ROLES[i % ROLES.length]!);
  const created = await server.call<RunView>("runs.create", { repoPath: server.repo, prompt, roles, mode: "review" }, "mutation");
  await server.call("runs.launch", { runId: created.id }, "mutation");
  let last: RunView | undefined;
  try {
    return await waitUntil(async () => {
      last = await server.call<RunView>("runs.get", { runId: created.id });
      return last.workers.every((w) => w.status === "running") ? last : undefined;
    }, `${WORKERS} workers running`, 300_000, 500);
  } catch (error) {
    const states = (last?.workers ?? []).map((w) => `${w.id}: ${w.status}/${w.executionState}${w.failureReason ? ` (${w.failureReason})` : ""}`);
    throw new Error(`${(error as Error).message}; ${states.filter((s) => !s.includes(": running/")).join("; ")}`);
  }
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
  const cpuSeconds = opts.quick ? 15 : 60;
  // Each worker emits an agent item every second for about `emitFor` seconds, then hangs
  // silently: every worker starts before the memory window does, so all are quiet right after it.
  const emitFor = total + 2;
  const { dir } = benchTempDir("resources");
  const steps: FakeCodexStep[] = [];
  for (let i = 0; i < emitFor; i++) {
    steps.push(i % 5 === 4 ? { command: `npm test -- --shard ${i}`, output: `ok ${i}\n`.repeat(20) } : { message: `step ${i}: reading the draft, section ${i % 17}` });
    steps.push({ sleep: 1000 });
  }
  steps.push({ hang: true });
  const codexBin = await makeFakeCodex(join(dir, "codex"), { "*": steps });
  log("resources: starting the server…");
  const server = await startBenchServer({ codexBin, tag: "res" });
  const tabs: ReturnType<typeof browser>[] = [];
  try {
    const run = await launch32(server, "Benchmark: busy workers, then idle ones.");
    const launchedAt = now();
    for (let i = 0; i < 10; i++) tabs.push(browser(server, run.id));
    await Promise.all(tabs.flatMap((t) => t.clients.map((c) => c.opened)));

    // Memory: 32 busy workers, 10 browsers.
    log(`resources: memory — ${WORKERS} busy workers, 10 browsers; sampling RSS for ${total} s…`);
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

    // CPU: the same 32 workers once they stopped producing anything; one browser stays.
    for (const t of tabs.splice(1)) t.close();
    const quietAt = launchedAt + (emitFor + 3) * 1000;
    log(`resources: CPU — waiting until the workers are quiet, then measuring ${cpuSeconds} s…`);
    await sleep(Math.max(0, quietAt - now()) + 2000);
    const c0 = cpuTicks(server.pid);
    const w0 = now();
    await sleep(cpuSeconds * 1000);
    const c1 = cpuTicks(server.pid);
    const wall = (now() - w0) / 1000;
    const pct = ((c1 - c0) / CLK_TCK / wall) * 100;
    const stillRunning = (await server.call<RunView>("runs.get", { runId: run.id })).workers.filter((w) => w.status === "running").length;
    return [
      {
        name: `server RSS, ${WORKERS} busy workers + 10 browsers, after ${opts.quick ? `${total} s` : "10 min"}`, ours: last, floor: null, ratio: null, target: "≤ 400 MB", unit: "MB", ok: last <= 400,
        note: `peak ${peak.toFixed(0)} MB; ${delivered.toLocaleString("en")} events delivered to the 10 browsers (30 SSE streams)`,
      },
      {
        // 40 s is still the server's warm-up (the first major GC comes later): quick reports it, the full run judges it.
        name: `server RSS growth, ${minute(early)} → ${minute(total)}`, ours: growth, floor: null, ratio: null,
        target: opts.quick ? "not growing (judged by the full run)" : "not growing (≤ +5 %)", unit: "MB", ok: opts.quick ? null : growth <= first * 0.05,
        note: `median RSS of the samples within ±${span} s of ${minute(early)}: ${first.toFixed(0)} MB; in the last ${2 * span} s: ${last.toFixed(0)} MB (single samples: ${(atEarly ?? NaN).toFixed(0)} MB → ${samples.at(-1)!.mb.toFixed(0)} MB)`,
      },
      {
        name: `server CPU, ${WORKERS} workers running, nothing changing`, ours: pct, floor: null, ratio: null, target: "≤ 3 % of one core", unit: "%", ok: pct <= 3 && stillRunning === WORKERS,
        note: `${((c1 - c0) / CLK_TCK).toFixed(2)} s CPU over ${wall.toFixed(0)} s (utime+stime of the server pid); ${stillRunning} workers running; one browser subscribed`,
      },
    ];
  } finally {
    for (const t of tabs) t.close();
    await server.stop();
  }
}
