/**
 * Merge queue benchmark: a queue of 8 clean workers on a 1,000-file repo, without a check
 * (quick: 300 files). `npx tsx bench/queue.ts [--quick]`, also run by bench/run.ts (`--only queue`).
 *
 * ours:  queue.accept of the 8 workers through the tRPC caller of an in-process panel, until the
 *        queue has merged all 8 (squash, each on top of the one before) — every step through the
 *        door (run.json, events, SQLite), the merge journal synced before each target move.
 * floor: a bash script doing 8 × `git merge-tree --write-tree` + `git commit-tree` +
 *        `git update-ref <ref> <new> <old>`.
 * Both land on a branch that is not checked out (the floor's update-ref has no checkout to
 * update either). Rounds alternate which side goes first; the target and the records are reset
 * between rounds (untimed). Reported: the medians. Nothing here asserts on time.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { configFromEnv } from "../server/config";
import { changeRun } from "../server/panel/door";
import { workerPatched } from "../server/panel/machine";
import { closePanel, createPanel, type Panel } from "../server/panel/panel";
import { queueSettled } from "../server/panel/queue/runner";
import { createRun } from "../server/panel/runs/create";
import { createCaller } from "../server/trpc/root";
import { benchTempDir, generateRepo, log, median, now, PROJECT_ROOT, ratioRow, sh, shAsync, type BenchOptions, type Row } from "./lib";

const WORKERS = 8;
const ROLES = ["reviewer", "theory_critic", "methods_critic", "measurement_auditor", "editor", "ethics_reviewer", "voice_keeper", "venue_strategist"];

const FLOOR_SCRIPT = `#!/usr/bin/env bash
# 8 × (merge-tree --write-tree + commit-tree + update-ref): the floor of a queue without a check.
set -eu
repo=$1 ref=$2; shift 2
cd "$repo"
target=$(git rev-parse "$ref")
for head in "$@"; do
  tree=$(git merge-tree --write-tree "$target" "$head")
  next=$(git commit-tree "$tree" -p "$target" -m "floor merge of $head")
  git update-ref "$ref" "$next" "$target"
  target=$next
done
`;

const NOW = () => new Date().toISOString();

export async function run(opts: BenchOptions): Promise<Row[]> {
  const files = opts.quick ? 300 : 1000;
  const rounds = opts.quick ? 3 : 7;
  const { dir } = benchTempDir("queue");
  const repo = generateRepo(join(dir, "repo"), { files, bytes: files * 2048 });
  const panel: Panel = createPanel({ ...configFromEnv({} as NodeJS.ProcessEnv), root: PROJECT_ROOT, dataDir: join(dir, "data"), tmuxSocket: `ltp-bench-queue-${process.pid}` });
  try {
    const api = createCaller({ panel, role: "operator" });
    const base = sh(repo, "git", ["rev-parse", "HEAD"]).trim();
    sh(repo, "git", ["branch", "integration", base]);
    sh(repo, "git", ["branch", "floor", base]);
    const created = await createRun(panel, { repoPath: repo, prompt: "bench", roles: ROLES, mode: "draft" });
    // Each worker changes 10 files of its own, committed in its worktree.
    const heads: string[] = [];
    for (const [n, w] of created.workers.entries()) {
      sh(repo, "git", ["worktree", "add", "-q", "-b", w.worktreeBranch, w.worktreePath, base]);
      for (let i = 0; i < 10; i++) {
        const idx = n * 10 + i;
        const f = join(w.worktreePath, "src", `d${String(Math.floor(idx / 100)).padStart(3, "0")}`, `f${String(idx).padStart(5, "0")}.txt`);
        writeFileSync(f, `changed by ${w.id} (${i})\n`);
      }
      sh(w.worktreePath, "git", ["commit", "-qam", `longtable panel worker ${w.id}`]);
      const head = sh(w.worktreePath, "git", ["rev-parse", "HEAD"]).trim();
      heads.push(head);
      await changeRun(panel, created.id, (door) => door.apply((r) =>
        workerPatched(r, w.id, { status: "completed", executionState: "result_ready", cleanupStatus: "retained", baseCommit: base, worktreeCommit: head, attempt: 1, threadId: undefined }, NOW())));
    }
    const floorScript = join(dir, "floor.sh");
    writeFileSync(floorScript, FLOOR_SCRIPT, { mode: 0o755 });

    const reset = async () => {
      sh(repo, "git", ["update-ref", "refs/heads/integration", base]);
      sh(repo, "git", ["update-ref", "refs/heads/floor", base]);
      await changeRun(panel, created.id, (door) => door.apply((r) => {
        const { mergeQueue: _q, ...rest } = r;
        return { run: { ...rest, merges: [], workers: r.workers.map(({ merged: _m, ...w }) => w) }, events: [] };
      }));
    };
    const ours = async () => {
      const t0 = now();
      await api.queue.accept({ runId: created.id, workerIds: created.workers.map((w) => w.id), target: "integration" });
      await queueSettled(panel, created.id);
      const ms = now() - t0;
      const view = await api.queue.get({ runId: created.id });
      if (view.queue!.items.some((i) => i.state !== "merged")) throw new Error(`queue did not merge all: ${view.queue!.items.map((i) => `${i.workerId}:${i.state} ${i.reason ?? ""}`).join("; ")}`);
      const count = Number(sh(repo, "git", ["rev-list", "--count", `${base}..integration`]).trim());
      if (count !== WORKERS) throw new Error(`integration advanced by ${count} commits, expected ${WORKERS}`);
      return ms;
    };
    const floor = async () => {
      const t0 = now();
      const r = await shAsync(repo, "bash", [floorScript, repo, "refs/heads/floor", ...heads]);
      const ms = now() - t0;
      if (r.code !== 0) throw new Error(`floor script failed: ${r.stderr}`);
      return ms;
    };
    log(`${files} files, ${WORKERS} workers, ${rounds} rounds`);
    await reset();
    await ours(); // warm-up (module loads, prepared statements, the merge-base shim cache)
    await reset();
    await floor();
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < rounds; i++) {
      for (const side of i % 2 === 0 ? ["ours", "floor"] : ["floor", "ours"]) {
        await reset();
        if (side === "ours") a.push(await ours());
        else b.push(await floor());
      }
    }
    const note = `per worker: ours ${(median(a) / WORKERS).toFixed(1)} ms, floor ${(median(b) / WORKERS).toFixed(1)} ms; git ${execFileSync("git", ["--version"], { encoding: "utf8" }).trim().replace(/^git version /, "")}`;
    // Information (no target set by the issue): each item also writes the merge journal synced to
    // the disk before its target moves, which the floor does not.
    const row = ratioRow(`merge queue of ${WORKERS} clean workers, no check (${files} files), median of ${rounds}`, median(a), median(b), 1, "ms", note);
    return [{ ...row, target: "", ok: null }];
  } finally {
    await closePanel(panel);
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (isMain) {
  run({ quick: process.argv.includes("--quick") })
    .then((rows) => {
      for (const r of rows) process.stdout.write(`${r.name}: ours ${r.ours?.toFixed(1)} ms, floor ${r.floor?.toFixed(1)} ms, ratio ${r.ratio?.toFixed(2)}× (${r.note})\n`);
      mkdirSync(join(PROJECT_ROOT, "bench", "results"), { recursive: true });
    })
    .catch((error) => {
      process.stderr.write(`[bench queue] failed: ${(error as Error).stack ?? error}\n`);
      process.exitCode = 1;
    })
    .finally(async () => {
      const { runCleanups } = await import("./lib");
      await runCleanups();
    });
}
