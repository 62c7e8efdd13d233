/**
 * A worker worktree's uncommitted changes as a tree (ARCHITECTURE.md §7), without touching the
 * worker's index: a temporary GIT_INDEX_FILE (a copy of the worker's index, used only for its stat
 * cache; or `read-tree HEAD` when there is none), `git add -A`, `git write-tree`.
 */
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RUNTIME_DIR } from "./diff";
import { gitBuffer, gitText, type WorktreeGit } from "./git";


export interface WorktreeHead {
  head: string;
  tree: string;
  /** The worktree's own index file (`.git/worktrees/<name>/index` for a linked worktree). */
  indexPath: string;
}

/**
 * HEAD of a worker's worktree, read through its real git dir (never its `.git` file), when the
 * folder still exists.
 */
export async function worktreeHead(wt: WorktreeGit): Promise<WorktreeHead | undefined> {
  if (!existsSync(wt.workTree)) return undefined;
  const r = await gitBuffer(wt.workTree, ["rev-parse", "HEAD", "HEAD^{tree}"], { worktree: wt });
  if (r.code !== 0) return undefined;
  const [head, tree] = r.stdout.toString("utf8").trim().split("\n");
  if (!head || !tree) return undefined;
  return { head, tree, indexPath: join(wt.gitDir, "index") };
}

const IGNORE_TTL_MS = 60_000;
const ignoreCache = new Map<string, { ignored: boolean; at: number }>();

/** Is the runtime folder ignored in this worktree (info/exclude, the normal case)? Cached briefly. */
async function runtimeDirIgnored(wt: WorktreeGit): Promise<boolean> {
  const hit = ignoreCache.get(wt.workTree);
  if (hit && Date.now() - hit.at < IGNORE_TTL_MS) return hit.ignored;
  const ignored = (await gitBuffer(wt.workTree, ["check-ignore", "-q", "--no-index", `${RUNTIME_DIR}/`], { worktree: wt })).code === 0;
  if (ignoreCache.size > 1000) ignoreCache.clear();
  ignoreCache.set(wt.workTree, { ignored, at: Date.now() });
  return ignored;
}

export interface WorktreeSnapshot {
  /** Tree of everything in the worktree (tracked and untracked, not ignored, not the runtime folder). */
  tree: string;
  /** The tree differs from HEAD's. */
  dirty: boolean;
}

/**
 * Snapshot the worktree into a tree object. The worker's own index and working files are never
 * written: git reads and writes only a temporary index (GIT_INDEX_FILE) in a temp folder.
 */
export async function snapshotWorktree(wt: WorktreeGit, head: Pick<WorktreeHead, "tree" | "indexPath">): Promise<WorktreeSnapshot> {
  const dir = await mkdtemp(join(tmpdir(), "ltp-snap-"));
  const index = join(dir, "index");
  const opts = { worktree: wt, env: { GIT_INDEX_FILE: index, GIT_OPTIONAL_LOCKS: "0" } };
  const cwd = wt.workTree;
  try {
    const [ignored, seeded] = await Promise.all([
      runtimeDirIgnored(wt),
      // Only for its stat cache (so unchanged files are not re-hashed): `add -A` makes the
      // temporary index match the worktree whatever it started from.
      copyFile(head.indexPath, index).then(() => true, () => false),
    ]);
    if (!seeded) await gitText(cwd, ["read-tree", "HEAD"], opts);
    // Git repositories the agent made inside the worktree are left out (as the finish step does).
    const others = await gitBuffer(cwd, ["ls-files", "-z", "--others", "--exclude-standard"], { worktree: wt });
    const skip = others.stdout.toString("utf8").split("\0").filter((p) => p.endsWith("/")).map((p) => `:(exclude,literal)${p}`);
    let add = await gitBuffer(cwd, ["add", "-A", "--", ".", ...skip], opts);
    if (add.code !== 0 && seeded) {
      // An index git cannot use as is (split index, newer format …): start from HEAD instead.
      await rm(index, { force: true });
      await gitText(cwd, ["read-tree", "HEAD"], opts);
      add = await gitBuffer(cwd, ["add", "-A", "--", ".", ...skip], opts);
    }
    if (add.code !== 0) throw new Error(`git add (temporary index) failed: ${add.stderr.trim().split("\n").slice(-2).join(" ")}`);
    // Runtime files never count as changes: when the folder is not ignored, drop it from the temp index.
    if (!ignored) await gitText(cwd, ["rm", "-r", "-q", "--cached", "--ignore-unmatch", "--", RUNTIME_DIR], opts);
    const tree = (await gitText(cwd, ["write-tree"], opts)).trim();
    return { tree, dirty: tree !== head.tree };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

