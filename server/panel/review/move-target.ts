/**
 * Moving a target branch to a merge's new commit, crash-safely (ARCHITECTURE.md §7 "Crash
 * safety"): the merge journal first (run.json, synced), then `moveBranch` (`merge --ff-only` in
 * the checkout that has the target, or a compare-and-swap `update-ref`), then the merge record —
 * or, when git refused, the journal entry goes and nothing changed. A single merge
 * (review/merge.ts) and the merge queue (queue/runner.ts) move targets only through here, so a
 * crash at any step is recovered the same way (review/recover.ts).
 */
import { changedPaths } from "../../bridge/diff";
import { moveBranch, type MoveOutcome } from "../../bridge/merge";
import { createId } from "../../core/ids";
import { failpoint } from "../../core/failpoint";
import type { MergeIntent, PanelRun } from "../../core/records";
import type { RunDoor } from "../door";
import type { Transition } from "../machine";
import { mergeAbandoned, mergeStarted, workerMerged } from "../machine-review";
import { nowIso } from "./context";
import { newDirsFor } from "./recover";

export interface TargetMove {
  repo: string;
  workerId: string;
  target: string;
  strategy: "squash" | "commits";
  oldCommit: string;
  /** Every commit the merge made, oldest first; the target moves to the last. */
  commits: string[];
  workerHead: string;
  /** Where the target is checked out (git says), if anywhere. */
  checkout?: string;
  /** `checkout` was read under this lock just now: the move need not ask git again. */
  checkoutJustRead?: boolean;
  reflogMessage: string;
  /** More to record in the same commit as the merge (the queue item's state). */
  also?: (run: PanelRun, mergeId: string) => Transition;
}

export type TargetMoveOutcome =
  | { ok: true; mergeId: string; moved: Extract<MoveOutcome, { ok: true }>; run: PanelRun }
  | { ok: false; moved: Extract<MoveOutcome, { ok: false }> };

/** Journal, move, record. Call under the run's lock (the door), with nothing in the journal. */
export async function moveTargetJournaled(door: RunDoor, m: TargetMove): Promise<TargetMoveOutcome> {
  const commit = m.commits[m.commits.length - 1]!;
  failpoint("merge:before-journal");
  // The journal first, synced to the disk: a crash from here on is recovered at the next start
  // (review/recover.ts) to exactly "before" or exactly "merged".
  const mergeId = createId("merge");
  const intent: MergeIntent = {
    id: mergeId, workerId: m.workerId, target: m.target, strategy: m.strategy, oldCommit: m.oldCommit, newCommit: commit, commits: m.commits,
    workerHead: m.workerHead, movedBy: m.checkout ? "checkout" : "update-ref", ...(m.checkout ? { checkout: m.checkout } : {}),
    paths: [], startedAt: nowIso(),
  };
  if (m.checkout) {
    intent.paths = [...(await changedPaths(m.repo, m.oldCommit, commit))].sort();
    intent.newDirs = newDirsFor(m.checkout, intent.paths);
  }
  await door.apply((run) => mergeStarted(run, intent), undefined, { durable: true });
  failpoint("merge:journal-written");
  const moved = await moveBranch(m.repo, m.target, commit, m.oldCommit, m.reflogMessage, m.checkoutJustRead ? { checkout: m.checkout } : undefined);
  if (!moved.ok) {
    await door.apply((run) => mergeAbandoned(run, mergeId, nowIso()));
    return { ok: false, moved };
  }
  failpoint("merge:ref-moved");
  const at = nowIso();
  const run = await door.apply((r) => {
    const merged = workerMerged(r, m.workerId, { id: mergeId, commit, target: m.target, previousCommit: m.oldCommit, strategy: m.strategy, workerHead: m.workerHead }, at);
    if (!m.also) return merged;
    const more = m.also(merged.run, mergeId);
    return { run: more.run, events: [...merged.events, ...more.events] };
  });
  return { ok: true, mergeId, moved, run };
}
