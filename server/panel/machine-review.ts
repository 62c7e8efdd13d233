/**
 * Pure transitions after a worker's turn (ARCHITECTURE.md §2): the user's decision on a run, and
 * what review does to a worker — merged, discarded, cleaned up, a follow-up turn started. Like
 * machine.ts: records in, records and events out; no disk, git, tmux or database.
 */
import type { Decision, MergeIntent, PanelRun, PanelWorker, WorkerRuntime } from "../core/records";
import { appendDiagnostic, makeEvent, settle, withWorker, type Transition } from "./machine";

export function decisionRecorded(run: PanelRun, decision: Decision): Transition {
  return {
    run: { ...run, decisions: [...(run.decisions ?? []), decision], updatedAt: decision.createdAt },
    events: [makeEvent("decision_recorded", `Decision: ${decision.answer}${decision.note ? ` — ${decision.note.split("\n")[0]!.slice(0, 200)}` : ""}`, decision.createdAt)],
  };
}

export interface MergedInfo {
  id: string;
  commit: string;
  target: string;
  previousCommit: string;
  strategy: "squash" | "commits";
  /** The worker HEAD that was merged. */
  workerHead: string;
}

/** The worker's changes were merged into `target` as `commit` (recorded in run.merges). The worker's status is unchanged. */
export function workerMerged(run: PanelRun, workerId: string, info: MergedInfo, now: string): Transition {
  const { id, ...merge } = info;
  const next = withWorker(run, workerId, (w) => ({
    merged: { ...merge, at: now },
    diagnostics: appendDiagnostic(w.diagnostics, `Merged into ${info.target} as ${info.commit.slice(0, 12)} (${info.strategy}).`),
  }), now);
  const w = next.workers.find((x) => x.id === workerId)!;
  const record = { id, workerId, strategy: info.strategy, target: info.target, previousCommit: info.previousCommit, commit: info.commit, workerHead: info.workerHead, createdAt: now };
  const { mergeJournal: _done, ...rest } = next;
  return {
    run: { ...rest, merges: [...(run.merges ?? []), record], updatedAt: now },
    events: [makeEvent("worker_merged", `${w.label}: merged into ${info.target} as ${info.commit.slice(0, 12)} (${info.strategy}; ${info.target} was ${info.previousCommit.slice(0, 12)}).`, now, { workerId })],
  };
}

export interface DiscardedInfo {
  branchDeleted: boolean;
  commits: number;
  uncommittedFiles: number;
}

/** The user discarded the worker's worktree (and maybe its branch): cleanupStatus removed. */
export function workerDiscarded(run: PanelRun, workerId: string, info: DiscardedInfo, now: string): Transition {
  const next = withWorker(run, workerId, (w) => ({
    cleanupStatus: "removed",
    discarded: { ...info, at: now },
    diagnostics: appendDiagnostic(w.diagnostics, `Discarded by the user: worktree removed${info.branchDeleted ? ", branch deleted" : ", branch kept"}.`),
  }), now);
  const w = next.workers.find((x) => x.id === workerId)!;
  const lost = `${info.commits} commit(s)${info.branchDeleted ? "" : " kept on the branch"}, ${info.uncommittedFiles} uncommitted file(s) dropped`;
  return {
    run: { ...next, updatedAt: now },
    events: [makeEvent("worker_discarded", `${w.label}: discarded (${lost})${info.branchDeleted ? `; branch ${w.worktreeBranch} deleted` : ""}.`, now, { workerId, path: w.worktreePath })],
  };
}

/** After a merge: the clean worktree was removed (and maybe the branch). */
export function workerCleanedUp(run: PanelRun, workerId: string, info: { branchDeleted: boolean }, now: string): Transition {
  const next = withWorker(run, workerId, (w) => ({
    cleanupStatus: "removed",
    diagnostics: appendDiagnostic(w.diagnostics, `Worktree removed after review${info.branchDeleted ? "; branch deleted" : "; branch kept"}.`),
  }), now);
  const w = next.workers.find((x) => x.id === workerId)!;
  return {
    run: { ...next, updatedAt: now },
    events: [makeEvent("worker_cleaned_up", `${w.label}: worktree removed${info.branchDeleted ? ` and branch ${w.worktreeBranch} deleted` : `; branch ${w.worktreeBranch} kept`}.`, now, { workerId, path: w.worktreePath })],
  };
}

/** Pure: the worker starts a follow-up attempt. */
export function followUpStarted(run: PanelRun, workerId: string, runtime: WorkerRuntime, message: string, now: string): Transition {
  let found: PanelWorker | undefined;
  const workers = run.workers.map((w) => {
    if (w.id !== workerId) return w;
    found = w;
    return {
      ...w,
      status: "running" as const,
      executionState: "running" as const,
      paneId: undefined,
      runtime,
      previousCommit: w.worktreeCommit,
      attempt: (w.attempt ?? 1) + 1,
      startedAt: now,
      completedAt: undefined,
      error: undefined,
      failureReason: undefined,
      updatedAt: now,
      diagnostics: appendDiagnostic(w.diagnostics, "Follow-up requested: the agent resumes its thread with the feedback."),
    };
  });
  if (!found) throw new Error(`run ${run.id} has no worker ${workerId}`);
  const first = message.split("\n")[0]!.slice(0, 200);
  return { run: settle({ ...run, workers }, now), events: [makeEvent("followup_requested", `Changes requested from ${found.label}: ${first}`, now, { workerId, path: found.mailboxPath })] };
}

/** The merge journal: what a merge is about to do, recorded before any ref or working tree changes. */
export function mergeStarted(run: PanelRun, intent: MergeIntent): Transition {
  if (run.mergeJournal) throw new Error(`run ${run.id} has a merge under way already (${run.mergeJournal.id})`);
  return { run: { ...run, mergeJournal: intent, updatedAt: intent.startedAt }, events: [] };
}

/** A merge that changed nothing after all (git refused, the target moved): the journal entry goes. */
export function mergeAbandoned(run: PanelRun, id: string, now: string): Transition {
  if (run.mergeJournal?.id !== id) return { run, events: [] };
  const { mergeJournal: _gone, ...rest } = run;
  return { run: { ...rest, updatedAt: now }, events: [] };
}

/** Recovery after an interrupted merge that did not move the target: the journal goes, with what was done, in words. */
export function mergeRolledBack(run: PanelRun, id: string, message: string, now: string): Transition {
  const intent = run.mergeJournal;
  if (intent?.id !== id) return { run, events: [] };
  const { mergeJournal: _gone, ...rest } = run;
  return { run: { ...rest, updatedAt: now }, events: [makeEvent("merge_recovered", message, now, { workerId: intent.workerId })] };
}
