/**
 * workers.discardPreview / workers.discard / workers.cleanup (ARCHITECTURE.md §7): removing a
 * worker's worktree (and maybe its branch). The preview counts everything that would be lost —
 * commits (with the branch), uncommitted files, and ignored files (built outputs, data) — and a
 * discard happens only with `confirm`. Cleanup after a merge removes only a worktree that holds
 * nothing else.
 */
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { z } from "zod";
import { commitsBetween, countCommits, gitBuffer, type CommitSummary } from "../../bridge/diff";
import { checkoutOf } from "../../bridge/merge";
import { ignoredPaths } from "../../bridge/status";
import { listWorktrees, removalProblem, removeWorktree, removeWorktreeIfClean, type RemoveResult } from "../../bridge/worktree";
import { PanelError } from "../../core/errors";
import { branchFor } from "../../core/ids";
import type { PanelWorker, WorkerMergeInfo } from "../../core/records";
import { launchIgnored } from "../config/ignored";
import { teardownThroughDoor } from "../config/teardown";
import { changeRun } from "../door";
import { workerCleanedUp, workerDiscarded } from "../machine-review";
import { chain, portsReleased } from "../machine-setup";
import type { Panel } from "../panel";
import { transportFor } from "../transports";
import { ACTIVE, loadWorker, nowIso, resolveHead, workerBranchRef, type WorkerContext, type WorkerHead } from "./context";
import { uncommittedPaths } from "./preview";
import type { CleanupInput, DiscardInput, discardPreviewInputSchema } from "./schemas";

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
  /**
   * Ignored files and folders in the worktree that only it has (folders counted once, as `dir/`;
   * up to 200 listed): an agent's outputs. What the launches made — files copied from the leader,
   * what setup added (ARCHITECTURE.md §10) — is counted apart, in `launchMadeFiles`: a launch
   * makes it again, so it is no loss.
   */
  ignoredFiles: number;
  ignoredPaths: string[];
  launchMadeFiles: number;
  /** What discarding with this deleteBranch would lose for good (commits only when the branch is deleted). */
  wouldLose: { commits: number; uncommittedFiles: number; ignoredFiles: number };
  deleteBranch: boolean;
  merged?: WorkerMergeInfo;
  workerStatus: string;
  canDiscard: boolean;
  reasons: string[];
}

async function buildDiscardPreview(panel: Panel, ctx: WorkerContext, deleteBranch: boolean): Promise<DiscardPreview> {
  const { repo, worker, base } = ctx;
  const head = await resolveHead(ctx);
  const ref = workerBranchRef(ctx);
  // A worker on a host: its worktree is there (asked over SSH); its commits are here once fetched.
  const elsewhere = worker.host ? await transportFor(panel, worker).leftovers(ctx.run, worker) : undefined;
  const [commits, commitList, dirty, ignored, branchExists] = await Promise.all([
    countCommits(repo, base, head.head),
    commitsBetween(repo, base, head.head, { limit: 50 }),
    worker.host ? Promise.resolve(elsewhere?.uncommitted ?? []) : uncommittedPaths(head.worktree),
    worker.host ? Promise.resolve(elsewhere?.ignored ?? []) : head.worktree ? ignoredPaths(head.worktree.workTree, head.worktree) : Promise.resolve([] as string[]),
    ref ? gitBuffer(repo, ["rev-parse", "--verify", "--quiet", "--end-of-options", ref]).then((r) => r.code === 0) : Promise.resolve(false),
  ]);
  const made = worker.host ? new Set<string>() : launchIgnored(ctx.run, worker);
  const lost = ignored.filter((p) => !made.has(p));
  const reasons: string[] = [];
  if (ACTIVE.has(worker.status)) reasons.push(`${worker.label} is ${worker.status}: stop the run first`);
  return {
    runId: ctx.run.id,
    workerId: worker.id,
    worktreePath: worker.worktreePath,
    worktreeExists: worker.host ? elsewhere !== undefined : head.worktree !== undefined,
    branch: worker.worktreeBranch,
    branchExists,
    baseCommit: base,
    headCommit: head.head,
    commits,
    commitList: commitList.reverse(),
    uncommittedFiles: dirty.length,
    uncommittedPaths: dirty.slice(0, 200),
    ignoredFiles: lost.length,
    ignoredPaths: lost.slice(0, 200),
    launchMadeFiles: ignored.length - lost.length,
    wouldLose: { commits: deleteBranch && branchExists ? commits : 0, uncommittedFiles: dirty.length, ignoredFiles: lost.length },
    deleteBranch,
    ...(worker.merged ? { merged: worker.merged } : {}),
    workerStatus: worker.status,
    canDiscard: reasons.length === 0,
    reasons,
  };
}

export async function discardPreview(panel: Panel, input: z.infer<typeof discardPreviewInputSchema>): Promise<DiscardPreview> {
  return buildDiscardPreview(panel, await loadWorker(panel, input.runId, input.workerId), input.deleteBranch === true);
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
    const r = await removeWorktree(repo, path);
    if (!r.removed) throw new PanelError("PRECONDITION_FAILED", `git could not remove the worktree: ${r.reason ?? ""}`);
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
    const ctx = await loadWorker(panel, input.runId, input.workerId);
    return { discarded: false, preview: await buildDiscardPreview(panel, ctx, deleteBranch), branchDeleted: false, worker: ctx.worker };
  }
  return changeRun(panel, input.runId, async (door) => {
    const ctx = await loadWorker(panel, input.runId, input.workerId);
    const preview = await buildDiscardPreview(panel, ctx, deleteBranch);
    if (!preview.canDiscard) throw new PanelError("CONFLICT", `${preview.reasons.join("; ")}; nothing was discarded`);
    if (deleteBranch) await assertBranchDeletable(ctx);
    // The repo config's teardown (ARCHITECTURE.md §10): reported, never keeping a confirmed discard from happening.
    await teardownThroughDoor(panel, door, ctx.worker.id);
    if (ctx.worker.host) {
      const r = await transportFor(panel, ctx.worker).removeWorktree(ctx.run, ctx.worker, true);
      if (!r.removed) throw new PanelError("PRECONDITION_FAILED", `the worktree on host ${ctx.worker.host} could not be removed: ${r.reason ?? ""}`);
    } else await forceRemoveWorktree(ctx);
    const branchDeleted = deleteBranch ? await deleteWorkerBranch(ctx) : false;
    const next = await door.apply((run) =>
      chain(workerDiscarded(run, ctx.worker.id, { branchDeleted, commits: preview.wouldLose.commits, uncommittedFiles: preview.uncommittedFiles }, nowIso()), (r) => portsReleased(r, [ctx.worker.id], nowIso())));
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
  return changeRun(panel, input.runId, async (door) => {
    const ctx = await loadWorker(panel, input.runId, input.workerId);
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
    let r: RemoveResult;
    if (worker.host) {
      // On its host (the config's setup, copies and teardown are not used for workers there).
      r = await transportFor(panel, worker).removeWorktree(ctx.run, worker, false);
    } else {
      const reproducible = launchIgnored(ctx.run, worker);
      // Refuse before the teardown runs when the worktree holds work that removing it would lose.
      const kept = await removalProblem(ctx.repo, worker.worktreePath, { reproducible });
      if (kept) throw new PanelError("PRECONDITION_FAILED", `the worktree was kept: ${kept} (workers.discard removes it with its uncommitted changes)`);
      // The repo config's teardown (ARCHITECTURE.md §10): reported, never blocking the removal.
      await teardownThroughDoor(panel, door, worker.id);
      r = await removeWorktreeIfClean(ctx.repo, worker.worktreePath, { reproducible });
    }
    if (!r.removed) {
      throw new PanelError("PRECONDITION_FAILED", `the worktree was kept: ${r.reason ?? "removal failed"} (workers.discard removes it with its uncommitted changes)`);
    }
    const branchDeleted = input.deleteBranch ? await deleteWorkerBranch(ctx) : false;
    const next = await door.apply((run) => chain(workerCleanedUp(run, worker.id, { branchDeleted }, nowIso()), (x) => portsReleased(x, [worker.id], nowIso())));
    return { removed: true, branchDeleted, worker: next.workers.find((x) => x.id === worker.id)! };
  });
}

