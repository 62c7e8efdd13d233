/**
 * Merges without touching any working tree, index or ref until the very last step (ARCHITECTURE.md §7).
 *
 * - `mergeTrees` runs `git merge-tree --write-tree` with a chosen merge base. Git ≥ 2.40 takes
 *   `--merge-base=<base>`; older git (2.39 here) gets the same three-way merge through a
 *   "merge-base shim": an unreferenced commit with the tree of `ours` and the parents
 *   [ours, base], so that `base` (an ancestor of `theirs`) is the best common ancestor.
 * - `moveBranch` moves a branch to a new commit: by `git merge --ff-only` in the checkout that
 *   has it checked out (git refuses rather than overwrite local changes), elsewhere by
 *   `git update-ref <ref> <new> <old>` (fails when the branch moved meanwhile).
 */
import { gitBuffer, gitText, runGit } from "./git";
import { CLI_RUNTIME_DIR } from "./layout";
import { resolveRevs } from "./rev-batch";
import { listWorktrees } from "./worktree";

const SHIM_IDENTITY = {
  GIT_AUTHOR_NAME: "LongTable Panel",
  GIT_AUTHOR_EMAIL: "longtable-panel@example.invalid",
  GIT_AUTHOR_DATE: "@0 +0000",
  GIT_COMMITTER_NAME: "LongTable Panel",
  GIT_COMMITTER_EMAIL: "longtable-panel@example.invalid",
  GIT_COMMITTER_DATE: "@0 +0000",
};

let mergeBaseSupport: Promise<boolean> | undefined;

/** Does this git's merge-tree take --merge-base (git ≥ 2.40)? */
export function supportsMergeBaseOption(): Promise<boolean> {
  mergeBaseSupport ??= runGit(process.cwd(), ["--version"]).then((r) => {
    const m = /(\d+)\.(\d+)/.exec(r.stdout);
    if (!m) return false;
    const [major, minor] = [Number(m[1]), Number(m[2])];
    return major > 2 || (major === 2 && minor >= 40);
  });
  return mergeBaseSupport;
}

export interface MergeConflict {
  path: string;
  /** Conflict kinds from git's messages, e.g. "CONFLICT (contents)", "CONFLICT (modify/delete)". */
  types: string[];
  /** git's own explanation(s) for this path. */
  messages: string[];
}

export interface TreeMergeResult {
  clean: boolean;
  /** The result tree (with conflict markers in conflicted files when not clean). */
  tree: string;
  conflicts: MergeConflict[];
  /** Informational messages (Auto-merging …, CONFLICT …). */
  messages: { paths: string[]; type: string; message: string }[];
  /** The commit git saw as "ours" (the shim when one was needed): its id appears in conflict markers. */
  oursLabel: string;
}

/**
 * Three-way merge of `ours` and `theirs` with `base` as the merge base, written as a tree only.
 * Requires `base` to be an ancestor of `theirs` (true for every caller: the worker base of a
 * worker head, the parent of a replayed commit).
 */
/**
 * git < 2.40 has no `merge-tree --merge-base`: a throwaway commit (ours' tree, parents ours and
 * base) makes `base` the merge base. Its identity and dates are fixed, so the same inputs give
 * the same commit id: it is cached per (repo, ours, base).
 */
const shimCache = new Map<string, string>();
const shimKey = (repo: string, ours: string, base: string) => `${repo}\0${ours}\0${base}`;

async function shimCommit(repo: string, ours: string, base: string, oursTree?: string): Promise<string> {
  const key = shimKey(repo, ours, base);
  const cached = shimCache.get(key);
  if (cached) return cached;
  const tree = oursTree ?? (await gitText(repo, ["rev-parse", "--verify", "--end-of-options", `${ours}^{tree}`])).trim();
  const commit = (await gitText(repo, ["commit-tree", tree, "-p", ours, "-p", base, "-m", "longtable-panel merge-base shim"], { env: SHIM_IDENTITY })).trim();
  if (shimCache.size > 1000) shimCache.clear();
  shimCache.set(key, commit);
  return commit;
}

export async function mergeTrees(repo: string, input: { base: string; ours: string; theirs: string; oursTree?: string }): Promise<TreeMergeResult> {
  let ours = input.ours;
  const args = ["merge-tree", "--write-tree", "--messages", "--name-only", "-z"];
  if (await supportsMergeBaseOption()) {
    args.push(`--merge-base=${input.base}`);
  } else {
    ours = await shimCommit(repo, input.ours, input.base, input.oursTree);
  }
  args.push(ours, input.theirs);
  let r = await gitBuffer(repo, args);
  if (r.code > 1 && ours !== input.ours) {
    // The cached shim may have been pruned by gc: make it again once.
    shimCache.delete(shimKey(repo, input.ours, input.base));
    ours = await shimCommit(repo, input.ours, input.base, input.oursTree);
    args[args.length - 2] = ours;
    r = await gitBuffer(repo, args);
  }
  if (r.code !== 0 && r.code !== 1) throw new Error(`git merge-tree failed: ${r.stderr.trim().split("\n").slice(-3).join(" ")}`);
  const parsed = parseMergeTree(r.stdout.toString("utf8"));
  const clean = r.code === 0 && parsed.conflicts.length === 0;
  // The LongTable CLI commits its runtime folder with the worker's work: never merge it.
  const tree = clean ? await withoutRuntimeFolder(repo, parsed.tree, input.ours) : parsed.tree;
  return { ...parsed, tree, clean, oursLabel: ours };
}

/** `tree` without a top-level `.longtable-worker` entry that `ours` does not have (one cat-file lookup when there is none). */
async function withoutRuntimeFolder(repo: string, tree: string, ours: string): Promise<string> {
  const [inResult, inOurs] = await resolveRevs(repo, [`${tree}:${CLI_RUNTIME_DIR}`, `${ours}^{tree}:${CLI_RUNTIME_DIR}`]);
  if (!inResult || inOurs) return tree;
  const entries = (await gitText(repo, ["ls-tree", "-z", tree])).split("\0").filter((e) => e && !e.endsWith(`\t${CLI_RUNTIME_DIR}`));
  return (await gitText(repo, ["mktree", "-z"], { input: `${entries.join("\0")}\0` })).trim();
}

/**
 * Parse `git merge-tree --write-tree --messages --name-only -z` output:
 * `<tree>\0` `<path>\0`… `\0` then messages `<n>\0<path>\0…<type>\0<message>\0`.
 */
export function parseMergeTree(output: string): Omit<TreeMergeResult, "clean" | "oursLabel"> {
  const tokens = output.split("\0");
  const tree = tokens[0] ?? "";
  if (!/^[0-9a-f]{40,64}$/.test(tree)) throw new Error(`unexpected git merge-tree output ${JSON.stringify(output.slice(0, 80))}`);
  let i = 1;
  const conflicted: string[] = [];
  while (i < tokens.length && tokens[i] !== "") conflicted.push(tokens[i++]!);
  i++; // the empty token between the conflicted paths and the messages
  const messages: TreeMergeResult["messages"] = [];
  while (i < tokens.length) {
    const countToken = tokens[i];
    if (countToken === undefined || countToken === "" || !/^\d+$/.test(countToken)) break;
    const n = Number(countToken);
    const paths = tokens.slice(i + 1, i + 1 + n);
    const type = tokens[i + 1 + n] ?? "";
    const message = (tokens[i + 2 + n] ?? "").replace(/\n$/, "");
    messages.push({ paths, type, message });
    i += n + 3;
  }
  const byPath = new Map<string, MergeConflict>();
  for (const path of conflicted) if (!byPath.has(path)) byPath.set(path, { path, types: [], messages: [] });
  for (const m of messages) {
    if (!m.type.startsWith("CONFLICT")) continue;
    for (const p of m.paths) {
      const c = byPath.get(p) ?? { path: p, types: [], messages: [] };
      byPath.set(p, c);
      if (!c.types.includes(m.type)) c.types.push(m.type);
      if (!c.messages.includes(m.message)) c.messages.push(m.message);
    }
  }
  return { tree, conflicts: [...byPath.values()], messages };
}

export const CONFLICT_EXCERPT_LIMITS = { maxChars: 4000, context: 2 } as const;

/**
 * The conflict-marker regions of `path` in a merge-tree result tree (a few lines of context
 * around each), capped. `labels` replaces commit ids in the markers with readable names.
 */
export async function conflictExcerpt(repo: string, tree: string, path: string, labels: Record<string, string> = {}): Promise<string | undefined> {
  const r = await gitBuffer(repo, ["cat-file", "blob", `${tree}:${path}`], { limitBytes: 4 * 1024 * 1024 });
  if (r.code !== 0 && !r.truncated) return undefined;
  if (r.stdout.includes(0)) return undefined; // binary: no markers to show
  let text = r.stdout.toString("utf8");
  for (const [id, label] of Object.entries(labels)) text = text.split(id).join(label);
  const lines = text.split("\n");
  const keep = new Set<number>();
  let start = -1;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.startsWith("<<<<<<< ")) start = i;
    else if (l.startsWith(">>>>>>> ") && start >= 0) {
      for (let k = Math.max(0, start - CONFLICT_EXCERPT_LIMITS.context); k <= Math.min(lines.length - 1, i + CONFLICT_EXCERPT_LIMITS.context); k++) keep.add(k);
      start = -1;
    }
  }
  if (keep.size === 0) return undefined;
  const out: string[] = [];
  let prev = -2;
  for (const k of [...keep].sort((a, b) => a - b)) {
    if (k !== prev + 1 && out.length > 0) out.push("…");
    out.push(lines[k]!);
    prev = k;
  }
  const excerpt = out.join("\n");
  return excerpt.length > CONFLICT_EXCERPT_LIMITS.maxChars ? `${excerpt.slice(0, CONFLICT_EXCERPT_LIMITS.maxChars)}\n… [truncated]` : excerpt;
}

// ---------------------------------------------------------------------------------------------
// Branches

export class BranchError extends Error {
  constructor(public reason: "invalid" | "missing", message: string) {
    super(message);
  }
}

/** A local branch name that exists: `git check-ref-format --branch` and `refs/heads/<name>`. Returns its commit and tree. */
export async function resolveLocalBranch(repo: string, name: string): Promise<{ commit: string; tree: string }> {
  if (!name || name.startsWith("-") || name.includes("\0") || name.startsWith("refs/") || name.startsWith("@")) {
    throw new BranchError("invalid", `${JSON.stringify(name)} is not a valid branch name`);
  }
  const [fmt, r] = await Promise.all([
    runGit(repo, ["check-ref-format", "--branch", name]),
    runGit(repo, ["rev-parse", "--quiet", `refs/heads/${name}^{commit}`, `refs/heads/${name}^{tree}`]), // (name checked: never an option)
  ]);
  if (fmt.code !== 0 || fmt.stdout.trim() !== name) throw new BranchError("invalid", `${JSON.stringify(name)} is not a valid branch name`);
  const [commit, tree] = r.stdout.trim().split("\n");
  if (r.code !== 0 || !commit || !tree || !/^[0-9a-f]{40,64}$/.test(commit) || !/^[0-9a-f]{40,64}$/.test(tree)) {
    throw new BranchError("missing", `there is no local branch ${JSON.stringify(name)}`);
  }
  return { commit, tree };
}

/** The worktree (leader checkout or any linked worktree) that has `branch` checked out, if any. */
export async function checkoutOf(repo: string, branch: string): Promise<string | undefined> {
  const entries = await listWorktrees(repo);
  return entries.find((e) => e.branch === branch && !e.prunable)?.path;
}

export type MoveOutcome =
  | { ok: true; movedBy: "merge-ff"; checkout: string }
  | { ok: true; movedBy: "update-ref" }
  | { ok: false; reason: "moved" | "refused"; message: string; checkout?: string };

/**
 * Move `refs/heads/<branch>` from `oldCommit` to `newCommit` (a descendant of it). Where the
 * branch is checked out: `git merge --ff-only` there (no autostash: local changes stay exactly
 * as they are, or git refuses). Elsewhere: `git update-ref` with the old value.
 */
export async function moveBranch(repo: string, branch: string, newCommit: string, oldCommit: string, reflogMessage: string, known?: { checkout: string | undefined }): Promise<MoveOutcome> {
  // `known`: the caller looked it up just before, under the same lock (one `worktree list` less).
  const checkout = known ? known.checkout : await checkoutOf(repo, branch);
  if (checkout) {
    const head = await runGit(checkout, ["rev-parse", "--verify", "--quiet", "HEAD"]);
    if (head.code !== 0 || head.stdout.trim() !== oldCommit) {
      return { ok: false, reason: "moved", checkout, message: `${branch} moved since the merge was prepared (now ${head.stdout.trim().slice(0, 12) || "unknown"}, expected ${oldCommit.slice(0, 12)})` };
    }
    // --no-overwrite-ignore: an ignored file in the checkout (a local .env) is never replaced.
    const r = await runGit(checkout, ["merge", "--ff-only", "--no-overwrite-ignore", "--no-autostash", "--no-stat", "-q", newCommit], {
      env: { GIT_REFLOG_ACTION: reflogMessage, GIT_MERGE_AUTOEDIT: "no" },
    });
    if (r.code !== 0) {
      return { ok: false, reason: "refused", checkout, message: (r.stderr || r.stdout).trim().replace(/^error: /, "").replace(/\s*\n\s*/g, " ").replace(/\s*Aborting$/, "") };
    }
    return { ok: true, movedBy: "merge-ff", checkout };
  }
  const r = await runGit(repo, ["update-ref", "-m", reflogMessage, `refs/heads/${branch}`, newCommit, oldCommit]);
  if (r.code !== 0) {
    return { ok: false, reason: "moved", message: `${branch} moved since the merge was prepared: ${r.stderr.trim().split("\n")[0] ?? ""}` };
  }
  return { ok: true, movedBy: "update-ref" };
}

/** `git commit-tree <tree> -p <parent>… -F -` with the message on stdin; identity from `env` or the repo's config. */
export async function commitTree(repo: string, tree: string, parents: readonly string[], message: string, env?: Record<string, string>): Promise<string> {
  const args = ["commit-tree", tree];
  for (const p of parents) args.push("-p", p);
  args.push("-F", "-");
  const r = await gitBuffer(repo, args, { input: message, env });
  if (r.code !== 0) throw new Error(r.stderr.trim().split("\n").slice(-3).join(" ") || "git commit-tree failed");
  return r.stdout.toString("utf8").trim();
}

export async function treeOf(repo: string, commit: string): Promise<string> {
  return (await gitText(repo, ["rev-parse", "--verify", "--end-of-options", `${commit}^{tree}`])).trim();
}
