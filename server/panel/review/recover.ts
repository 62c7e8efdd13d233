/**
 * Recovering merges a crash interrupted (ARCHITECTURE.md §7 "Crash safety"). Every merge first
 * writes a journal entry into run.json, synced to the disk (review/merge.ts). At start — and on
 * `repos.recover` — each entry left behind is finished or rolled back, never half-kept:
 *
 * - the target points at the new commit: git had updated the checkout and its index before it
 *   moved the ref, so the merge only needs recording;
 * - the target still points at the old commit: the interrupted checkout may have written some of
 *   the merge's files. Only files that are byte-identical to the merge's version go back (a file
 *   the merge added is removed, one it changed or deleted is restored); anything else is kept and
 *   named. The index was never replaced (git writes it last), so the checkout is as before;
 * - the target moved elsewhere (not by the panel): nothing is touched; the journal entry goes.
 *
 * A lock file is removed only when the journal shows the panel's git was working there, the lock
 * appeared after the merge started, and no git process is running in the repository; a lock held
 * by a live git (the user's) is never removed. Every outcome is an event, in words.
 */
import { createHash } from "node:crypto";
import { existsSync, lstatSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { sql } from "drizzle-orm";
import * as t from "../../../db/schema";
import { gitBuffer } from "../../bridge/git";
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
  outcome: "finished" | "rolled-back" | "target-moved" | "waiting";
  message: string;
}

/** Runs with an unfinished merge journal (owned by this panel: a record found on disk is never acted on). */
function journaled(panel: Panel): string[] {
  return panel.db
    .select({ id: t.runs.id })
    .from(t.runs)
    .where(sql`json_extract(${t.runs.record}, '$.mergeJournal') is not null`)
    .all()
    .map((r) => r.id);
}

export async function recoverMerges(panel: Panel): Promise<RecoveryOutcome[]> {
  const out: RecoveryOutcome[] = [];
  for (const runId of journaled(panel)) {
    const outcome = await changeRun(panel, runId, async (door) => {
      const j = door.current.mergeJournal;
      if (!j || !isOwned(panel, runId, door.current.workingDirectory)) return undefined;
      return recoverOne(door, j);
    });
    if (outcome) out.push(outcome);
  }
  return out;
}

type Entry = { mode: string; blob: string } | null;

async function entryAt(repo: string, commit: string, path: string): Promise<Entry> {
  const r = await gitBuffer(repo, ["ls-tree", "-z", "--full-tree", commit, "--", path], { env: { GIT_LITERAL_PATHSPECS: "1" } });
  const m = /^(\d{6}) blob ([0-9a-f]+)\t/.exec(r.stdout.toString("utf8"));
  return m ? { mode: m[1]!, blob: m[2]! } : null;
}

/** The blob id git would give the file's bytes (sha1 or sha256, as the repository uses). */
function blobIdOf(file: string, like: string): string | undefined {
  try {
    if (!lstatSync(file).isFile()) return undefined;
    const data = readFileSync(file);
    return createHash(like.length === 64 ? "sha256" : "sha1").update(`blob ${data.length}\0`).update(data).digest("hex");
  } catch {
    return undefined;
  }
}

async function restore(repo: string, file: string, e: NonNullable<Entry>): Promise<void> {
  const r = await gitBuffer(repo, ["cat-file", "blob", e.blob]);
  if (r.code !== 0) throw new Error(`the old content of ${file} is not in the repository`);
  writeFileAtomicSync(file, r.stdout, { mode: e.mode === "100755" ? 0o755 : 0o644 });
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

async function rollBackCheckout(repo: string, j: MergeIntent): Promise<{ removed: number; restored: number; kept: string[] }> {
  const checkout = j.checkout!;
  let removed = 0;
  let restored = 0;
  const kept: string[] = [];
  for (const path of j.paths) {
    const [before, after] = await Promise.all([entryAt(repo, j.oldCommit, path), entryAt(repo, j.newCommit, path)]);
    const file = join(checkout, path);
    const now = existsSync(file) ? blobIdOf(file, (after ?? before)?.blob ?? "") : undefined;
    if (after && now === after.blob) {
      // written by the interrupted checkout
      if (before) {
        await restore(repo, file, before);
        restored++;
      } else {
        rmSync(file, { force: true });
        pruneEmpty(checkout, dirname(file));
        removed++;
      }
    } else if (!after && before && !existsSync(file)) {
      await restore(repo, file, before); // deleted by the interrupted checkout
      restored++;
    } else if (now !== undefined && now !== before?.blob) {
      kept.push(path);
    }
  }
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
    if (j.movedBy === "checkout" && j.checkout && existsSync(j.checkout)) {
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
