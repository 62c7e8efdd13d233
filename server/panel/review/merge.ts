/**
 * workers.merge (ARCHITECTURE.md §7): build the merge commit(s) with commit-tree from the
 * preview's merged tree, then move the target — `merge --ff-only` in its checkout (git refuses
 * rather than overwrite local changes or ignored files) or a compare-and-swap `update-ref` — and
 * record the merge through the door. Refused, with nothing changed, when the target or the
 * worker moved since the preview the user saw.
 */
import { and, desc, eq } from "drizzle-orm";
import * as t from "../../../db/schema";
import { COMMIT_ID, commitsBetween, gitBuffer, gitText } from "../../bridge/diff";
import { commitTree, mergeTrees, treeOf } from "../../bridge/merge";
import { PanelError } from "../../core/errors";
import { createId } from "../../core/ids";
import type { PanelRun, PanelWorker } from "../../core/records";
import { changeRun, type RunDoor } from "../door";
import { workerMerged } from "../machine-review";
import type { Panel } from "../panel";
import { getRun } from "../runs/queries";
import { ACTIVE, loadWorker, nowIso } from "./context";
import { buildPreview } from "./preview";
import { interruptedMerges } from "./health";
import { moveTargetJournaled } from "./move-target";
import { mergeBlockers } from "../../bridge/repo-state";
import type { MergeInput } from "./schemas";

export interface MergeOutcome {
  /** The worker's change was on the target already (merged earlier): nothing was done now. */
  alreadyMerged?: boolean;
  /** What happened, in words. */
  message?: string;
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

export function identityError(error: unknown): PanelError | undefined {
  const msg = (error as Error).message ?? "";
  if (/tell me who you are|empty ident|unable to auto-detect|name consists only of disallowed/i.test(msg)) {
    return new PanelError("PRECONDITION_FAILED", "git needs your name and email to create the merge commit: run git config user.name \"…\" and git config user.email \"…\" in the repository, then merge again");
  }
  return undefined;
}

/** Replay base..head one commit at a time onto `onto`, keeping each commit's author and message. */
export async function replayCommits(repo: string, base: string, head: string, onto: string): Promise<string[]> {
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
  return changeRun(panel, input.runId, async (door) => {
    const ctx = await loadWorker(panel, input.runId, input.workerId);
    const { repo, worker } = ctx;
    if (ACTIVE.has(worker.status)) {
      throw new PanelError("CONFLICT", `${worker.label} is ${worker.status}: wait for its result (or stop the run), then merge`);
    }
    if (strategy === "commits" && worker.runtimeLayout !== "panel") {
      throw new PanelError("BAD_REQUEST", `${worker.label} was run by the LongTable CLI, whose one commit mixes the worker's change with the leader edits it carried in: use the squash strategy, which lands only the worker's own change`);
    }
    if (strategy === "commits" && input.message !== undefined) {
      throw new PanelError("BAD_REQUEST", "message applies to squash merges only; the commits strategy keeps each commit's own message");
    }
    const interrupted = interruptedMerges(panel, ctx.run.repoId);
    if (interrupted.length > 0) {
      const m = interrupted[0]!;
      throw new PanelError("PRECONDITION_FAILED", `the merge of ${m.workerId} (run ${m.runId}) into ${m.target} was interrupted and is not recovered yet: nothing was changed — use Recover on the Runs page (or restart the panel), then merge`);
    }
    const preview = await buildPreview(ctx, input.target);
    if (input.expectedTargetCommit && input.expectedTargetCommit !== preview.targetCommit) {
      throw new PanelError("CONFLICT", `${preview.target} moved since the preview (now ${preview.targetCommit.slice(0, 12)}, previewed ${input.expectedTargetCommit.slice(0, 12)}): nothing was changed — preview again and merge`);
    }
    if (input.expectedHeadCommit && input.expectedHeadCommit !== preview.headCommit) {
      throw new PanelError("CONFLICT", `${worker.label}'s branch moved since you reviewed it (now ${preview.headCommit.slice(0, 12)}, reviewed ${input.expectedHeadCommit.slice(0, 12)}): nothing was changed — review the new changes, then merge`);
    }
    if (preview.checkout && preview.checkout.ignoredFiles.length > 0) {
      throw new PanelError("PRECONDITION_FAILED", `merge refused: it would overwrite ${preview.checkout.ignoredFiles.length} ignored file(s) in ${preview.checkout.path} (${preview.checkout.ignoredFiles.slice(0, 5).join(", ")}); nothing was changed — move them aside or remove them from the worker branch, then merge`);
    }
    if (!preview.clean) {
      const list = preview.conflicts.map((c) => c.path);
      throw new PanelError("CONFLICT", `merge refused: ${list.length} file(s) conflict with ${preview.target} (${list.slice(0, 10).join(", ")}${list.length > 10 ? ", …" : ""}); nothing was changed — see workers.mergePreview for the conflicts, merge other workers first or resolve them in the worker branch`);
    }
    if (preview.upToDate) {
      // Merged before (perhaps just before a crash, before the record caught up)? Then say so.
      const earlier = await findMergeOf(repo, preview.targetCommit, ctx.run, worker.id, preview.headCommit);
      if (!earlier) throw new PanelError("PRECONDITION_FAILED", `nothing to merge: ${preview.target} already has ${worker.label}'s changes`);
      return alreadyMerged(door, worker, preview.target, preview.headCommit, earlier);
    }
    const blockers = await mergeBlockers(repo, preview.target, preview.checkout?.path);
    if (blockers.length > 0) throw new PanelError("PRECONDITION_FAILED", `merge refused, nothing was changed: ${blockers.join("; ")}`);
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
    const out = await moveTargetJournaled(door, {
      repo, workerId: worker.id, target: preview.target, strategy, oldCommit: preview.targetCommit, commits: created, workerHead: preview.headCommit,
      ...(preview.checkout ? { checkout: preview.checkout.path } : {}), reflogMessage: `longtable-panel: merge ${worker.id} of ${ctx.run.id} (${strategy})`,
    });
    if (!out.ok) {
      if (out.moved.reason === "moved") {
        throw new PanelError("CONFLICT", `${out.moved.message}: nothing was changed — preview again and merge`);
      }
      throw new PanelError("PRECONDITION_FAILED", `git refused to update ${preview.target} in ${out.moved.checkout}: ${out.moved.message} — nothing was changed; commit or stash the local changes to those files, then merge again`);
    }
    const { mergeId, moved, run: next } = out;
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

/**
 * A squash commit on the target that merged this worker head of this run (its trailers say so),
 * since the run was created. Undefined when there is none.
 */
async function findMergeOf(repo: string, target: string, run: PanelRun, workerId: string, head: string): Promise<{ commit: string; parent: string } | undefined> {
  const recorded = run.merges?.filter((m) => m.workerId === workerId && m.workerHead === head).at(-1);
  if (recorded && (await gitBuffer(repo, ["merge-base", "--is-ancestor", recorded.commit, target])).code === 0) {
    return { commit: recorded.commit, parent: recorded.previousCommit };
  }
  const r = await gitBuffer(repo, [
    "log", "-n", "1", "--format=%H %P", "--fixed-strings", "--all-match", `--since=${run.createdAt}`,
    `--grep=LongTable-Run: ${run.id}`, `--grep=LongTable-Worker: ${workerId}`, `--grep=LongTable-Head: ${head}`, target, "--",
  ]);
  const [commit, parent] = r.stdout.toString("utf8").trim().split(" ");
  return r.code === 0 && commit && parent && COMMIT_ID.test(commit) ? { commit, parent } : undefined;
}

/** The no-op of merging a worker that was merged already: recorded now if the record had not caught up. */
async function alreadyMerged(door: RunDoor, worker: PanelWorker, target: string, head: string, earlier: { commit: string; parent: string }): Promise<MergeOutcome> {
  const known = door.current.merges?.find((m) => m.workerId === worker.id && m.commit === earlier.commit);
  const mergeId = known?.id ?? createId("merge");
  const next = known ? door.current : await door.apply((run) => workerMerged(run, worker.id, { id: mergeId, commit: earlier.commit, target, previousCommit: earlier.parent, strategy: "squash", workerHead: head }, nowIso()));
  return {
    alreadyMerged: true,
    message: `${worker.label}'s change is already on ${target} (merged as ${earlier.commit.slice(0, 12)}); nothing was done`,
    mergeId, commit: earlier.commit, target, previousCommit: earlier.parent, strategy: known?.strategy ?? "squash", commits: [earlier.commit],
    movedBy: "update-ref", checkout: null, workerHead: head, worker: next.workers.find((x) => x.id === worker.id)!,
  };
}

/** Every recorded merge of a run (newest first), optionally of one worker. */
export function listMerges(panel: Panel, runId: string, workerId?: string) {
  const run = getRun(panel, runId);
  if (workerId !== undefined && !run.workers.some((w) => w.id === workerId)) {
    throw new PanelError("NOT_FOUND", `run ${runId} has no worker ${workerId}: see runs.get for its workers`);
  }
  const where = workerId ? and(eq(t.merges.runId, runId), eq(t.merges.workerId, workerId)) : eq(t.merges.runId, runId);
  return panel.db.select().from(t.merges).where(where).orderBy(desc(t.merges.createdAt), desc(t.merges.id)).all();
}

