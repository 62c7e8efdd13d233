/**
 * Diff and merge-preview benchmark: `npx tsx bench/diff.ts [--quick]` (also run by bench/run.ts).
 *
 * Generates a repo and a worker commit that changes 1,000 files / 50,000 lines (quick: 300 files
 * / 15,000 lines), registers it as a panel worker, and times — median of several runs, ours and
 * the floor interleaved in the same process —
 *   - our file list (the workers.diff service function) vs raw `git diff --numstat base head`
 *     (target ≤ 1.3×),
 *   - our merge preview (workers.mergePreview) vs raw `git merge-tree --write-tree`,
 * plus informational figures (the clean-worktree snapshot check, a running worker with
 * uncommitted changes, the worktree gone, one file's hunks). Prints `name, ours ms, floor ms, ratio, target` lines and writes
 * bench/results/diff.json. Nothing here asserts on time.
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { configFromEnv } from "../server/config";
import { changeRun } from "../server/panel/door";
import { workerPatched } from "../server/panel/machine";
import { closePanel, createPanel, type Panel } from "../server/panel/panel";
import { workerDiff } from "../server/panel/review/diff";
import { mergePreview } from "../server/panel/review/preview";
import { createRun } from "../server/panel/runs/create";
import type { Row } from "./lib";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export type { Row };

const log = (m: string) => process.stderr.write(`[bench diff] ${m}\n`);

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", maxBuffer: 256 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });
}

function gitAsync(cwd: string, args: string[]): Promise<string> {
  return new Promise((res, rej) => {
    execFile("git", args, { cwd, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 }, (error, stdout) => {
      // merge-tree exits 1 on conflicts; the bench repo has none
      if (error) rej(error);
      else res(stdout);
    });
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Median (and min) ms of `ours` and `floor`, interleaved (after warm-up) so drift hits both alike. */
async function compare(runs: number, ours: () => Promise<unknown>, floor: () => Promise<unknown>): Promise<{ ours: number; floor: number; oursMin: number; floorMin: number }> {
  for (let i = 0; i < 2; i++) {
    await floor();
    await ours();
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? ([ours, floor] as const) : ([floor, ours] as const);
    for (const fn of order) {
      const t0 = performance.now();
      await fn();
      (fn === ours ? a : b).push(performance.now() - t0);
    }
  }
  return { ours: median(a), floor: median(b), oursMin: Math.min(...a), floorMin: Math.min(...b) };
}

async function timeOnly(runs: number, fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    xs.push(performance.now() - t0);
  }
  return median(xs);
}

const round = (n: number) => Math.round(n * 100) / 100;
function row(name: string, ours: number | { ours: number; floor: number; oursMin: number; floorMin: number }, floor: number | null, maxRatio: number | null, note?: string): Row {
  if (typeof ours === "object") {
    const m = ours;
    const minNote = `min ${round(m.oursMin)} vs ${round(m.floorMin)} ms`;
    return row(name, m.ours, m.floor, maxRatio, note ? `${note}; ${minNote}` : minNote);
  }
  const ratio = floor ? ours / floor : null;
  return {
    name,
    ours: round(ours),
    floor: floor === null ? null : round(floor),
    ratio: ratio === null ? null : round(ratio),
    target: maxRatio === null ? "" : `≤ ${maxRatio}×`,
    unit: "ms",
    ok: maxRatio === null || ratio === null ? null : ratio <= maxRatio,
    note,
  };
}

interface Fixture {
  repo: string;
  panel: Panel;
  runId: string;
  workerId: string;
  worktree: string;
  base: string;
  head: string;
  files: number;
  lines: number;
}

/** A repo with `files` files of 100 lines; a worker worktree whose one commit rewrites 25 lines of each (50 changed lines per file). */
async function makeFixture(dir: string, files: number): Promise<Fixture> {
  const repo = join(dir, "repo");
  mkdirSync(repo, { recursive: true });
  git(repo, "init", "-q", "-b", "main");
  for (const [k, v] of [["user.name", "Bench"], ["user.email", "bench@example.invalid"], ["commit.gpgsign", "false"]]) git(repo, "config", k!, v!);
  const content = (i: number, changed: boolean) =>
    Array.from({ length: 100 }, (_, j) => (changed && j % 4 === 1 ? `file ${i} line ${j} changed by the worker` : `file ${i} line ${j} of the original text`)).join("\n") + "\n";
  for (let i = 0; i < files; i++) {
    const d = join(repo, `dir${i % 20}`);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, `file-${i}.txt`), content(i, false));
  }
  git(repo, "add", "-A");
  git(repo, "commit", "-qm", "base");
  const panel = createPanel({ ...configFromEnv({} as NodeJS.ProcessEnv), root: ROOT, dataDir: join(dir, "data"), tmuxSocket: `ltp-bench-diff-${process.pid}` });
  const run = await createRun(panel, { repoPath: repo, prompt: "bench", roles: ["reviewer"], mode: "draft" });
  const worker = run.workers[0]!;
  git(repo, "worktree", "add", "-q", "-b", worker.worktreeBranch, worker.worktreePath, "HEAD");
  const base = git(repo, "rev-parse", "HEAD").trim();
  for (let i = 0; i < files; i++) writeFileSync(join(worker.worktreePath, `dir${i % 20}`, `file-${i}.txt`), content(i, true));
  git(worker.worktreePath, "add", "-A");
  git(worker.worktreePath, "commit", "-qm", `longtable panel worker ${worker.id}`);
  const head = git(worker.worktreePath, "rev-parse", "HEAD").trim();
  await changeRun(panel, run.id, (door) => door.apply((r) =>
    workerPatched(r, worker.id, { status: "completed", executionState: "result_ready", cleanupStatus: "retained", baseCommit: base, worktreeCommit: head, attempt: 1 }, new Date().toISOString()),
  ));
  const numstat = git(repo, "diff", "--numstat", base, head).trim().split("\n");
  const lines = numstat.reduce((n, l) => n + Number(l.split("\t")[0]) + Number(l.split("\t")[1]), 0);
  return { repo, panel, runId: run.id, workerId: worker.id, worktree: worker.worktreePath, base, head, files: numstat.length, lines };
}

export async function run(opts: { quick: boolean }): Promise<Row[]> {
  const files = opts.quick ? 300 : 1000;
  const runs = opts.quick ? 7 : 25;
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "ltp-bench-diff-")));
  let panel: Panel | undefined;
  try {
    log(`generating ${files} files …`);
    const fx = await makeFixture(dir, files);
    panel = fx.panel;
    log(`worker commit: ${fx.files} files, ${fx.lines} changed lines; ${runs} runs each`);
    const ref = { runId: fx.runId, workerId: fx.workerId };
    const rows: Row[] = [];
    const floorArgs = ["diff", "--numstat", fx.base, fx.head];

    // Sanity: our list has the same files and counts as the raw numstat.
    const ours = await workerDiff(fx.panel, ref);
    if (ours.files.length !== fx.files || ours.totals.additions + ours.totals.deletions !== fx.lines) {
      throw new Error(`file list mismatch: ${ours.files.length} files / ${ours.totals.additions + ours.totals.deletions} lines, expected ${fx.files} / ${fx.lines}`);
    }

    const list = await compare(runs, () => workerDiff(fx.panel, ref), () => gitAsync(fx.repo, floorArgs));
    rows.push(row(`workers.diff file list (${fx.files} files / ${fx.lines} lines, completed worker)`, list, null, 1.3));
    const checked = await compare(runs, () => workerDiff(fx.panel, { ...ref, uncommitted: true }), () => gitAsync(fx.repo, floorArgs));
    rows.push(row("workers.diff file list + clean-worktree snapshot check (uncommitted: true)", checked, null, null, "information: what a running worker costs when nothing is uncommitted"));

    // The worktree gone (after cleanup): the branch is diffed.
    const wtAside = `${fx.worktree}.aside`;
    execFileSync("mv", [fx.worktree, wtAside]);
    try {
      const branch = await compare(runs, () => workerDiff(fx.panel, ref), () => gitAsync(fx.repo, floorArgs));
      rows.push(row("workers.diff file list, worktree gone (branch)", branch, null, 1.3));
    } finally {
      execFileSync("mv", [wtAside, fx.worktree]);
    }

    // A running worker with uncommitted changes in 10 files: snapshot + a second diff.
    for (let i = 0; i < 10; i++) writeFileSync(join(fx.worktree, `dir${i % 20}`, `file-${i}.txt`), `uncommitted ${i}\n`);
    const dirty = await compare(runs, () => workerDiff(fx.panel, { ...ref, uncommitted: true }), () => gitAsync(fx.repo, floorArgs));
    rows.push(row("workers.diff file list with uncommitted changes (snapshot tree)", dirty, null, null, "information: temp-index add -A + write-tree, then the diff"));
    git(fx.worktree, "checkout", "-q", "--", ".");

    const oneFile = `dir1/file-1.txt`;
    const hunks = await compare(runs, () => workerDiff(fx.panel, { ...ref, path: oneFile }), () => gitAsync(fx.repo, ["diff", fx.base, fx.head, "--", oneFile]));
    rows.push(row("workers.diff with path (one file: counts + hunks)", hunks, null, null, "information: floor is the raw patch of that file alone"));

    // Merge preview: the target (main) has moved on by an unrelated commit.
    writeFileSync(join(fx.repo, "unrelated.txt"), "unrelated\n");
    git(fx.repo, "add", "unrelated.txt");
    git(fx.repo, "commit", "-qm", "unrelated");
    const preview = await mergePreview(fx.panel, ref);
    if (!preview.clean || preview.files.length !== fx.files) throw new Error("merge preview is not clean / incomplete");
    const lean = await compare(runs, () => mergePreview(fx.panel, { ...ref, detail: false }), () => gitAsync(fx.repo, ["merge-tree", "--write-tree", "main", fx.head]));
    rows.push(row("workers.mergePreview clean/conflicts (detail: false)", lean, null, 1.5, "the answer to 'does it merge': target and head resolved, merge-base shim (cached), one merge-tree"));
    const merge = await compare(runs, () => mergePreview(fx.panel, ref), () => gitAsync(fx.repo, ["merge-tree", "--write-tree", "main", fx.head]));
    rows.push(row("workers.mergePreview with detail (clean, target checked out)", merge, null, null, "information: plus checkout status, the merged file list and commit count"));
    const mergeTreeOnly = await timeOnly(runs, () => gitAsync(fx.repo, ["merge-tree", "--write-tree", "--name-only", "-z", "--messages", "main", fx.head]));
    rows.push(row("raw merge-tree --write-tree --name-only --messages", mergeTreeOnly, merge.floor, null, "information"));
    return rows;
  } finally {
    if (panel) await closePanel(panel);
    rmSync(dir, { recursive: true, force: true });
  }
}

function print(rows: Row[]): void {
  process.stdout.write("name, ours ms, floor ms, ratio, target\n");
  for (const r of rows) {
    const ratio = r.ratio === null ? "-" : `${r.ratio.toFixed(2)}×`;
    const verdict = r.ok === null ? "" : r.ok ? " ok" : " MISSED";
    process.stdout.write(`${r.name}, ${r.ours ?? "-"}, ${r.floor ?? "-"}, ${ratio}, ${r.target || "-"}${verdict}${r.note ? `  (${r.note})` : ""}\n`);
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (isMain) {
  const quick = process.argv.includes("--quick");
  run({ quick })
    .then((rows) => {
      print(rows);
      const out = join(ROOT, "bench", "results", "diff.json");
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, `${JSON.stringify({ bench: "diff", quick, at: new Date().toISOString(), git: git(ROOT, "--version").trim(), node: process.version, rows }, null, 2)}\n`);
      process.stderr.write(`[bench diff] wrote ${out}\n`);
    })
    .catch((error) => {
      process.stderr.write(`[bench diff] failed: ${(error as Error).stack ?? error}\n`);
      process.exitCode = 1;
    });
}
