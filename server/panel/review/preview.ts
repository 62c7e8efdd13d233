/**
 * workers.mergePreview (ARCHITECTURE.md §7): what merging a worker into a target would do —
 * `git merge-tree` over the worker's base; nothing in any working tree, index or ref changes.
 * It also says whether the merge would go ahead now, and if not, why, in words that say what to do.
 */
import { COMMIT_ID, RUNTIME_DIR, changedFiles, countCommits, type ChangedFile } from "../../bridge/diff";
import { currentBranch, leaderBranchAt, type WorktreeGit } from "../../bridge/git";
import { BranchError, checkoutOf, conflictExcerpt, mergeTrees, resolveLocalBranch, type MergeConflict } from "../../bridge/merge";
import { resolveRevs } from "../../bridge/rev-batch";
import { readJsonData } from "../../bridge/run-files";
import { collidingIgnored, dirtyPaths, ignoredPaths } from "../../bridge/status";
import { mapBounded } from "../../core/bounded";
import { PanelError } from "../../core/errors";
import type { PanelWorker, WorkerMergeInfo, WorkerResult } from "../../core/records";
import type { Panel } from "../panel";
import { cliMergeHead } from "./cli-base";
import { ACTIVE, loadWorker, resolveHead, workerBranchRef, type HeadSource, type WorkerContext, type WorkerHead } from "./context";
import type { MergePreviewInput } from "./schemas";

export interface PreviewConflict extends MergeConflict {
  /** An excerpt of the conflict-marker regions of this file (text files only). */
  hunks?: string;
}

export interface MergePreview {
  runId: string;
  workerId: string;
  target: string;
  targetCommit: string;
  /** The merge base used: the worker's base commit (so a leader snapshot is never merged). */
  mergeBase: string;
  baseCommit: string;
  /** The worker HEAD that would be merged (committed changes only). */
  headCommit: string;
  headSource: HeadSource;
  clean: boolean;
  conflicts: PreviewConflict[];
  /** The merged tree, when clean. */
  resultTree?: string;
  /** Clean and the target already has all of it: merging would change nothing. */
  upToDate: boolean;
  /** What the merge would change in the target (when clean; no line counts — workers.diff has them). */
  files: ChangedFile[];
  /** Commits base..head (what the "commits" strategy replays). */
  commits: number;
  /** The prefilled squash commit message (editable: pass `message` to workers.merge). */
  message: string;
  /** Where the target is checked out, and which of its local changes touch files the merge changes (git would refuse). */
  checkout: { path: string; dirtyFiles: number; blockingFiles: string[]; ignoredFiles: string[] } | null;
  /** The worker's worktree has changes that are not committed: they are not part of the merge. */
  worktreeUncommittedFiles: number;
  workerStatus: string;
  /** Whether workers.merge would go ahead now, and if not, why (in words that say what to do). */
  canMerge: boolean;
  reasons: string[];
  merged?: WorkerMergeInfo;
}

export async function resolveTarget(ctx: WorkerContext, target: string | undefined): Promise<{ target: string; commit: string; tree: string }> {
  // Default: the branch the leader had when the run was created (recorded by the panel; for a run
  // of the LongTable CLI, which records none, read from HEAD's reflog), else the current one.
  const name = target ?? ctx.run.targetBranch ?? (await leaderBranchAt(ctx.repo, ctx.run.createdAt)) ?? (await currentBranch(ctx.repo));
  if (!name) {
    throw new PanelError("PRECONDITION_FAILED", "the leader checkout is on a detached HEAD and the run recorded no branch, so there is no default target: pass target (a local branch name)");
  }
  if (name === ctx.worker.worktreeBranch) throw new PanelError("BAD_REQUEST", "the target is the worker's own branch: pick the branch to merge into");
  try {
    return { target: name, ...(await resolveLocalBranch(ctx.repo, name)) };
  } catch (error) {
    if (error instanceof BranchError) {
      throw new PanelError(error.reason === "missing" ? "NOT_FOUND" : "BAD_REQUEST", `${error.message}: pass the name of an existing local branch as target`);
    }
    throw error;
  }
}

async function resultSummary(ctx: WorkerContext): Promise<string> {
  const own = readJsonData<Partial<WorkerResult>>(ctx.worker.resultPath, 8 * 1024 * 1024);
  if (own && typeof own.summary === "string") return own.summary;
  const agg = readJsonData<{ memberResults?: Array<{ workerId?: string; summary?: string }> }>(ctx.run.aggregateResultPath);
  const m = agg?.memberResults?.find((r) => r.workerId === ctx.worker.id);
  return typeof m?.summary === "string" ? m.summary : "";
}

/** `<Label> (<role>): <first line of the summary>`, the summary, and trailers naming the run, worker and commits. */
export function defaultMergeMessage(ctx: { runId: string; worker: Pick<PanelWorker, "id" | "role" | "label">; base: string; head: string; summary: string }): string {
  const summary = ctx.summary.replace(/\r\n?/g, "\n").trim();
  const first = summary.split("\n")[0]?.trim() ?? "";
  const subjectTail = first ? (first.length > 72 ? `${first.slice(0, 71)}…` : first) : `changes from panel run ${ctx.runId}`;
  const body = summary && summary !== first ? `${summary.length > 4000 ? `${summary.slice(0, 4000)}…` : summary}\n\n` : "";
  return `${ctx.worker.label} (${ctx.worker.role}): ${subjectTail}\n\n${body}LongTable-Run: ${ctx.runId}\nLongTable-Worker: ${ctx.worker.id}\nLongTable-Base: ${ctx.base}\nLongTable-Head: ${ctx.head}\n`;
}

export async function uncommittedPaths(worktree: WorktreeGit | undefined): Promise<string[]> {
  if (!worktree) return [];
  return (await dirtyPaths(worktree.workTree, worktree)).filter((p) => p !== RUNTIME_DIR && !p.startsWith(`${RUNTIME_DIR}/`));
}

/**
 * The target and the worker head through the repo's long-lived cat-file process (no process
 * start per query). Undefined when anything is unusual; the caller then takes the full path.
 */
async function quickTargetAndHead(ctx: WorkerContext, targetInput: string | undefined) {
  const name = targetInput ?? ctx.run.targetBranch;
  const branch = workerBranchRef(ctx);
  if (!name || !branch || name === ctx.worker.worktreeBranch || !/^[A-Za-z0-9._\/-]+$/.test(name) || /\.\.|\/\/|\.lock$|^\/|\/$|^\./.test(name)) return undefined;
  const [commit, tree, head, headTree] = await resolveRevs(ctx.repo, [`refs/heads/${name}^{commit}`, `refs/heads/${name}^{tree}`, `${branch}^{commit}`, `${branch}^{tree}`]);
  if (!commit || !tree || !head || !headTree) return undefined;
  const workerHead: WorkerHead = { head: head.sha, headTree: headTree.sha, source: "branch" };
  return { target: { target: name, commit: commit.sha, tree: tree.sha }, head: workerHead };
}

export async function buildPreview(ctx: WorkerContext, targetInput: string | undefined, detail = true): Promise<MergePreview & { oursLabel: string }> {
  const { repo, base, worker } = ctx;
  const quick = detail || ACTIVE.has(worker.status) ? undefined : await quickTargetAndHead(ctx, targetInput);
  const [target, head] = quick ? [quick.target, quick.head] : await Promise.all([resolveTarget(ctx, targetInput), resolveHead(ctx)]);
  const [merge, checkout, commits, dirtyWorktree, summary] = await Promise.all([
    mergeTrees(repo, { base, ours: target.commit, oursTree: target.tree, theirs: worker.runtimeLayout === "panel" ? head.head : await cliMergeHead(repo, base, head.head) }),
    detail ? checkoutOf(repo, target.target) : Promise.resolve(undefined),
    detail ? countCommits(repo, base, head.head) : Promise.resolve(-1),
    detail ? uncommittedPaths(head.worktree) : Promise.resolve([] as string[]),
    resultSummary(ctx),
  ]);
  const labels = { [merge.oursLabel]: target.target, [head.head]: worker.worktreeBranch };
  const [files, conflicts, checkoutDirty, checkoutIgnored] = await Promise.all([
    merge.clean && detail ? changedFiles(repo, target.commit, merge.tree) : Promise.resolve([] as ChangedFile[]),
    mapBounded(merge.conflicts, 8, async (c): Promise<PreviewConflict> => {
      const hunks = await conflictExcerpt(repo, merge.tree, c.path, labels).catch(() => undefined);
      return hunks ? { ...c, hunks } : c;
    }),
    checkout ? dirtyPaths(checkout) : Promise.resolve([] as string[]),
    checkout ? ignoredPaths(checkout) : Promise.resolve([] as string[]),
  ]);
  const upToDate = merge.clean && merge.tree === target.tree;
  const touched = new Set(files.flatMap((f) => (f.oldPath ? [f.path, f.oldPath] : [f.path])));
  const blocking = checkoutDirty.filter((p) => touched.has(p));
  // A merge never overwrites an ignored file of the checkout (a local .env a worker committed over).
  const written = files.filter((f) => f.status !== "deleted").map((f) => f.path);
  const ignoredHit = collidingIgnored(checkoutIgnored, written);
  const reasons: string[] = [];
  if (ACTIVE.has(worker.status)) reasons.push(`${worker.label} is ${worker.status}: wait for its result (or stop the run), then merge`);
  if (!merge.clean) reasons.push(`${conflicts.length} file(s) conflict with ${target.target}: resolve them in the worker branch or merge other workers first (see runs.overlap)`);
  if (upToDate) reasons.push(`nothing to merge: ${target.target} already has these changes`);
  if (blocking.length > 0) reasons.push(`${target.target} is checked out at ${checkout} with local changes to ${blocking.length} file(s) the merge changes (${blocking.slice(0, 5).join(", ")}): commit or stash them first`);
  if (ignoredHit.length > 0) reasons.push(`the merge would overwrite ${ignoredHit.length} ignored file(s) in ${checkout} (${ignoredHit.slice(0, 5).join(", ")}): the worker committed files your checkout keeps untracked; move them aside, or remove them from the worker branch, then merge`);
  return {
    runId: ctx.run.id,
    workerId: worker.id,
    target: target.target,
    targetCommit: target.commit,
    mergeBase: base,
    baseCommit: base,
    headCommit: head.head,
    headSource: head.source,
    clean: merge.clean,
    conflicts,
    ...(merge.clean ? { resultTree: merge.tree } : {}),
    upToDate,
    files,
    commits,
    message: defaultMergeMessage({ runId: ctx.run.id, worker, base, head: head.head, summary }),
    checkout: checkout ? { path: checkout, dirtyFiles: checkoutDirty.length, blockingFiles: blocking, ignoredFiles: ignoredHit } : null,
    worktreeUncommittedFiles: dirtyWorktree.length,
    workerStatus: worker.status,
    canMerge: reasons.length === 0,
    reasons,
    ...(worker.merged ? { merged: worker.merged } : {}),
    oursLabel: merge.oursLabel,
  };
}

export async function mergePreview(panel: Panel, input: MergePreviewInput): Promise<MergePreview> {
  const ctx = await loadWorker(panel, input.runId, input.workerId);
  const { oursLabel: _ours, ...preview } = await buildPreview(ctx, input.target, input.detail ?? true);
  return preview;
}

