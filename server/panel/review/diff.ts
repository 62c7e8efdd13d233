/**
 * workers.diff (ARCHITECTURE.md §7): a worker's changes, base..head plus (while it runs) its
 * worktree's uncommitted changes as a snapshot tree; one file's hunks with `path`.
 */
import { COMMIT_ID, RUNTIME_DIR, changedFiles, changedPaths, diffFiles, pathsDiffer, type DiffFile } from "../../bridge/diff";
import { filePatch, type FilePatch, type Hunk } from "../../bridge/hunks";
import { snapshotWorktree } from "../../bridge/snapshot";
import { treeOf } from "../../bridge/merge";
import { PanelError } from "../../core/errors";
import type { Panel } from "../panel";
import { FINISHED, loadWorker, resolveHead, resolveSince, type HeadSource } from "./context";
import type { DiffInput } from "./schemas";

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

export function totalsOf(files: readonly DiffFile[]): DiffTotals {
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
  const ctx = await loadWorker(panel, input.runId, input.workerId);
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

