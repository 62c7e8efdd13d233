/**
 * Review services (DESIGN §6): a worker's diff, merge preview, merge, discard, cleanup, and the
 * overlap between workers of a run. Queries change no working tree, index or ref (they may
 * write unreferenced objects: snapshot trees, merge results). Mutations hold the run's lock
 * and record their state change through the one door.
 */
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { and, desc, eq } from "drizzle-orm";
import { z } from "zod";
import * as t from "../../db/schema";
import {
  COMMIT_ID, RUNTIME_DIR, changedFiles, changedPaths, changedRanges, commitsBetween, countCommits, diffFiles, filePatch, gitBuffer,
  gitText, objectExists, pathsDiffer, rangesOverlap, snapshotWorktree, worktreeHead, type ChangedFile, type CommitSummary, type DiffFile, type FilePatch,
  type Hunk, type OldRange,
} from "../bridge/diff";
import {
  BranchError, checkoutOf, commitTree, conflictExcerpt, dirtyPaths, mergeTrees, moveBranch, resolveLocalBranch, treeOf,
  type MergeConflict,
} from "../bridge/merge";
import { resolveRevs } from "../bridge/rev-batch";
import { readJsonIfExists } from "../bridge/run-directory";
import { listWorktrees, removeWorktreeIfClean } from "../bridge/worktree";
import { mapBounded } from "./bounded";
import { PanelError, notFound } from "./errors";
import { branchFor, createId, runIdSchema, workerIdSchema } from "./ids";
import { writerFor } from "./lifecycle";
import { workerCleanedUp, workerDiscarded, workerMerged } from "./machine";
import type { Panel } from "./panel";
import type { PanelWorker, WorkerMergeInfo, WorkerResult } from "./records";
import { getRun, type RunView } from "./runs";

// ---------------------------------------------------------------------------------------------
// Input schemas (the routers use these as is)

const noNul = (s: string) => !s.includes("\u0000");
export const commitIdSchema = z.string().regex(/^[0-9a-f]{7,64}$/, "a commit id is 7 to 64 lower-case hex digits");
export const branchNameSchema = z
  .string()
  .min(1, "the target branch name is empty")
  .max(250)
  .refine((s) => !s.startsWith("-"), "a branch name cannot start with '-'")
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), "a branch name cannot contain control characters");

const workerRef = { runId: runIdSchema, workerId: workerIdSchema };

export const diffInputSchema = z.object({
  ...workerRef,
  /** Hunks of this one file (a path from `files`, new or old name). Without it: the file list only. */
  path: z.string().min(1).max(4096).refine(noNul, "the path contains a NUL character").optional(),
  /** Show the change since the previous attempt's commit, or since a given commit, instead of since the base. */
  since: z.union([z.literal("previousAttempt"), commitIdSchema]).optional(),
  /** With `path`: return the hunks even when the patch exceeds the size limits. */
  full: z.boolean().optional(),
  /** With `path`: lines of context around changes (default 3). */
  context: z.number().int().min(0).max(1000).optional(),
  /**
   * Include the worktree's uncommitted changes. Default: yes, unless the worker finished with a
   * result (completed/blocked: worker-finish committed everything before writing it).
   */
  uncommitted: z.boolean().optional(),
});
export type DiffInput = z.infer<typeof diffInputSchema>;

export const mergePreviewInputSchema = z.object({
  ...workerRef,
  target: branchNameSchema.optional(),
  /** false: only clean/conflicts (one merge-tree); the changed files, commit count and checkout state are skipped. Default true. */
  detail: z.boolean().optional(),
});
export type MergePreviewInput = z.infer<typeof mergePreviewInputSchema>;

export const MAX_MESSAGE_BYTES = 64 * 1024;
export const mergeInputSchema = z.object({
  ...workerRef,
  strategy: z.enum(["squash", "commits"]).optional(),
  target: branchNameSchema.optional(),
  /** Commit message for a squash merge (default: prefilled from the role, label and result summary; see mergePreview.message). */
  message: z
    .string()
    .refine((s) => s.trim().length > 0, "the commit message is empty")
    .refine((s) => Buffer.byteLength(s, "utf8") <= MAX_MESSAGE_BYTES, "the commit message is larger than 64 kB")
    .refine(noNul, "the commit message contains a NUL character")
    .optional(),
  /** The targetCommit the preview showed: the merge is refused when the target moved since. */
  expectedTargetCommit: z.string().regex(/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/, "expectedTargetCommit is a full commit id").optional(),
});
export type MergeInput = z.infer<typeof mergeInputSchema>;

export const discardInputSchema = z.object({
  ...workerRef,
  deleteBranch: z.boolean().optional(),
  /** Without `confirm: true` nothing is removed: the answer says what would be lost. */
  confirm: z.boolean().optional(),
});
export type DiscardInput = z.infer<typeof discardInputSchema>;
export const discardPreviewInputSchema = z.object({ ...workerRef, deleteBranch: z.boolean().optional() });

export const cleanupInputSchema = z.object({ ...workerRef, deleteBranch: z.boolean().optional() });
export type CleanupInput = z.infer<typeof cleanupInputSchema>;

// ---------------------------------------------------------------------------------------------
// Resolving a worker's commits

const ACTIVE = new Set(["pending", "running", "stop_requested"]);
/** Finished with a result: worker-finish committed the worktree before writing it. */
const FINISHED = new Set(["completed", "blocked"]);
const nowIso = () => new Date().toISOString();

interface WorkerContext {
  run: RunView;
  worker: PanelWorker;
  repo: string;
  base: string;
}

function loadWorker(panel: Panel, runId: string, workerId: string): WorkerContext {
  const run = getRun(panel, runId);
  const worker = run.workers.find((w) => w.id === workerId);
  if (!worker) throw notFound(`worker ${workerId} in run ${runId}`);
  const base = worker.baseCommit;
  if (!base) {
    throw new PanelError("PRECONDITION_FAILED", `${worker.label} has not been provisioned yet, so it has no changes: launch the run first`);
  }
  if (!COMMIT_ID.test(base)) throw new PanelError("PRECONDITION_FAILED", `the run record has an invalid base commit for ${workerId}; the run directory may be damaged`);
  return { run, worker, repo: run.workingDirectory, base };
}

export type HeadSource = "worktree" | "branch" | "commit" | "base";

interface WorkerHead {
  head: string;
  source: HeadSource;
  /** The live worktree folder, when the head came from it (with its HEAD tree and index file). */
  worktree?: string;
  headTree?: string;
  indexPath?: string;
}

/** The worker's branch as a full ref, only when it has the expected shape (never an option, never a user branch). */
function workerBranchRef(ctx: WorkerContext): string | undefined {
  const b = ctx.worker.worktreeBranch;
  return typeof b === "string" && b.startsWith("longtable/") && !b.includes("..") && !/[\s\u0000-\u001f~^:?*[\\]/.test(b) ? `refs/heads/${b}` : undefined;
}

/** Worker HEAD: the live worktree, else its branch, else the recorded worktreeCommit, else the base. */
async function resolveHead(ctx: WorkerContext): Promise<WorkerHead> {
  const { worker, repo } = ctx;
  if (isAbsolute(worker.worktreePath)) {
    const wt = await worktreeHead(worker.worktreePath);
    if (wt) return { head: wt.head, source: "worktree", worktree: worker.worktreePath, headTree: wt.tree, indexPath: wt.indexPath };
  }
  const ref = workerBranchRef(ctx);
  const candidates: [string | undefined, HeadSource][] = [
    [ref, "branch"],
    [worker.worktreeCommit && COMMIT_ID.test(worker.worktreeCommit) ? worker.worktreeCommit : undefined, "commit"],
    [ctx.base, "base"],
  ];
  for (const [rev, source] of candidates) {
    if (!rev) continue;
    const found = await commitAndTree(repo, rev);
    if (found) return { head: found.commit, headTree: found.tree, source };
  }
  throw new PanelError("NOT_FOUND", `the commits of ${worker.label} are no longer in the repository (branch deleted and objects pruned)`);
}

/** A commit and its tree in one rev-parse; `rev` is a checked full ref or a hex id (never an option). */
async function commitAndTree(repo: string, rev: string): Promise<{ commit: string; tree: string } | undefined> {
  const r = await gitBuffer(repo, ["rev-parse", "--quiet", `${rev}^{commit}`, `${rev}^{tree}`]);
  if (r.code !== 0) return undefined;
  const [commit, tree] = r.stdout.toString("utf8").trim().split("\n");
  return commit && tree && COMMIT_ID.test(commit) && COMMIT_ID.test(tree) ? { commit, tree } : undefined;
}

const WORKER_COMMIT_SUBJECT = /^longtable panel worker (\S+)(?: \((.*)\))?$/;

/**
 * The commit the worker's previous attempt ended on: the newest first-parent commit between
 * base and head that worker-finish made for an attempt before the current one
 * (`longtable panel worker <id> (attempt N…)`). An attempt that committed nothing left HEAD
 * where the attempt before it ended, so the walk finds the right commit then too. When no such
 * commit exists, the recorded `previousCommit` (set when a follow-up starts) is used if it is
 * an ancestor of head, else the base.
 */
async function previousAttemptCommit(ctx: WorkerContext, head: string): Promise<string> {
  const { worker, repo, base } = ctx;
  const attempt = worker.attempt ?? 1;
  if (attempt <= 1) {
    throw new PanelError("PRECONDITION_FAILED", `${worker.label} has had one attempt only, so there is no previous attempt to compare with: leave out since`);
  }
  const commits = await commitsBetween(repo, base, head, { firstParent: true });
  for (const c of commits.reverse()) {
    const m = WORKER_COMMIT_SUBJECT.exec(c.subject);
    if (!m || m[1] !== worker.id) continue;
    const n = Number(/attempt (\d+)/.exec(m[2] ?? "")?.[1] ?? 1);
    if (n < attempt) return c.commit;
  }
  const recorded = worker.previousCommit;
  if (recorded && COMMIT_ID.test(recorded) && recorded !== base) {
    const isAncestor = await gitBuffer(repo, ["merge-base", "--is-ancestor", recorded, head]);
    if (isAncestor.code === 0) return recorded;
  }
  return base;
}

async function resolveSince(ctx: WorkerContext, since: string, head: string): Promise<string> {
  if (since === "previousAttempt") return previousAttemptCommit(ctx, head);
  const full = await objectExists(ctx.repo, since);
  if (!full) throw new PanelError("NOT_FOUND", `commit ${since} was not found in the repository: pass a commit id from the worker's history`);
  return full;
}

// ---------------------------------------------------------------------------------------------
// workers.diff

export interface DiffTotals {
  files: number;
  additions: number;
  deletions: number;
  binary: number;
}

export interface WorkerDiff {
  runId: string;
  workerId: string;
  /** The worker's base commit (leader HEAD at provisioning, or the leader snapshot on top of it). */
  baseCommit: string;
  /** What the diff is measured from: the base, or the `since` commit. */
  fromCommit: string;
  /** The worker's HEAD commit. */
  headCommit: string;
  headSource: HeadSource;
  /** The tree diffed to: HEAD's tree, or a snapshot tree of the worktree when `uncommitted`. */
  toTree: string;
  since?: { kind: "previousAttempt" | "commit"; commit: string };
  /** The diff includes uncommitted changes of the worktree (files carry `uncommitted: true`). */
  uncommitted: boolean;
  /** Whether the worktree was looked at for uncommitted changes (see the `uncommitted` input). */
  uncommittedChecked: boolean;
  /** Every changed file; with `path`, only that file. */
  files: DiffFile[];
  totals: DiffTotals;
  /** With `path`: the file's patch facts (binary, tooLarge, size) … */
  patch?: Omit<FilePatch, "hunks">;
  /** … and its hunks (empty for binary or tooLarge). */
  hunks?: Hunk[];
}

function totalsOf(files: readonly DiffFile[]): DiffTotals {
  let additions = 0;
  let deletions = 0;
  let binary = 0;
  for (const f of files) {
    additions += f.additions;
    deletions += f.deletions;
    if (f.binary) binary++;
  }
  return { files: files.length, additions, deletions, binary };
}

export async function workerDiff(panel: Panel, input: DiffInput): Promise<WorkerDiff> {
  const ctx = loadWorker(panel, input.runId, input.workerId);
  const { repo } = ctx;
  // A worker that finished with a result normally still has HEAD at its recorded commit: list
  // that while HEAD is being resolved, and keep the list only when the guess was right.
  const recorded = ctx.worker.worktreeCommit;
  const guess = input.path === undefined && !input.since && input.uncommitted !== true && FINISHED.has(ctx.worker.status) && recorded && COMMIT_ID.test(recorded)
    ? diffFiles(repo, ctx.base, recorded).catch(() => undefined)
    : undefined;
  const head = await resolveHead(ctx);
  const from = input.since ? await resolveSince(ctx, input.since, head.head) : ctx.base;
  const wantSnapshot = head.worktree !== undefined && (input.uncommitted ?? !FINISHED.has(ctx.worker.status));
  const snapshotOf = () => (wantSnapshot ? snapshotWorktree(head.worktree!, { tree: head.headTree!, indexPath: head.indexPath! }) : Promise.resolve(undefined));
  const headTree = head.headTree ?? treeOf(repo, head.head);
  const result = (files: DiffFile[], toTree: string, uncommitted: boolean): WorkerDiff => ({
    runId: ctx.run.id,
    workerId: ctx.worker.id,
    baseCommit: ctx.base,
    fromCommit: from,
    headCommit: head.head,
    headSource: head.source,
    toTree,
    ...(input.since ? { since: { kind: input.since === "previousAttempt" ? ("previousAttempt" as const) : ("commit" as const), commit: from } } : {}),
    uncommitted,
    uncommittedChecked: wantSnapshot,
    files,
    totals: totalsOf(files),
  });

  if (input.path === undefined) {
    // Snapshot first (when wanted), then ONE content diff to whichever tree is current; the
    // names of the uncommitted files come from a cheap names-only diff alongside.
    const [snapshot, tree] = await Promise.all([snapshotOf(), headTree]);
    if (!snapshot?.dirty) {
      const guessed = guess && head.head === recorded ? await guess : undefined;
      return result(guessed ?? (await diffFiles(repo, from, head.head)), tree, false);
    }
    const [all, touched] = await Promise.all([diffFiles(repo, from, snapshot.tree), changedPaths(repo, head.head, snapshot.tree)]);
    for (const f of all) if (touched.has(f.path) || (f.oldPath && touched.has(f.oldPath))) f.uncommitted = true;
    return result(all, snapshot.tree, true);
  }

  // One file: count that path alone; only an added or deleted file can be half of a rename,
  // so only then is its partner looked up in the (cheap, --raw) full list.
  const path = input.path;
  const [snapshot, tree] = await Promise.all([snapshotOf(), headTree]);
  const uncommitted = snapshot?.dirty === true;
  const toTree = uncommitted ? snapshot!.tree : tree;
  // (a literal pathspec naming a folder matches the files inside it: only an exact path counts)
  let file = (await diffFiles(repo, from, toTree, [path])).find((f) => f.path === path);
  if (!file || file.status === "added" || file.status === "deleted") {
    const listed = await changedFiles(repo, from, toTree);
    const entry = listed.find((f) => f.path === path) ?? listed.find((f) => f.oldPath === path);
    if (!entry) {
      throw new PanelError("NOT_FOUND", `${JSON.stringify(path)} is not among the files this diff changes: pick a path from files`);
    }
    if (entry.oldPath) file = (await diffFiles(repo, from, toTree, [entry.oldPath, entry.path])).find((f) => f.path === entry.path);
  }
  if (!file || file.path.startsWith(`${RUNTIME_DIR}/`)) {
    throw new PanelError("NOT_FOUND", `${JSON.stringify(path)} is not among the files this diff changes: pick a path from files`);
  }
  const paths = file.oldPath ? [file.oldPath, file.path] : [file.path];
  if (uncommitted && (await pathsDiffer(repo, head.head, toTree, paths))) file.uncommitted = true;
  const { hunks, ...patch } = await filePatch(repo, from, toTree, file, { full: input.full, context: input.context });
  return { ...result([file], toTree, uncommitted), patch, hunks };
}

// ---------------------------------------------------------------------------------------------
// workers.mergePreview

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
  checkout: { path: string; dirtyFiles: number; blockingFiles: string[] } | null;
  /** The worker's worktree has changes that are not committed: they are not part of the merge. */
  worktreeUncommittedFiles: number;
  workerStatus: string;
  /** Whether workers.merge would go ahead now, and if not, why (in words that say what to do). */
  canMerge: boolean;
  reasons: string[];
  merged?: WorkerMergeInfo;
}

async function resolveTarget(ctx: WorkerContext, target: string | undefined): Promise<{ target: string; commit: string; tree: string }> {
  const name = target ?? ctx.run.targetBranch;
  if (!name) {
    throw new PanelError("PRECONDITION_FAILED", "the leader checkout was on a detached HEAD when the run was created, so there is no default target: pass target (a local branch name)");
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
  const own = await readJsonIfExists<Partial<WorkerResult>>(ctx.worker.resultPath);
  if (own && typeof own.summary === "string") return own.summary;
  const agg = await readJsonIfExists<{ memberResults?: Array<{ workerId?: string; summary?: string }> }>(ctx.run.aggregateResultPath);
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

async function uncommittedPaths(worktree: string | undefined): Promise<string[]> {
  if (!worktree) return [];
  return (await dirtyPaths(worktree)).filter((p) => p !== RUNTIME_DIR && !p.startsWith(`${RUNTIME_DIR}/`));
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

async function buildPreview(ctx: WorkerContext, targetInput: string | undefined, detail = true): Promise<MergePreview & { oursLabel: string }> {
  const { repo, base, worker } = ctx;
  const quick = detail || ACTIVE.has(worker.status) ? undefined : await quickTargetAndHead(ctx, targetInput);
  const [target, head] = quick ? [quick.target, quick.head] : await Promise.all([resolveTarget(ctx, targetInput), resolveHead(ctx)]);
  const [merge, checkout, commits, dirtyWorktree, summary] = await Promise.all([
    mergeTrees(repo, { base, ours: target.commit, oursTree: target.tree, theirs: head.head }),
    detail ? checkoutOf(repo, target.target) : Promise.resolve(undefined),
    detail ? countCommits(repo, base, head.head) : Promise.resolve(-1),
    detail ? uncommittedPaths(head.worktree) : Promise.resolve([] as string[]),
    resultSummary(ctx),
  ]);
  const labels = { [merge.oursLabel]: target.target, [head.head]: worker.worktreeBranch };
  const [files, conflicts, checkoutDirty] = await Promise.all([
    merge.clean && detail ? changedFiles(repo, target.commit, merge.tree) : Promise.resolve([] as ChangedFile[]),
    mapBounded(merge.conflicts, 8, async (c): Promise<PreviewConflict> => {
      const hunks = await conflictExcerpt(repo, merge.tree, c.path, labels).catch(() => undefined);
      return hunks ? { ...c, hunks } : c;
    }),
    checkout ? dirtyPaths(checkout) : Promise.resolve([] as string[]),
  ]);
  const upToDate = merge.clean && merge.tree === target.tree;
  const touched = new Set(files.flatMap((f) => (f.oldPath ? [f.path, f.oldPath] : [f.path])));
  const blocking = checkoutDirty.filter((p) => touched.has(p));
  const reasons: string[] = [];
  if (ACTIVE.has(worker.status)) reasons.push(`${worker.label} is ${worker.status}: wait for its result (or stop the run), then merge`);
  if (!merge.clean) reasons.push(`${conflicts.length} file(s) conflict with ${target.target}: resolve them in the worker branch or merge other workers first (see runs.overlap)`);
  if (upToDate) reasons.push(`nothing to merge: ${target.target} already has these changes`);
  if (blocking.length > 0) reasons.push(`${target.target} is checked out at ${checkout} with local changes to ${blocking.length} file(s) the merge changes (${blocking.slice(0, 5).join(", ")}): commit or stash them first`);
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
    checkout: checkout ? { path: checkout, dirtyFiles: checkoutDirty.length, blockingFiles: blocking } : null,
    worktreeUncommittedFiles: dirtyWorktree.length,
    workerStatus: worker.status,
    canMerge: reasons.length === 0,
    reasons,
    ...(worker.merged ? { merged: worker.merged } : {}),
    oursLabel: merge.oursLabel,
  };
}

export async function mergePreview(panel: Panel, input: MergePreviewInput): Promise<MergePreview> {
  const ctx = loadWorker(panel, input.runId, input.workerId);
  const { oursLabel: _ours, ...preview } = await buildPreview(ctx, input.target, input.detail ?? true);
  return preview;
}

// ---------------------------------------------------------------------------------------------
// workers.merge

export interface MergeOutcome {
  mergeId: string;
  commit: string;
  target: string;
  previousCommit: string;
  strategy: "squash" | "commits";
  /** The new commits on the target, oldest first (one for squash). */
  commits: string[];
  /** How the target moved: fast-forward in its checkout, or update-ref (not checked out). */
  movedBy: "merge-ff" | "update-ref";
  checkout: string | null;
  workerHead: string;
  worker: PanelWorker;
}

function identityError(error: unknown): PanelError | undefined {
  const msg = (error as Error).message ?? "";
  if (/tell me who you are|empty ident|unable to auto-detect|name consists only of disallowed/i.test(msg)) {
    return new PanelError("PRECONDITION_FAILED", "git needs your name and email to create the merge commit: run git config user.name \"…\" and git config user.email \"…\" in the repository, then merge again");
  }
  return undefined;
}

/** Replay base..head one commit at a time onto `onto`, keeping each commit's author and message. */
async function replayCommits(repo: string, base: string, head: string, onto: string): Promise<string[]> {
  const commits = await commitsBetween(repo, base, head);
  if (commits.some((c) => c.parents.length > 1)) {
    throw new PanelError("PRECONDITION_FAILED", "the worker's history contains merge commits, which cannot be replayed one by one: use the squash strategy");
  }
  const created: string[] = [];
  let current = onto;
  let currentTree = await treeOf(repo, onto);
  for (const c of commits) {
    const parent = c.parents[0]!;
    const merge = await mergeTrees(repo, { base: parent, ours: current, oursTree: currentTree, theirs: c.commit });
    if (!merge.clean) {
      throw new PanelError("CONFLICT", `replaying ${c.commit.slice(0, 12)} (${c.subject}) conflicts in ${merge.conflicts.map((x) => x.path).join(", ")}: nothing was changed — use the squash strategy or resolve the conflict in the worker branch`);
    }
    if (merge.tree === currentTree) continue; // already there: no empty commit
    const meta = await gitText(repo, ["log", "-1", "--format=%an%x00%ae%x00%ad%x00%B", "--date=raw", c.commit, "--"]);
    const [an = "", ae = "", ad = "", ...rest] = meta.split("\0");
    const message = rest.join("\0").replace(/\n+$/, "\n") || `${c.subject}\n`;
    current = await commitTree(repo, merge.tree, [current], message, { GIT_AUTHOR_NAME: an, GIT_AUTHOR_EMAIL: ae, GIT_AUTHOR_DATE: ad });
    currentTree = merge.tree;
    created.push(current);
  }
  return created;
}

export async function mergeWorker(panel: Panel, input: MergeInput): Promise<MergeOutcome> {
  const strategy = input.strategy ?? "squash";
  return panel.locks.run(input.runId, async () => {
    const ctx = loadWorker(panel, input.runId, input.workerId);
    const { repo, worker } = ctx;
    if (ACTIVE.has(worker.status)) {
      throw new PanelError("CONFLICT", `${worker.label} is ${worker.status}: wait for its result (or stop the run), then merge`);
    }
    if (strategy === "commits" && input.message !== undefined) {
      throw new PanelError("BAD_REQUEST", "message applies to squash merges only; the commits strategy keeps each commit's own message");
    }
    const preview = await buildPreview(ctx, input.target);
    if (input.expectedTargetCommit && input.expectedTargetCommit !== preview.targetCommit) {
      throw new PanelError("CONFLICT", `${preview.target} moved since the preview (now ${preview.targetCommit.slice(0, 12)}, previewed ${input.expectedTargetCommit.slice(0, 12)}): nothing was changed — preview again and merge`);
    }
    if (!preview.clean) {
      const list = preview.conflicts.map((c) => c.path);
      throw new PanelError("CONFLICT", `merge refused: ${list.length} file(s) conflict with ${preview.target} (${list.slice(0, 10).join(", ")}${list.length > 10 ? ", …" : ""}); nothing was changed — see workers.mergePreview for the conflicts, merge other workers first or resolve them in the worker branch`);
    }
    if (preview.upToDate) {
      throw new PanelError("PRECONDITION_FAILED", `nothing to merge: ${preview.target} already has ${worker.label}'s changes`);
    }
    let created: string[];
    try {
      if (strategy === "squash") {
        const message = input.message !== undefined ? `${input.message.replace(/\r\n?/g, "\n").replace(/\s+$/, "")}\n` : preview.message;
        created = [await commitTree(repo, preview.resultTree!, [preview.targetCommit], message)];
      } else {
        created = await replayCommits(repo, ctx.base, preview.headCommit, preview.targetCommit);
        if (created.length === 0) throw new PanelError("PRECONDITION_FAILED", `nothing to merge: ${preview.target} already has ${worker.label}'s changes`);
      }
    } catch (error) {
      throw identityError(error) ?? error;
    }
    const commit = created[created.length - 1]!;
    const moved = await moveBranch(repo, preview.target, commit, preview.targetCommit, `longtable-panel: merge ${worker.id} of ${ctx.run.id} (${strategy})`);
    if (!moved.ok) {
      if (moved.reason === "moved") {
        throw new PanelError("CONFLICT", `${moved.message}: nothing was changed — preview again and merge`);
      }
      throw new PanelError("PRECONDITION_FAILED", `git refused to update ${preview.target} in ${moved.checkout}: ${moved.message} — nothing was changed; commit or stash the local changes to those files, then merge again`);
    }
    const at = nowIso();
    const mergeId = createId("merge");
    const w = writerFor(panel, ctx.run.id);
    const next = await w.apply((run) => workerMerged(run, worker.id, { commit, target: preview.target, previousCommit: preview.targetCommit, strategy, workerHead: preview.headCommit }, at));
    panel.db.insert(t.merges).values({
      id: mergeId, runId: ctx.run.id, workerId: worker.id, strategy, target: preview.target, previousCommit: preview.targetCommit, commit, createdAt: at,
    }).run();
    return {
      mergeId,
      commit,
      target: preview.target,
      previousCommit: preview.targetCommit,
      strategy,
      commits: created,
      movedBy: moved.movedBy,
      checkout: moved.movedBy === "merge-ff" ? moved.checkout : null,
      workerHead: preview.headCommit,
      worker: next.workers.find((x) => x.id === worker.id)!,
    };
  });
}

/** Every recorded merge of a run (newest first), optionally of one worker. */
export function listMerges(panel: Panel, runId: string, workerId?: string) {
  getRun(panel, runId);
  const where = workerId ? and(eq(t.merges.runId, runId), eq(t.merges.workerId, workerId)) : eq(t.merges.runId, runId);
  return panel.db.select().from(t.merges).where(where).orderBy(desc(t.merges.createdAt), desc(t.merges.id)).all();
}

// ---------------------------------------------------------------------------------------------
// workers.discardPreview / workers.discard / workers.cleanup

export interface DiscardPreview {
  runId: string;
  workerId: string;
  worktreePath: string;
  worktreeExists: boolean;
  branch: string;
  branchExists: boolean;
  baseCommit: string;
  headCommit: string;
  /** Commits base..head on the worker branch, and the newest ones (up to 50). */
  commits: number;
  commitList: CommitSummary[];
  /** Files with uncommitted changes in the worktree (up to 200 listed). */
  uncommittedFiles: number;
  uncommittedPaths: string[];
  /** What discarding with this deleteBranch would lose for good (commits only when the branch is deleted). */
  wouldLose: { commits: number; uncommittedFiles: number };
  deleteBranch: boolean;
  merged?: WorkerMergeInfo;
  workerStatus: string;
  canDiscard: boolean;
  reasons: string[];
}

async function buildDiscardPreview(ctx: WorkerContext, deleteBranch: boolean): Promise<DiscardPreview> {
  const { repo, worker, base } = ctx;
  const head = await resolveHead(ctx);
  const ref = workerBranchRef(ctx);
  const [commits, commitList, dirty, branchExists] = await Promise.all([
    countCommits(repo, base, head.head),
    commitsBetween(repo, base, head.head, { limit: 50 }),
    uncommittedPaths(head.worktree),
    ref ? gitBuffer(repo, ["rev-parse", "--verify", "--quiet", "--end-of-options", ref]).then((r) => r.code === 0) : Promise.resolve(false),
  ]);
  const reasons: string[] = [];
  if (ACTIVE.has(worker.status)) reasons.push(`${worker.label} is ${worker.status}: stop the run first`);
  return {
    runId: ctx.run.id,
    workerId: worker.id,
    worktreePath: worker.worktreePath,
    worktreeExists: head.worktree !== undefined,
    branch: worker.worktreeBranch,
    branchExists,
    baseCommit: base,
    headCommit: head.head,
    commits,
    commitList: commitList.reverse(),
    uncommittedFiles: dirty.length,
    uncommittedPaths: dirty.slice(0, 200),
    wouldLose: { commits: deleteBranch && branchExists ? commits : 0, uncommittedFiles: dirty.length },
    deleteBranch,
    ...(worker.merged ? { merged: worker.merged } : {}),
    workerStatus: worker.status,
    canDiscard: reasons.length === 0,
    reasons,
  };
}

export async function discardPreview(panel: Panel, input: z.infer<typeof discardPreviewInputSchema>): Promise<DiscardPreview> {
  return buildDiscardPreview(loadWorker(panel, input.runId, input.workerId), input.deleteBranch === true);
}

/** Remove the worker's worktree folder, forcefully, only when it is a linked worktree of this repo inside the run directory. */
async function forceRemoveWorktree(ctx: WorkerContext): Promise<void> {
  const { repo, worker, run } = ctx;
  const path = resolve(worker.worktreePath);
  const inside = (dir: string) => {
    const rel = relative(resolve(dir), path);
    return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) && !rel.split(sep).includes("..");
  };
  if (!inside(run.worktreeDirectory)) {
    throw new PanelError("PRECONDITION_FAILED", `the worktree path ${path} is outside the run's worktrees folder; remove it by hand`);
  }
  const entries = await listWorktrees(repo);
  const registered = entries.slice(1).find((e) => resolve(e.path) === path);
  if (registered) {
    const r = await gitBuffer(repo, ["worktree", "remove", "--force", "--force", path]);
    if (r.code !== 0) throw new PanelError("PRECONDITION_FAILED", `git could not remove the worktree: ${r.stderr.trim().split("\n")[0] ?? ""}`);
  } else if (existsSync(path)) {
    await rm(path, { recursive: true, force: true });
  }
  await gitBuffer(repo, ["worktree", "prune"]);
}

/** Refuse up front (nothing changed yet) when the branch cannot be deleted after the worktree is gone. */
async function assertBranchDeletable(ctx: WorkerContext): Promise<void> {
  if (!workerBranchRef(ctx) || ctx.worker.worktreeBranch !== branchFor(ctx.run.id, ctx.worker.id)) {
    throw new PanelError("PRECONDITION_FAILED", `${ctx.worker.worktreeBranch} is not this worker's panel branch; the panel only deletes its own branches`);
  }
  const elsewhere = await checkoutOf(ctx.repo, ctx.worker.worktreeBranch);
  if (elsewhere && resolve(elsewhere) !== resolve(ctx.worker.worktreePath)) {
    throw new PanelError("PRECONDITION_FAILED", `${ctx.worker.worktreeBranch} is checked out at ${elsewhere}: switch that checkout to another branch first; nothing was changed`);
  }
}

async function deleteWorkerBranch(ctx: WorkerContext): Promise<boolean> {
  const ref = workerBranchRef(ctx);
  if (!ref || ctx.worker.worktreeBranch !== branchFor(ctx.run.id, ctx.worker.id)) {
    throw new PanelError("PRECONDITION_FAILED", `${ctx.worker.worktreeBranch} is not this worker's panel branch; the panel only deletes its own branches`);
  }
  const exists = await gitBuffer(ctx.repo, ["rev-parse", "--verify", "--quiet", "--end-of-options", ref]);
  if (exists.code !== 0) return false;
  const r = await gitBuffer(ctx.repo, ["branch", "-D", ctx.worker.worktreeBranch]);
  if (r.code !== 0) throw new PanelError("PRECONDITION_FAILED", `git could not delete ${ctx.worker.worktreeBranch}: ${r.stderr.trim().split("\n")[0] ?? ""}`);
  return true;
}

export interface DiscardOutcome {
  discarded: boolean;
  /** What was (or, without confirm, would be) lost. */
  preview: DiscardPreview;
  branchDeleted: boolean;
  worker: PanelWorker;
}

export async function discardWorker(panel: Panel, input: DiscardInput): Promise<DiscardOutcome> {
  const deleteBranch = input.deleteBranch === true;
  if (!input.confirm) {
    const ctx = loadWorker(panel, input.runId, input.workerId);
    return { discarded: false, preview: await buildDiscardPreview(ctx, deleteBranch), branchDeleted: false, worker: ctx.worker };
  }
  return panel.locks.run(input.runId, async () => {
    const ctx = loadWorker(panel, input.runId, input.workerId);
    const preview = await buildDiscardPreview(ctx, deleteBranch);
    if (!preview.canDiscard) throw new PanelError("CONFLICT", `${preview.reasons.join("; ")}; nothing was discarded`);
    if (deleteBranch) await assertBranchDeletable(ctx);
    await forceRemoveWorktree(ctx);
    const branchDeleted = deleteBranch ? await deleteWorkerBranch(ctx) : false;
    const w = writerFor(panel, ctx.run.id);
    const next = await w.apply((run) => workerDiscarded(run, ctx.worker.id, { branchDeleted, commits: preview.wouldLose.commits, uncommittedFiles: preview.uncommittedFiles }, nowIso()));
    return { discarded: true, preview, branchDeleted, worker: next.workers.find((x) => x.id === ctx.worker.id)! };
  });
}

export interface CleanupOutcome {
  removed: boolean;
  branchDeleted: boolean;
  worker: PanelWorker;
}

/** After a merge: remove the worktree when it has nothing uncommitted; delete the branch only on request, and only when merged. */
export async function cleanupWorker(panel: Panel, input: CleanupInput): Promise<CleanupOutcome> {
  return panel.locks.run(input.runId, async () => {
    const ctx = loadWorker(panel, input.runId, input.workerId);
    const { worker } = ctx;
    if (ACTIVE.has(worker.status)) throw new PanelError("CONFLICT", `${worker.label} is ${worker.status}: stop the run first`);
    let head: WorkerHead | undefined;
    if (input.deleteBranch) {
      head = await resolveHead(ctx);
      if (!worker.merged) {
        const n = await countCommits(ctx.repo, ctx.base, head.head);
        throw new PanelError("PRECONDITION_FAILED", `${worker.label} was not merged; deleting its branch would lose ${n} commit(s): merge it first, or use workers.discard with confirm`);
      }
      if (head.head !== worker.merged.workerHead) {
        const n = await countCommits(ctx.repo, worker.merged.workerHead, head.head);
        throw new PanelError("PRECONDITION_FAILED", `${worker.label} has ${n} commit(s) after the merged ${worker.merged.workerHead.slice(0, 12)}; deleting its branch would lose them: merge again, or use workers.discard with confirm`);
      }
    }
    if (!isAbsolute(worker.worktreePath)) throw new PanelError("PRECONDITION_FAILED", "the worker's worktree path is not absolute; the run record may be damaged");
    if (input.deleteBranch) await assertBranchDeletable(ctx);
    const r = await removeWorktreeIfClean(ctx.repo, worker.worktreePath);
    if (!r.removed) {
      throw new PanelError("PRECONDITION_FAILED", `the worktree was kept: ${r.reason ?? "removal failed"} (workers.discard removes it with its uncommitted changes)`);
    }
    const branchDeleted = input.deleteBranch ? await deleteWorkerBranch(ctx) : false;
    const w = writerFor(panel, ctx.run.id);
    const next = await w.apply((run) => workerCleanedUp(run, worker.id, { branchDeleted }, nowIso()));
    return { removed: true, branchDeleted, worker: next.workers.find((x) => x.id === worker.id)! };
  });
}

// ---------------------------------------------------------------------------------------------
// runs.overlap

export interface OverlapWorker {
  workerId: string;
  role: string;
  label: string;
  baseCommit: string;
  headCommit: string;
  files: number;
  additions: number;
  deletions: number;
  merged: boolean;
  /** Workers whose changes do not merge cleanly with this one's. */
  conflictsWith: string[];
}

export interface OverlapPair {
  a: string;
  b: string;
  /** Files both changed (by base path), with the pairs of changed ranges that touch or overlap in the base file. */
  sharedFiles: { path: string; overlaps: { a: OldRange; b: OldRange }[] }[];
  overlappingHunks: number;
  /** The two workers' changes merge cleanly together (git merge-tree of both heads over a's… b's base). */
  clean: boolean;
  conflicts: string[];
}

export interface RunOverlap {
  runId: string;
  workers: OverlapWorker[];
  /** Files changed by two or more workers. */
  files: { path: string; workers: string[] }[];
  pairs: OverlapPair[];
  /** Unmerged workers in the order to merge them: fewest conflicting partners, then fewest overlapping hunks, then smallest change. */
  suggestedOrder: string[];
  /** Workers left out (not provisioned, or no changes). */
  skipped: { workerId: string; reason: string }[];
}

export const OVERLAP_CONCURRENCY = 4;

export async function runOverlap(panel: Panel, runId: string): Promise<RunOverlap> {
  const run = getRun(panel, runId);
  const skipped: RunOverlap["skipped"] = [];
  type Entry = { ctx: WorkerContext; head: string; files: DiffFile[]; ranges: Map<string, OldRange[]> };
  const loaded = await mapBounded(run.workers, OVERLAP_CONCURRENCY, async (w): Promise<Entry | undefined> => {
    if (!w.baseCommit || !COMMIT_ID.test(w.baseCommit)) {
      skipped.push({ workerId: w.id, reason: "not provisioned yet" });
      return undefined;
    }
    const ctx: WorkerContext = { run, worker: w, repo: run.workingDirectory, base: w.baseCommit };
    const head = await resolveHead(ctx).catch(() => undefined);
    if (!head) {
      skipped.push({ workerId: w.id, reason: "its commits are gone" });
      return undefined;
    }
    const [files, ranges] = await Promise.all([diffFiles(ctx.repo, ctx.base, head.head), changedRanges(ctx.repo, ctx.base, head.head)]);
    if (files.length === 0) {
      skipped.push({ workerId: w.id, reason: "no committed changes" });
      return undefined;
    }
    return { ctx, head: head.head, files, ranges };
  });
  const entries = loaded.filter((e): e is Entry => e !== undefined);
  const basePathsOf = (e: Entry) => new Set(e.files.map((f) => f.oldPath ?? f.path));
  const byFile = new Map<string, string[]>();
  for (const e of entries) for (const p of basePathsOf(e)) byFile.set(p, [...(byFile.get(p) ?? []), e.ctx.worker.id]);

  const pairInputs: [Entry, Entry][] = [];
  for (let i = 0; i < entries.length; i++) for (let j = i + 1; j < entries.length; j++) pairInputs.push([entries[i]!, entries[j]!]);
  const pairs = await mapBounded(pairInputs, OVERLAP_CONCURRENCY, async ([a, b]): Promise<OverlapPair> => {
    const bPaths = basePathsOf(b);
    const sharedFiles = [...basePathsOf(a)].filter((p) => bPaths.has(p)).sort().map((path) => {
      const ra = a.ranges.get(path) ?? [];
      const rb = b.ranges.get(path) ?? [];
      const overlaps: { a: OldRange; b: OldRange }[] = [];
      for (const x of ra) for (const y of rb) if (rangesOverlap(x, y)) overlaps.push({ a: x, b: y });
      // a binary or whole-file change (no ranges) on both sides counts as one overlap
      if (ra.length === 0 && rb.length === 0) overlaps.push({ a: { start: 0, lines: 0 }, b: { start: 0, lines: 0 } });
      return { path, overlaps };
    });
    const merge = await mergeTrees(a.ctx.repo, { base: b.ctx.base, ours: a.head, theirs: b.head });
    return {
      a: a.ctx.worker.id,
      b: b.ctx.worker.id,
      sharedFiles,
      overlappingHunks: sharedFiles.reduce((n, f) => n + f.overlaps.length, 0),
      clean: merge.clean,
      conflicts: merge.conflicts.map((c) => c.path),
    };
  });
  const workers: OverlapWorker[] = entries.map((e) => {
    const id = e.ctx.worker.id;
    const totals = totalsOf(e.files);
    return {
      workerId: id,
      role: e.ctx.worker.role,
      label: e.ctx.worker.label,
      baseCommit: e.ctx.base,
      headCommit: e.head,
      files: totals.files,
      additions: totals.additions,
      deletions: totals.deletions,
      merged: e.ctx.worker.merged !== undefined,
      conflictsWith: pairs.filter((p) => !p.clean && (p.a === id || p.b === id)).map((p) => (p.a === id ? p.b : p.a)),
    };
  });
  const overlapCount = (id: string) => pairs.filter((p) => p.a === id || p.b === id).reduce((n, p) => n + p.overlappingHunks, 0);
  const suggestedOrder = workers
    .filter((w) => !w.merged)
    .sort((x, y) =>
      x.conflictsWith.length - y.conflictsWith.length ||
      overlapCount(x.workerId) - overlapCount(y.workerId) ||
      x.additions + x.deletions - (y.additions + y.deletions) ||
      x.workerId.localeCompare(y.workerId))
    .map((w) => w.workerId);
  return {
    runId: run.id,
    workers,
    files: [...byFile].filter(([, ws]) => ws.length > 1).map(([path, ws]) => ({ path, workers: ws })).sort((a, b) => a.path.localeCompare(b.path)),
    pairs,
    suggestedOrder,
    skipped: run.workers.flatMap((w) => skipped.filter((x) => x.workerId === w.id)),
  };
}
