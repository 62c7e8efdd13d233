/**
 * Is a repository in a state where git will refuse work (ARCHITECTURE.md §7 "Crash safety")? Lock
 * files left by a git process that died (the panel's, killed with the server, or the user's), a
 * merge, rebase or cherry-pick the user has under way — each with what to do, in words — and which
 * git processes are running in it (read from /proc: a lock held by a live git is never removed).
 */
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { join, relative, isAbsolute } from "node:path";
import { commonGitDir, gitOk, runGit } from "./git";

export interface LockFile {
  path: string;
  since: string;
}

export interface RepoState {
  repo: string;
  locks: LockFile[];
  /** pids of git processes whose working directory is in the repository (or one of its worktrees). */
  gitProcesses: number[];
  /** An operation of the user's under way in the leader checkout. */
  inProgress: Array<"merge" | "rebase" | "cherry-pick" | "revert" | "bisect">;
  /** What is wrong and what to do, in words (empty: nothing is wrong). */
  problems: string[];
}

const inside = (dir: string, path: string) => {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
};

/** pids of running git processes whose working directory is inside one of `dirs`. */
export function gitProcessesIn(dirs: readonly string[]): number[] {
  const out: number[] = [];
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((p) => /^\d+$/.test(p));
  } catch {
    return out; // no /proc: nothing known to be running
  }
  for (const pid of pids) {
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
      if (comm !== "git" && !comm.startsWith("git-")) continue;
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      if (dirs.some((d) => inside(d, cwd))) out.push(Number(pid));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return out;
}

const lockAt = (path: string): LockFile | undefined => {
  try {
    return { path, since: statSync(path).mtime.toISOString() };
  } catch {
    return undefined;
  }
};

/** Lock files git leaves when it dies midway: the index's (of the checkout at `gitDir`), HEAD's, a branch's, packed-refs'. */
export function lockFiles(common: string, gitDirs: readonly string[], branches: readonly string[] = []): LockFile[] {
  const candidates = [
    ...gitDirs.flatMap((d) => [join(d, "index.lock"), join(d, "HEAD.lock")]),
    join(common, "packed-refs.lock"),
    ...branches.map((b) => join(common, "refs", "heads", `${b}.lock`)),
  ];
  return [...new Set(candidates)].map(lockAt).filter((l): l is LockFile => l !== undefined);
}

/** The repository's state as git sees it, and what to do about it. */
export async function repoState(repo: string): Promise<RepoState> {
  const common = await commonGitDir(repo);
  const worktrees = (await runGit(repo, ["worktree", "list", "--porcelain"])).stdout.split("\n").filter((l) => l.startsWith("worktree ")).map((l) => l.slice(9));
  const gitDirs = [common, ...(existsSync(join(common, "worktrees")) ? readdirSync(join(common, "worktrees")).map((n) => join(common, "worktrees", n)) : [])];
  const branch = (await runGit(repo, ["symbolic-ref", "--quiet", "--short", "HEAD"])).stdout.trim();
  const locks = lockFiles(common, gitDirs, branch ? [branch] : []);
  const gitProcesses = gitProcessesIn([repo, ...worktrees]);
  const inProgress: RepoState["inProgress"] = [];
  if (existsSync(join(common, "MERGE_HEAD"))) inProgress.push("merge");
  if (existsSync(join(common, "rebase-merge")) || existsSync(join(common, "rebase-apply"))) inProgress.push("rebase");
  if (existsSync(join(common, "CHERRY_PICK_HEAD"))) inProgress.push("cherry-pick");
  if (existsSync(join(common, "REVERT_HEAD"))) inProgress.push("revert");
  if (existsSync(join(common, "BISECT_LOG"))) inProgress.push("bisect");
  const problems: string[] = [];
  for (const l of locks) {
    problems.push(gitProcesses.length > 0
      ? `${l.path} exists and git is running in this repository (pid ${gitProcesses.join(", ")}): wait for it to finish`
      : `${l.path} was left by a git process that is gone (since ${l.since}): git refuses to work until it is removed — if no git command of yours is running, delete it (rm ${JSON.stringify(l.path)})`);
  }
  const how: Record<string, string> = { merge: "git merge --continue or git merge --abort", rebase: "git rebase --continue or git rebase --abort", "cherry-pick": "git cherry-pick --continue or --abort", revert: "git revert --continue or --abort", bisect: "git bisect reset" };
  for (const op of inProgress) problems.push(`a ${op} of yours is under way in ${repo}: the panel will not merge into the checkout until it is finished (${how[op]})`);
  return { repo, locks, gitProcesses, inProgress, problems };
}

/** The git dir holding a checkout's index (the leader's common dir, or a linked worktree's admin dir). */
export async function checkoutGitDir(checkout: string): Promise<string> {
  const out = await gitOk(checkout, ["rev-parse", "--absolute-git-dir"]);
  return out.trim();
}
