/**
 * The runs list API with 10,000 runs, 320,000 workers and 2,000,000 events in the database
 * (quick: 1,000 / 32,000 / 200,000), filled directly in one transaction with realistic records.
 *
 * ours:  `runs.list` through the tRPC caller (createCaller + createPanel), first page (50),
 *        and the first page of one status.
 * floor: the same page's SELECT through better-sqlite3 directly (statement prepared once).
 * And through HTTP: the same first page from the real server on that database (bearer token,
 * sequential GETs, as a browser's fetch would), p95 against the target; its floor is the same SELECT.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { configFromEnv } from "../server/config";
import { createRunRecord } from "../server/panel/machine";
import { recordPaths } from "../server/panel/runs/create";
import { closePanel, createPanel } from "../server/panel/panel";
import { repoIdFor } from "../server/panel/repos";
import { BUILTIN_ROLES } from "../server/panel/roles/roles";
import { createCaller } from "../server/trpc/root";
import { makeFakeCodex } from "../test/support/fake-codex.ts";
import { benchTempDir, log, median, now, onCleanup, percentile, PROJECT_ROOT, startBenchServer, type BenchOptions, type Row } from "./lib";

const STATUSES = ["completed", "completed", "completed", "completed", "completed", "completed", "failed", "stopped", "blocked", "completed"] as const;
const EVENT_TYPES = ["worker_launched", "worker_result", "worktree_provisioned", "worker_failed", "worker_merged"];

const SQL_PAGE = `select "runs"."id", "runs"."repo_id", "repos"."path", "repos"."name", "runs"."status", "runs"."bridge_status", "runs"."mode",
  "runs"."prompt_preview", "runs"."member_count", "runs"."target_branch", "runs"."last_decision", "runs"."created_at", "runs"."updated_at"
  from "runs" inner join "repos" on "repos"."id" = "runs"."repo_id"`;
const ORDER = `order by "runs"."created_at" desc, "runs"."id" desc limit ?`;

function fill(sqlite: import("better-sqlite3").Database, runs: number, workersPerRun: number, eventsPerRun: number, repoPaths: string[]): void {
  const insRepo = sqlite.prepare("insert into repos (id, path, name, added_at) values (?, ?, ?, ?)");
  const insRun = sqlite.prepare(`insert into runs (id, repo_id, status, bridge_status, mode, prompt_preview, member_count, target_branch, last_decision, created_at, updated_at, record)
    values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const insWorker = sqlite.prepare(`insert into workers (run_id, id, role, label, status, execution_state, cleanup_status, worktree_branch, worktree_commit, base_commit, updated_at)
    values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const insEvent = sqlite.prepare(`insert into events (id, run_id, worker_id, type, message, path, data, created_at) values (?, ?, ?, ?, ?, ?, ?, ?)`);
  const roles = Array.from({ length: workersPerRun }, (_, i) => BUILTIN_ROLES[i % BUILTIN_ROLES.length]!);
  const start = Date.parse("2026-01-01T00:00:00Z");
  const commit = "0123456789abcdef0123456789abcdef01234567";
  sqlite.transaction(() => {
    const now0 = new Date(start).toISOString();
    for (const p of repoPaths) insRepo.run(repoIdFor(p), p, p.split("/").pop()!, now0);
    for (let r = 0; r < runs; r++) {
      const at = new Date(start + r * 37_000).toISOString();
      const repoPath = repoPaths[r % repoPaths.length]!;
      const status = STATUSES[r % STATUSES.length]!;
      const runId = `panel_run_${(start / 1000 + r).toString(36)}_${r.toString(36).padStart(6, "0")}`;
      const { run } = createRunRecord({
        repoPath, prompt: `Benchmark run ${r}: review the draft and list the problems you find, with evidence.`, mode: "review",
        members: roles.map((role) => ({ role, agent: "codex" as const })), paths: recordPaths(repoPath, runId),
        targetBranch: "main", leaderHead: commit, now: at, runId,
      });
      const wStatus = status === "failed" ? "failed" : status === "stopped" ? "stopped" : status === "blocked" ? "blocked" : "completed";
      run.status = status;
      run.bridgeStatus = status;
      run.workers = run.workers.map((w) => ({ ...w, status: wStatus, executionState: "result_ready", cleanupStatus: "retained", worktreeCommit: commit, baseCommit: commit }));
      insRun.run(run.id, repoIdFor(repoPath), status, status, "review", run.prompt.slice(0, 240), run.workers.length, "main", null, at, at, JSON.stringify(run));
      for (const w of run.workers) {
        insWorker.run(run.id, w.id, w.role, w.label, w.status, w.executionState, w.cleanupStatus, w.worktreeBranch, commit, commit, at);
      }
      for (let e = 0; e < eventsPerRun; e++) {
        const w = run.workers[e % run.workers.length]!;
        const data = { run: { status, bridgeStatus: status, updatedAt: at, lastDecision: null }, workers: [{ id: w.id, status: w.status, executionState: w.executionState, cleanupStatus: w.cleanupStatus, worktreeCommit: commit, baseCommit: commit, attempt: 1, updatedAt: at }] };
        insEvent.run(`event_${(start / 1000 + r).toString(36)}_${(r * eventsPerRun + e).toString(36).padStart(8, "0")}`, run.id, w.id, EVENT_TYPES[e % EVENT_TYPES.length]!,
          `${w.label}: step ${e}`, null, JSON.stringify(data), at);
      }
    }
  })();
}

function measure(n: number, fn: () => unknown): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = now();
    fn();
    out.push(now() - t);
  }
  return out;
}

async function measureAsync(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = now();
    await fn();
    out.push(now() - t);
  }
  return out;
}

export async function run(opts: BenchOptions): Promise<Row[]> {
  const runs = opts.quick ? 1_000 : 10_000;
  const workersPerRun = 32;
  const eventsPerRun = 200;
  const iterations = opts.quick ? 200 : 1_000;
  const { dir } = benchTempDir("runs-list");
  const dataDir = join(dir, "data");
  const repoPaths = [0, 1, 2, 3].map((i) => join(dir, `gone-repo-${i}`)); // not on disk: the startup reindex skips them
  const panel = createPanel({ ...configFromEnv({} as NodeJS.ProcessEnv), root: PROJECT_ROOT, dataDir, tmuxSocket: `ltp-bench-unused-${process.pid}` });
  const closeIt = onCleanup("runs-list panel", () => closePanel(panel));
  const t0 = now();
  fill(panel.dbh.sqlite, runs, workersPerRun, eventsPerRun, repoPaths);
  panel.dbh.sqlite.pragma("wal_checkpoint(TRUNCATE)");
  log(`runs-list: ${runs} runs / ${runs * workersPerRun} workers / ${runs * eventsPerRun} events filled in ${((now() - t0) / 1000).toFixed(1)} s`);

  const api = createCaller({ panel, role: "viewer" });
  const firstPage = panel.dbh.sqlite.prepare(`${SQL_PAGE} ${ORDER}`);
  const statusPage = panel.dbh.sqlite.prepare(`${SQL_PAGE} where "runs"."status" = ? ${ORDER}`);
  // Same answer, then warm up both.
  const viaApi = await api.runs.list({});
  const direct = firstPage.all(51) as { id: string }[];
  if (viaApi.items.length !== 50 || viaApi.items.map((r) => r.id).join() !== direct.slice(0, 50).map((r) => r.id).join()) throw new Error("runs.list and the direct SELECT disagree");
  for (let i = 0; i < 50; i++) {
    await api.runs.list({});
    firstPage.all(51);
  }
  // Alternate in blocks so both see the same conditions.
  const ours: number[] = [];
  const floor: number[] = [];
  const oursStatus: number[] = [];
  const floorStatus: number[] = [];
  const block = 50;
  for (let i = 0; i < iterations; i += block) {
    ours.push(...(await measureAsync(block, () => api.runs.list({}))));
    floor.push(...measure(block, () => firstPage.all(51)));
    oursStatus.push(...(await measureAsync(block, () => api.runs.list({ status: "failed" }))));
    floorStatus.push(...measure(block, () => statusPage.all("failed", 51)));
  }
  await closeIt();

  // The same page over HTTP from the real server on this database.
  let http: number[] = [];
  {
    try {
      const codexBin = await makeFakeCodex(join(dir, "codex"), { "*": [{ exit: 0 }] });
      const server = await startBenchServer({ codexBin, dataDir, tag: "list" });
      try {
        for (let i = 0; i < 20; i++) await server.call("runs.list", {});
        http = await measureAsync(opts.quick ? 300 : 1000, () => server.call("runs.list", {}));
      } finally {
        await server.stop();
      }
    } catch (error) {
      log(`runs-list: HTTP figure skipped: ${(error as Error).message}`);
    }
  }
  rmSync(dataDir, { recursive: true, force: true });

  const size = `${runs} runs / ${(runs * workersPerRun).toLocaleString("en")} workers / ${(runs * eventsPerRun).toLocaleString("en")} events`;
  const row = (name: string, o: number[], f: number[], extra = ""): Row => {
    const p50 = median(o);
    const p95 = percentile(o, 95);
    const fp50 = median(f);
    const ratio = p50 / fp50;
    return {
      name, ours: p50, floor: fp50, ratio, target: "≤ 2.0× and p95 ≤ 50 ms", unit: "ms", ok: ratio <= 2 && p95 <= 50,
      note: `${size}; p50 of ${o.length} calls; ours p95 ${p95.toFixed(2)} ms, floor p95 ${percentile(f, 95).toFixed(2)} ms${extra}`,
    };
  };
  const rows = [
    row("runs.list first page (tRPC caller)", ours, floor),
    row("runs.list status=failed page (tRPC caller)", oursStatus, floorStatus),
  ];
  const hp95 = percentile(http, 95);
  rows.push({
    name: `runs.list first page over HTTP, p95 (${runs.toLocaleString("en")} runs)`, ours: http.length ? hp95 : null, floor: percentile(floor, 95), ratio: http.length ? hp95 / percentile(floor, 95) : null,
    target: "p95 ≤ 20 ms", unit: "ms", ok: http.length ? hp95 <= 20 : false,
    note: http.length ? `${size}; real server, bearer token, ${http.length} sequential GETs; p50 ${median(http).toFixed(2)} ms; floor: the SELECT's p95` : "the HTTP figure could not be measured (see the log)",
  });
  return rows;
}
