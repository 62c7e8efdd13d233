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

/** pids of running git processes (not the panel's own) whose working directory is inside one of `dirs`. */
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
      // The panel's own git commands (children of this process) are not "someone else's git".
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === process.pid) continue;
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

const IN_PROGRESS: Array<[RepoState["inProgress"][number], string[], string]> = [
  ["merge", ["MERGE_HEAD"], "git merge --continue or git merge --abort"],
  ["rebase", ["rebase-merge", "rebase-apply"], "git rebase --continue or git rebase --abort"],
  ["cherry-pick", ["CHERRY_PICK_HEAD"], "git cherry-pick --continue or --abort"],
  ["revert", ["REVERT_HEAD"], "git revert --continue or --abort"],
];

/** The repository's state as git sees it, and what to do about it. */
export async function repoState(repo: string): Promise<RepoState> {
  const common = await commonGitDir(repo);
  const worktrees = (await runGit(repo, ["worktree", "list", "--porcelain"])).stdout.split("\n").filter((l) => l.startsWith("worktree ")).map((l) => l.slice(9));
  const branch = (await runGit(repo, ["symbolic-ref", "--quiet", "--short", "HEAD"])).stdout.trim();
  // The leader checkout's locks and its branch's (a worker worktree's are the worker's own business).
  const locks = lockFiles(common, [common], branch ? [branch] : []);
  const gitProcesses = gitProcessesIn([repo, ...worktrees]);
  const inProgress = IN_PROGRESS.filter(([, files]) => files.some((f) => existsSync(join(common, f)))).map(([op]) => op);
  if (existsSync(join(common, "BISECT_LOG"))) inProgress.push("bisect");
  const problems: string[] = [];
  for (const l of locks) {
    problems.push(gitProcesses.length > 0
      ? `${l.path} exists and git is running in this repository (pid ${gitProcesses.join(", ")}): wait for it to finish`
      : `${l.path} was left by a git process that is gone (since ${l.since}): git refuses to work until it is removed — if no git command of yours is running, delete it (rm ${JSON.stringify(l.path)})`);
  }
  for (const [op, , how] of IN_PROGRESS) if (inProgress.includes(op)) problems.push(`a ${op} of yours is under way in ${repo}: the panel will not merge into the checkout until it is finished (${how})`);
  if (inProgress.includes("bisect")) problems.push(`a bisect of yours is under way in ${repo} (HEAD is detached until git bisect reset)`);
  return { repo, locks, gitProcesses, inProgress, problems };
}

/** The git dir holding a checkout's index (the leader's common dir, or a linked worktree's admin dir). */
export async function checkoutGitDir(checkout: string): Promise<string> {
  const out = await gitOk(checkout, ["rev-parse", "--absolute-git-dir"]);
  return out.trim();
}

/**
 * What keeps a merge from moving `branch` (checked out at `checkout`, or not): lock files of the
 * refs and of that checkout's index, and an operation of the user's under way there — in words,
 * with what to do. Empty: nothing in the way.
 */
export async function mergeBlockers(repo: string, branch: string, checkout: string | undefined): Promise<string[]> {
  const common = await commonGitDir(repo);
  const gitDir = checkout ? await checkoutGitDir(checkout) : undefined;
  const locks = lockFiles(common, gitDir ? [gitDir] : [], [branch]);
  const out: string[] = [];
  if (locks.length > 0) {
    const running = gitProcessesIn([repo, ...(checkout ? [checkout] : [])]);
    for (const l of locks) {
      out.push(running.length > 0
        ? `${l.path} exists: a git command is running in this repository (pid ${running.join(", ")}); wait for it to finish, then merge`
        : `${l.path} was left behind by a git process that is gone (since ${l.since}); if no git command of yours is running, delete it (rm ${JSON.stringify(l.path)}) and merge again`);
    }
  }
  if (gitDir) {
    for (const [op, files, how] of IN_PROGRESS) {
      if (files.some((f) => existsSync(join(gitDir, f)))) out.push(`a ${op} of yours is under way in ${checkout}: finish it (${how}), then merge`);
    }
  }
  return out;
}
