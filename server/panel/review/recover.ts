/**
 * Recovering merges a crash interrupted (ARCHITECTURE.md §7 "Crash safety"). Every merge first
 * writes a journal entry into run.json, synced to the disk (review/merge.ts). At start — and on
 * `repos.recover` — each entry left behind is finished or rolled back, never half-kept:
 *
 * - the target points at the new commit: git had updated the checkout and its index before it
 *   moved the ref, so the merge only needs recording;
 * - the target still points at the old commit: the interrupted checkout may have written some of
 *   the merge's files, and its index (git writes the files, then the index, then the ref). Only
 *   files byte-identical to the merge's version go back (a file the merge added is removed, one it
 *   changed or deleted is restored) — and so does the one file git was writing when it was killed,
 *   whose bytes are the start of the merge's version; index entries at the merge's version go back
 *   to the old one; anything else is kept and named;
 * - the target moved elsewhere (not by the panel): nothing is touched; the journal entry goes.
 *
 * A lock file is removed only when the journal shows the panel's git was working there, the lock
 * appeared after the merge started, and no git process is running in the repository; a lock held
 * by a live git (the user's) is never removed. Every outcome is an event, in words.
 */
import { createHash } from "node:crypto";
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync, statSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { and, eq, sql } from "drizzle-orm";
import * as t from "../../../db/schema";
import { gitBuffer } from "../../bridge/git";
import { checkoutOf } from "../../bridge/merge";
import { checkoutGitDir, gitProcessesIn, lockFiles } from "../../bridge/repo-state";
import { writeFileAtomicSync } from "../../bridge/safe-fs.mjs";
import type { MergeIntent, PanelRun } from "../../core/records";
import { changeRun, type RunDoor } from "../door";
import { mergeRolledBack, workerMerged } from "../machine-review";
import { makeEvent } from "../machine";
import type { Panel } from "../panel";
import { isOwned } from "../runs/ownership";

export interface RecoveryOutcome {
  runId: string;
  workerId: string;
  outcome: "finished" | "rolled-back" | "target-moved" | "waiting" | "failed";
  message: string;
}

/** Runs with an unfinished merge journal (owned by this panel: a record found on disk is never acted on). */
function journaled(panel: Panel, repoId?: string): string[] {
  const pending = sql`json_extract(${t.runs.record}, '$.mergeJournal') is not null`;
  return panel.db
    .select({ id: t.runs.id })
    .from(t.runs)
    .where(repoId === undefined ? pending : and(eq(t.runs.repoId, repoId), pending))
    .all()
    .map((r) => r.id);
}

/** Finish or roll back every interrupted merge (of one repo, or all): at start, and on repos.recover. */
export async function recoverMerges(panel: Panel, repoId?: string): Promise<RecoveryOutcome[]> {
  const out: RecoveryOutcome[] = [];
  for (const runId of journaled(panel, repoId)) {
    const outcome = await changeRun(panel, runId, async (door) => {
      const j = door.current.mergeJournal;
      if (!j || !isOwned(panel, runId, door.current.workingDirectory)) return undefined;
      try {
        return await recoverOne(door, j);
      } catch (error) {
        // The entry stays: the repo view reports it, and Recover (or the next start) tries again.
        const message = `The interrupted merge of ${j.workerId} into ${j.target} could not be recovered yet: ${(error as Error).message} — fix that, then use Recover`;
        return { runId, workerId: j.workerId, outcome: "failed" as const, message };
      }
    });
    if (outcome) out.push(outcome);
  }
  return out;
}

interface Change {
  path: string;
  /** The path in the old and the new commit (null: absent), as git records it. */
  before: { mode: string; blob: string } | null;
  after: { mode: string; blob: string } | null;
}

const ZERO = /^0+$/;

/** What the merge changes, path by path: one `diff-tree` (not a git call per path). */
async function changesOf(repo: string, j: MergeIntent): Promise<Change[]> {
  const r = await gitBuffer(repo, ["diff-tree", "-r", "-z", "--no-renames", "--no-commit-id", j.oldCommit, j.newCommit]);
  if (r.code !== 0) throw new Error(`the merge's commits are not in the repository (${r.stderr.trim()})`);
  const fields = r.stdout.toString("utf8").split("\0");
  const want = new Set(j.paths);
  const out: Change[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const m = /^:(\d{6}) (\d{6}) ([0-9a-f]+) ([0-9a-f]+) [A-Z]/.exec(fields[i]!);
    const path = fields[i + 1]!;
    if (!m || !want.has(path)) continue;
    const side = (mode: string, blob: string) => (ZERO.test(mode) || ZERO.test(blob) || mode === "160000" ? null : { mode, blob });
    out.push({ path, before: side(m[1]!, m[3]!), after: side(m[2]!, m[4]!) });
  }
  return out;
}

/** The blob id git would give what is at `file` now (a file's bytes or a link's target; sha1 or sha256, as the repository uses). */
function blobIdOf(file: string, like: string): string | undefined {
  try {
    const st = lstatSync(file);
    const data = st.isSymbolicLink() ? Buffer.from(readlinkSync(file)) : st.isFile() ? readFileSync(file) : undefined;
    if (!data) return undefined;
    return createHash(like.length === 64 ? "sha256" : "sha1").update(`blob ${data.length}\0`).update(data).digest("hex");
  } catch {
    return undefined;
  }
}

async function restore(repo: string, file: string, e: NonNullable<Change["before"]>): Promise<void> {
  const r = await gitBuffer(repo, ["cat-file", "blob", e.blob]);
  if (r.code !== 0) throw new Error(`the old content of ${file} is not in the repository`);
  if (e.mode === "120000") {
    rmSync(file, { force: true });
    symlinkSync(r.stdout.toString("utf8"), file);
  } else {
    writeFileAtomicSync(file, r.stdout, { mode: e.mode === "100755" ? 0o755 : 0o644 });
  }
}

/** Is the regular file at `file` a strict prefix of the blob (what git wrote before it was killed)? */
async function partialWriteOf(repo: string, file: string, blob: string): Promise<boolean> {
  let data: Buffer;
  try {
    if (!lstatSync(file).isFile()) return false;
    data = readFileSync(file);
  } catch {
    return false;
  }
  const r = await gitBuffer(repo, ["cat-file", "blob", blob]);
  return r.code === 0 && data.length < r.stdout.length && r.stdout.subarray(0, data.length).equals(data);
}

/** Remove now-empty folders from `dir` up to (not including) `root`. */
function pruneEmpty(root: string, dir: string): void {
  for (let d = dir; d.startsWith(`${root}/`); d = dirname(d)) {
    try {
      if (readdirSync(d).length > 0) return;
      rmdirSync(d);
    } catch {
      return;
    }
  }
}

/** Folders of `paths` that do not exist in `checkout` yet (the checkout would create them), deepest first. */
export function newDirsFor(checkout: string, paths: readonly string[]): string[] {
  const known = new Map<string, boolean>();
  const out: string[] = [];
  for (const p of paths) {
    for (let d = dirname(p); d !== "." && d !== "/"; d = dirname(d)) {
      if (known.has(d)) break;
      const exists = existsSync(join(checkout, d));
      known.set(d, exists);
      if (!exists) out.push(d);
    }
  }
  return out.sort((a, b) => b.split("/").length - a.split("/").length || a.localeCompare(b));
}

/** The checkout's index entries (stage 0) for `paths`: path → blob. */
async function indexEntries(checkout: string): Promise<Map<string, string>> {
  const r = await gitBuffer(checkout, ["ls-files", "-s", "-z"]);
  const out = new Map<string, string>();
  for (const rec of r.stdout.toString("utf8").split("\0")) {
    const m = /^\d{6} ([0-9a-f]+) 0\t(.*)$/s.exec(rec);
    if (m) out.set(m[2]!, m[1]!);
  }
  return out;
}

/**
 * Undo what an interrupted `git merge --ff-only` wrote in the checkout: files byte-identical to the
 * merge's version go back to the old commit's (or are removed), and index entries git had already
 * switched (it writes the index after the files, before the ref) go back too. A file that differs
 * from both versions is the user's: kept, and named.
 */
async function rollBackCheckout(repo: string, j: MergeIntent): Promise<{ removed: number; restored: number; kept: string[] }> {
  const checkout = j.checkout!;
  const changes = await changesOf(repo, j);
  const index = await indexEntries(checkout);
  let removed = 0;
  let restored = 0;
  const kept: string[] = [];
  const indexInfo: string[] = [];
  /** The checkout wrote this file: back to the old version, or away when the merge added it. */
  const putBack = async (c: Change, file: string) => {
    if (c.before) {
      await restore(repo, file, c.before);
      restored++;
    } else {
      rmSync(file, { force: true });
      pruneEmpty(checkout, dirname(file));
      removed++;
    }
  };
  for (const c of changes) {
    const file = join(checkout, c.path);
    const like = (c.after ?? c.before)!.blob;
    const now = blobIdOf(file, like);
    if (c.after && now === c.after.blob) {
      await putBack(c, file); // written whole by the interrupted checkout
    } else if (!c.after && c.before && now === undefined && !existsSync(file)) {
      await putBack(c, file); // deleted by the interrupted checkout
    } else if (now !== undefined && now !== c.before?.blob) {
      // Killed while writing this very file, its bytes are the start of the merge's version; else the user's.
      if (c.after && (await partialWriteOf(repo, file, c.after.blob))) await putBack(c, file);
      else kept.push(c.path);
    }
    const staged = index.get(c.path);
    if (c.after ? staged === c.after.blob : staged === undefined && c.before) {
      indexInfo.push(c.before ? `${c.before.mode} ${c.before.blob}\t${c.path}` : `0 ${"0".repeat(like.length)}\t${c.path}`);
    }
  }
  if (indexInfo.length > 0) {
    const r = await gitBuffer(checkout, ["update-index", "-z", "--index-info"], { input: indexInfo.join("\0") + "\0" });
    if (r.code !== 0) throw new Error(`could not restore the index of ${checkout}: ${r.stderr.trim()}`);
  }
  // Folders the checkout created and left empty (killed after making one, or all its files went back).
  for (const d of j.newDirs ?? []) {
    try {
      rmdirSync(join(checkout, d)); // only when empty
    } catch {
      // not empty (something of the user's, or kept above), or not there: leave it
    }
  }
  await gitBuffer(checkout, ["update-index", "-q", "--refresh"]);
  return { removed, restored, kept };
}

/** Remove the lock files of `gitDirs` that appeared after `since`, when no git runs in `dirs`. */
function clearStaleLocks(common: string, gitDirs: string[], branch: string, since: string, dirs: string[]): { removed: string[]; held: string[] } {
  const locks = lockFiles(common, gitDirs, [branch]);
  if (locks.length === 0) return { removed: [], held: [] };
  if (gitProcessesIn(dirs).length > 0) return { removed: [], held: locks.map((l) => l.path) };
  const removed: string[] = [];
  const held: string[] = [];
  for (const l of locks) {
    // Only a lock the panel's own git could have made: it appeared after the merge started.
    if (statSync(l.path).mtimeMs >= Date.parse(since) - 2000) {
      rmSync(l.path, { force: true });
      removed.push(l.path);
    } else {
      held.push(l.path);
    }
  }
  return { removed, held };
}

async function recoverOne(door: RunDoor, j: MergeIntent): Promise<RecoveryOutcome> {
  const run: PanelRun = door.current;
  const repo = run.workingDirectory;
  const worker = run.workers.find((w) => w.id === j.workerId)!;
  const now = () => new Date().toISOString();
  const dirs = [repo, ...(j.checkout ? [j.checkout] : [])];
  if (gitProcessesIn(dirs).length > 0) {
    return { runId: run.id, workerId: j.workerId, outcome: "waiting", message: `a git process is running in ${repo}: the interrupted merge of ${worker.label} is recovered once it has finished (restart the panel, or use Recover)` };
  }
  const common = (await gitBuffer(repo, ["rev-parse", "--path-format=absolute", "--git-common-dir"])).stdout.toString("utf8").trim();
  const gitDirs = [common, ...(j.checkout ? [await checkoutGitDir(j.checkout).catch(() => common)] : [])];
  const locks = clearStaleLocks(common, [...new Set(gitDirs)], j.target, j.startedAt, dirs);
  const lockNote = locks.removed.length ? ` The stale lock${locks.removed.length > 1 ? "s" : ""} ${locks.removed.join(", ")} left by the panel's git ${locks.removed.length > 1 ? "were" : "was"} removed.` : "";
  const heldNote = locks.held.length ? ` ${locks.held.join(", ")} ${locks.held.length > 1 ? "are" : "is"} not the panel's and ${locks.held.length > 1 ? "were" : "was"} left alone.` : "";
  const current = (await gitBuffer(repo, ["rev-parse", "--verify", "--quiet", `refs/heads/${j.target}^{commit}`])).stdout.toString("utf8").trim();

  if (current === j.newCommit) {
    const message = `The merge of ${worker.label} into ${j.target} was interrupted after ${j.target} moved to ${j.newCommit.slice(0, 12)}: it is complete, and now recorded.${lockNote}${heldNote}`;
    await door.apply((r) => {
      const merged = workerMerged(r, j.workerId, { id: j.id, commit: j.newCommit, target: j.target, previousCommit: j.oldCommit, strategy: j.strategy, workerHead: j.workerHead }, now());
      return { run: merged.run, events: [...merged.events, makeEvent("merge_recovered", message, now(), { workerId: j.workerId })] };
    });
    return { runId: run.id, workerId: j.workerId, outcome: "finished", message };
  }
  if (current === j.oldCommit) {
    let done = "";
    // run.json is data: files are only put back in the checkout git itself says has the target.
    const checkout = j.movedBy === "checkout" ? await checkoutOf(repo, j.target) : undefined;
    if (checkout && j.checkout === checkout && existsSync(checkout)) {
      const r = await rollBackCheckout(repo, j);
      done = ` In ${j.checkout}, ${r.removed} file(s) the interrupted checkout had added were removed and ${r.restored} restored` +
        (r.kept.length ? `; ${r.kept.length} file(s) that differ from both versions were kept as they are (${r.kept.slice(0, 5).join(", ")}${r.kept.length > 5 ? ", …" : ""})` : "") + ".";
    }
    const message = `The merge of ${worker.label} into ${j.target} was interrupted before ${j.target} moved: it was rolled back, and ${j.target} is as it was (${j.oldCommit.slice(0, 12)}).${done}${lockNote}${heldNote} Merge again when you are ready.`;
    await door.apply((r) => mergeRolledBack(r, j.id, message, now()));
    return { runId: run.id, workerId: j.workerId, outcome: "rolled-back", message };
  }
  const message = `The merge of ${worker.label} into ${j.target} was interrupted, and ${j.target} has moved since (to ${current.slice(0, 12) || "nothing"}) without the panel: nothing was touched. Preview and merge again.${lockNote}${heldNote}`;
  await door.apply((r) => mergeRolledBack(r, j.id, message, now()));
  return { runId: run.id, workerId: j.workerId, outcome: "target-moved", message };
}
