/**
 * Worker worktrees (DESIGN §3, §6): provisioning from the leader HEAD with a "leader snapshot"
 * commit of the leader's tracked uncommitted changes, idempotent so a crashed provisioning can
 * simply run again; removal only of clean worktrees.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm } from "node:fs/promises";
import { dirname, join, resolve as resolvePath } from "node:path";
import { ensureExcludes, gitOk, runGit } from "./git";

export const WORKER_AUTHOR = ["-c", "user.name=LongTable Panel Worker", "-c", "user.email=longtable-panel-worker@example.invalid", "-c", "commit.gpgsign=false"];
export const SNAPSHOT_MESSAGE = "LongTable leader snapshot: tracked uncommitted changes of the leader checkout";

export interface WorktreeEntry {
  path: string;
  head?: string;
  branch?: string;
  prunable?: boolean;
}

export async function listWorktrees(repo: string): Promise<WorktreeEntry[]> {
  const out = await gitOk(repo, ["worktree", "list", "--porcelain"]);
  const entries: WorktreeEntry[] = [];
  let cur: WorktreeEntry | undefined;
  for (const line of out.split("\n")) {
    if (line.startsWith("worktree ")) {
      cur = { path: line.slice(9) };
      entries.push(cur);
    } else if (cur && line.startsWith("HEAD ")) cur.head = line.slice(5);
    else if (cur && line.startsWith("branch ")) cur.branch = line.slice(7).replace(/^refs\/heads\//, "");
    else if (cur && line.startsWith("prunable")) cur.prunable = true;
  }
  return entries;
}

async function branchExists(repo: string, branch: string): Promise<boolean> {
  return (await runGit(repo, ["rev-parse", "--verify", "--quiet", `refs/heads/${branch}^{commit}`])).code === 0;
}

export interface ProvisionInput {
  repo: string;
  worktreePath: string;
  branch: string;
  /** The base commit recorded by an earlier provisioning of this worker (resume): kept as is. */
  knownBaseCommit?: string;
  /** Runs `fn` exclusively among the provisionings of the same repo. */
  serialize?: <T>(fn: () => Promise<T>) => Promise<T>;
  /** What the workers of one launch share, read once by `leaderFacts` (else read here, per worker). */
  leader?: LeaderFacts;
}

/**
 * The leader's state for one launch: read once for all its workers instead of once per worker
 * (bench: fewer git calls per worker), so every worker of the launch also starts from the same
 * leader commit and the same leader snapshot.
 */
export interface LeaderFacts {
  /** The leader HEAD new worker branches start from. */
  head: string;
  /** `git worktree list` before this launch registered anything. */
  worktrees: WorktreeEntry[];
  /** The leader's tracked uncommitted changes (leaderPatch). */
  patch: string;
  /** Local branches (name → commit) before this launch created any. */
  branches: Map<string, string>;
}

export async function leaderFacts(repo: string): Promise<LeaderFacts> {
  await ensureExcludes(repo);
  const [head, worktrees, patch, refs] = await Promise.all([
    gitOk(repo, ["rev-parse", "--verify", "HEAD^{commit}"]),
    listWorktrees(repo),
    leaderPatch(repo),
    gitOk(repo, ["for-each-ref", "--format=%(objectname) %(refname)", "refs/heads/"]),
  ]);
  const branches = new Map<string, string>();
  for (const line of refs.split("\n")) {
    const m = /^([0-9a-f]{40,64}) refs\/heads\/(.+)$/.exec(line);
    if (m) branches.set(m[2]!, m[1]!);
  }
  return { head: head.trim(), worktrees, patch, branches };
}

export interface ProvisionResult {
  baseCommit: string;
  headCommit: string;
  snapshot: "none" | "applied" | "already-present" | "kept";
  reusedBranch: boolean;
  diagnostics: string[];
}

export async function provisionWorktree(input: ProvisionInput): Promise<ProvisionResult> {
  const { repo, worktreePath, branch } = input;
  const diagnostics: string[] = [];
  const leader = input.leader;
  if (!leader) await ensureExcludes(repo);
  await mkdir(dirname(worktreePath), { recursive: true });
  const registered = (leader?.worktrees ?? (await listWorktrees(repo))).find((w) => w.path === worktreePath);
  if (registered?.prunable || (!registered && existsSync(worktreePath))) {
    // Left behind by a crash between mkdir and registration: keep it aside, never delete it.
    await runGit(repo, ["worktree", "prune"]);
    if (existsSync(worktreePath)) {
      const aside = `${worktreePath}.orphan-${Date.now()}`;
      await rename(worktreePath, aside);
      diagnostics.push(`An unregistered folder at the worktree path was moved to ${aside}.`);
    }
  }
  const reusedBranch = leader ? leader.branches.has(branch) : await branchExists(repo, branch);
  /** The commit the new worktree's HEAD is at, when this call registers it from the launch's facts. */
  let registeredAt: string | undefined;
  if (!registered || registered.prunable) {
    // Registration is serialized per repo: concurrent `git worktree add`s read each other's
    // half-written metadata ("failed to read .git/worktrees/…/commondir"). The checkout, the
    // slow part, then runs concurrently in each worktree.
    const serialize = input.serialize ?? ((fn) => fn());
    await serialize(() =>
      reusedBranch
        ? gitOk(repo, ["worktree", "add", "--no-checkout", worktreePath, branch])
        : gitOk(repo, ["worktree", "add", "--no-checkout", "-b", branch, worktreePath, leader?.head ?? "HEAD"]),
    );
    registeredAt = leader && (reusedBranch ? leader.branches.get(branch) : leader.head);
  }
  await ensureCheckedOut(worktreePath);
  let head = registeredAt ?? (await gitOk(worktreePath, ["rev-parse", "HEAD"])).trim();
  if (input.knownBaseCommit) {
    return { baseCommit: input.knownBaseCommit, headCommit: head, snapshot: "kept", reusedBranch, diagnostics };
  }

  const patch = leader ? leader.patch : await leaderPatch(repo);
  if (patch.length === 0) {
    return { baseCommit: head, headCommit: head, snapshot: "none", reusedBranch, diagnostics };
  }
  const check = await runGit(worktreePath, ["apply", "--check", "--binary", "--whitespace=nowarn", "-"], { input: patch });
  let snapshot: ProvisionResult["snapshot"];
  if (check.code === 0) {
    await gitOk(worktreePath, ["apply", "--index", "--binary", "--whitespace=nowarn", "-"], { input: patch });
    await gitOk(worktreePath, [...WORKER_AUTHOR, "commit", "-q", "--no-verify", "-m", SNAPSHOT_MESSAGE]);
    head = (await gitOk(worktreePath, ["rev-parse", "HEAD"])).trim();
    snapshot = "applied";
    diagnostics.push("The leader's tracked uncommitted changes were committed as a leader snapshot before launch.");
  } else {
    const reverse = await runGit(worktreePath, ["apply", "--reverse", "--check", "--binary", "--whitespace=nowarn", "-"], { input: patch });
    if (reverse.code !== 0) {
      throw new Error(`the leader's uncommitted changes do not apply to the worker worktree: ${check.stderr.trim().split("\n")[0] ?? ""}`);
    }
    snapshot = "already-present";
    diagnostics.push("The leader's tracked uncommitted changes were already present in the worker branch.");
    // Uncommitted in the worktree (crash before the snapshot commit)? Commit them now.
    const dirty = (await gitOk(worktreePath, ["status", "--porcelain", "--untracked-files=no"])).trim();
    if (dirty) {
      await gitOk(worktreePath, ["add", "-u"]);
      await gitOk(worktreePath, [...WORKER_AUTHOR, "commit", "-q", "--no-verify", "-m", SNAPSHOT_MESSAGE]);
      head = (await gitOk(worktreePath, ["rev-parse", "HEAD"])).trim();
    }
  }
  return { baseCommit: head, headCommit: head, snapshot, reusedBranch, diagnostics };
}

/**
 * A worktree registered with --no-checkout has no index until its checkout ran. When the
 * server died in between, the checkout is done now; a worktree that has an index (the agent may
 * have uncommitted work in it) is never reset.
 */
async function ensureCheckedOut(worktreePath: string): Promise<void> {
  const gitDir = await linkedGitDir(worktreePath);
  const indexPath = gitDir ? join(gitDir, "index") : resolvePath(worktreePath, (await gitOk(worktreePath, ["rev-parse", "--git-path", "index"])).trim());
  if (existsSync(indexPath)) return;
  await rm(`${indexPath}.lock`, { force: true }); // left by a checkout killed midway
  await gitOk(worktreePath, ["reset", "--hard", "--quiet", "HEAD"]);
}

/** A linked worktree's own git dir, from its `.git` file ("gitdir: …"), without running git. */
async function linkedGitDir(worktreePath: string): Promise<string | undefined> {
  try {
    const m = /^gitdir: (.+)$/m.exec(await readFile(join(worktreePath, ".git"), "utf8"));
    return m ? resolvePath(worktreePath, m[1]!.trim()) : undefined;
  } catch {
    return undefined; // a directory (not a linked worktree) or unreadable: ask git
  }
}

/** The leader's tracked uncommitted changes (staged and unstaged) as a binary patch. */
export async function leaderPatch(repo: string): Promise<string> {
  return gitOk(repo, ["diff", "--binary", "--no-color", "--no-ext-diff", "HEAD"]);
}

export interface RemoveResult {
  removed: boolean;
  reason?: string;
}

/** Remove a worktree only when it has nothing uncommitted (the branch is kept). */
export async function removeWorktreeIfClean(repo: string, worktreePath: string): Promise<RemoveResult> {
  if (!existsSync(worktreePath)) {
    await runGit(repo, ["worktree", "prune"]);
    return { removed: true };
  }
  const status = await runGit(worktreePath, ["status", "--porcelain"]);
  if (status.code !== 0) return { removed: false, reason: `git status failed: ${status.stderr.trim()}` };
  if (status.stdout.trim()) {
    const n = status.stdout.trim().split("\n").length;
    return { removed: false, reason: `the worktree has ${n} uncommitted change(s); commit or discard them first` };
  }
  const r = await runGit(repo, ["worktree", "remove", worktreePath]);
  if (r.code !== 0) {
    // Ignored runtime files (.longtable-worker/) make git refuse; the tree itself is clean.
    const forced = await runGit(repo, ["worktree", "remove", "--force", worktreePath]);
    if (forced.code !== 0) return { removed: false, reason: (forced.stderr || r.stderr).trim() };
  }
  return { removed: true };
}
