/**
 * The merge queue's scratch worktrees (ARCHITECTURE.md §7 "Merge queue"): a detached worktree of
 * a candidate commit, where the repository's check runs — in the panel's data dir, never in the
 * user's checkout or a worker's worktree. Its path is derived from the ids (never read from a
 * record). Removing one never runs git inside it (its files are the candidate's, which a worker
 * wrote): the processes whose working directory is inside are killed, the folder is deleted, and
 * its entry in the repository's worktree list is dropped by matching git's own `gitdir` file.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, isAbsolute, join, relative } from "node:path";
import { RUN_ID_PATTERN, WORKER_ID_PATTERN, assertId } from "../core/ids";
import { commonGitDir, gitOk } from "./git";

export function scratchRoot(dataDir: string): string {
  return join(dataDir, "scratch");
}

/** `<data-dir>/scratch/<runId>/<workerId>`: the one scratch worktree of a queue item. */
export function scratchPath(dataDir: string, runId: string, workerId: string): string {
  assertId(RUN_ID_PATTERN, runId, "run id");
  assertId(WORKER_ID_PATTERN, workerId, "worker id");
  return join(scratchRoot(dataDir), runId, workerId);
}

const inside = (dir: string, path: string) => {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
};

/** pids of processes (any, not this one) whose working directory is inside `dir`. */
export function processesIn(dir: string): number[] {
  const out: number[] = [];
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((p) => /^\d+$/.test(p));
  } catch {
    return out;
  }
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    try {
      if (inside(dir, readlinkSync(`/proc/${pid}/cwd`))) out.push(Number(pid));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

/** A detached worktree of `commit` at `path` (made afresh: anything there before is removed). */
export async function createScratch(repo: string, path: string, commit: string): Promise<void> {
  await removeScratch(repo, path);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await gitOk(repo, ["worktree", "add", "--detach", "--quiet", path, commit]);
}

/**
 * Remove the scratch worktree at `path` and its entry in the repository's worktree list: kill
 * what runs in it (a check left behind by a crash, when unsandboxed), delete the folder, drop the
 * admin folder whose `gitdir` names it. Idempotent.
 */
export async function removeScratch(repo: string, path: string): Promise<void> {
  for (const pid of processesIn(path)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
  rmSync(path, { recursive: true, force: true });
  const admin = join(await commonGitDir(repo), "worktrees");
  let names: string[] = [];
  try {
    names = readdirSync(admin);
  } catch {
    return;
  }
  for (const name of names) {
    try {
      const gitdir = readFileSync(join(admin, name, "gitdir"), "utf8").trim();
      if (gitdir === join(path, ".git")) rmSync(join(admin, name), { recursive: true, force: true });
    } catch {
      // not a worktree entry we can read: not ours
    }
  }
}

/** Scratch folders of a run that exist on disk (for sweeping what no record names). */
export function scratchFoldersOf(dataDir: string, runId: string): string[] {
  const dir = join(scratchRoot(dataDir), runId);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((n) => WORKER_ID_PATTERN.test(n)).map((n) => join(dir, n));
}
