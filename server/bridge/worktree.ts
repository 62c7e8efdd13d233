/**
 * Worker worktrees (ARCHITECTURE.md §4, §7): provisioning from the leader HEAD with a "leader snapshot"
 * commit of the leader's tracked uncommitted changes, idempotent so a crashed provisioning can
 * simply run again; removal only of clean worktrees.
 */
import { existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ensureExcludes, gitOk, runGit, worktreeGit, type WorktreeGit } from "./git";
import { dirtyPaths, ignoredPaths } from "./status";

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
  const wt = await worktreeGit(repo, worktreePath);
  if (!wt) throw new Error(`git did not register the worktree ${worktreePath}`);
  const inWt = { worktree: wt };
  await ensureCheckedOut(wt);
  let head = registeredAt ?? (await gitOk(worktreePath, ["rev-parse", "HEAD"], inWt)).trim();
  if (input.knownBaseCommit) {
    return { baseCommit: input.knownBaseCommit, headCommit: head, snapshot: "kept", reusedBranch, diagnostics };
  }

  const patch = leader ? leader.patch : await leaderPatch(repo);
  if (patch.length === 0) {
    return { baseCommit: head, headCommit: head, snapshot: "none", reusedBranch, diagnostics };
  }
  const check = await runGit(worktreePath, ["apply", "--check", "--binary", "--whitespace=nowarn", "-"], { ...inWt, input: patch });
  let snapshot: ProvisionResult["snapshot"];
  if (check.code === 0) {
    await gitOk(worktreePath, ["apply", "--index", "--binary", "--whitespace=nowarn", "-"], { ...inWt, input: patch });
    await gitOk(worktreePath, [...WORKER_AUTHOR, "commit", "-q", "--no-verify", "-m", SNAPSHOT_MESSAGE], inWt);
    head = (await gitOk(worktreePath, ["rev-parse", "HEAD"], inWt)).trim();
    snapshot = "applied";
    diagnostics.push("The leader's tracked uncommitted changes were committed as a leader snapshot before launch.");
  } else {
    const reverse = await runGit(worktreePath, ["apply", "--reverse", "--check", "--binary", "--whitespace=nowarn", "-"], { ...inWt, input: patch });
    if (reverse.code !== 0) {
      throw new Error(`the leader's uncommitted changes do not apply to the worker worktree: ${check.stderr.trim().split("\n")[0] ?? ""}`);
    }
    snapshot = "already-present";
    diagnostics.push("The leader's tracked uncommitted changes were already present in the worker branch.");
    // Uncommitted in the worktree (crash before the snapshot commit)? Commit them now.
    const dirty = (await gitOk(worktreePath, ["status", "--porcelain", "--untracked-files=no", "--ignore-submodules=all"], inWt)).trim();
    if (dirty) {
      await gitOk(worktreePath, ["add", "-u"], inWt);
      await gitOk(worktreePath, [...WORKER_AUTHOR, "commit", "-q", "--no-verify", "-m", SNAPSHOT_MESSAGE], inWt);
      head = (await gitOk(worktreePath, ["rev-parse", "HEAD"], inWt)).trim();
    }
  }
  return { baseCommit: head, headCommit: head, snapshot, reusedBranch, diagnostics };
}

/**
 * A worktree registered with --no-checkout has no index until its checkout ran. When the
 * server died in between, the checkout is done now; a worktree that has an index (the agent may
 * have uncommitted work in it) is never reset.
 */
async function ensureCheckedOut(wt: WorktreeGit): Promise<void> {
  const indexPath = join(wt.gitDir, "index");
  if (existsSync(indexPath)) return;
  await rm(`${indexPath}.lock`, { force: true }); // left by a checkout killed midway
  await gitOk(wt.workTree, ["reset", "--hard", "--quiet", "HEAD"], { worktree: wt });
}

/** The leader's tracked uncommitted changes (staged and unstaged) as a binary patch. */
export async function leaderPatch(repo: string): Promise<string> {
  return gitOk(repo, ["diff", "--binary", "--no-color", "--no-ext-diff", "HEAD"]);
}

export interface RemoveResult {
  removed: boolean;
  reason?: string;
}

/** What removing a worktree would delete besides committed files: uncommitted and ignored paths. */
export async function worktreeLeftovers(wt: WorktreeGit): Promise<{ uncommitted: string[]; ignored: string[] }> {
  const [uncommitted, ignored] = await Promise.all([dirtyPaths(wt.workTree, wt), ignoredPaths(wt.workTree, wt)]);
  return { uncommitted, ignored };
}

/**
 * Remove a worktree only when it has nothing uncommitted and no ignored files (the branch is
 * kept). The check is the panel's own (hardened, through the worktree's real git dir); git's
 * own check in `worktree remove` would run `git status` inside agent-made submodule folders.
 * `reproducible`: ignored entries the launch itself put there (files copied from the leader,
 * what the repo config's setup built, ARCHITECTURE.md §10), which are not a loss.
 */
export async function removeWorktreeIfClean(repo: string, worktreePath: string, options: { reproducible?: ReadonlySet<string> } = {}): Promise<RemoveResult> {
  if (!existsSync(worktreePath)) {
    await runGit(repo, ["worktree", "prune"]);
    return { removed: true };
  }
  const reason = await removalProblem(repo, worktreePath, options);
  return reason ? { removed: false, reason } : removeWorktree(repo, worktreePath);
}

/** Why removing the worktree would lose something (see removeWorktreeIfClean); undefined when nothing. */
export async function removalProblem(repo: string, worktreePath: string, options: { reproducible?: ReadonlySet<string> } = {}): Promise<string | undefined> {
  if (!existsSync(worktreePath)) return undefined;
  const wt = await worktreeGit(repo, worktreePath);
  if (!wt) return `${worktreePath} is not a registered worktree of this repository; remove it by hand`;
  const left = await worktreeLeftovers(wt);
  if (left.uncommitted.length > 0) {
    return `the worktree has ${left.uncommitted.length} uncommitted change(s); commit or discard them first`;
  }
  const ignored = left.ignored.filter((p) => !options.reproducible?.has(p));
  if (ignored.length > 0) {
    const some = ignored.slice(0, 3).join(", ");
    return `the worktree has ${ignored.length} ignored file(s) or folder(s) (${some}${ignored.length > 3 ? ", …" : ""}) that removing it would delete; discard it to remove them`;
  }
  return undefined;
}

/** `git worktree remove --force --force` (the caller has decided what may be lost). */
export async function removeWorktree(repo: string, worktreePath: string): Promise<RemoveResult> {
  const r = await runGit(repo, ["worktree", "remove", "--force", "--force", worktreePath]);
  if (r.code !== 0) return { removed: false, reason: r.stderr.trim().split("\n")[0] || "git worktree remove failed" };
  return { removed: true };
}
