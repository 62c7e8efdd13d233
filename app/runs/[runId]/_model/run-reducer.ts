/**
 * The pure half of a run's live state (the hook is ./run-stream.ts): what one lifecycle event does
 * to the cached run, a runs-list row, the merges and decisions lists; and which derived queries a
 * change of the cached run makes stale. Nothing here touches React or the network.
 */
import { eventData, isTerminalRun, type BusEvent, type EventData, type WorkerSnapshot } from "@/app/_lib/live";
import type { PanelWorker, RouterOutputs, RunSummary, RunView } from "@/app/_lib/types";

/** The worker fields an event's snapshot carries; a field missing from the snapshot was cleared. */
const SNAPSHOT_FIELDS = [
  "status", "executionState", "cleanupStatus", "worktreeCommit", "baseCommit", "paneId", "startedAt", "completedAt",
  "attempt", "failureReason", "error", "threadId", "usage", "merged", "discarded", "setup", "ports", "updatedAt",
] as const satisfies readonly (keyof WorkerSnapshot)[];

const same = (a: unknown, b: unknown) => a === b || JSON.stringify(a) === JSON.stringify(b);

function patchWorker(worker: PanelWorker, snap: WorkerSnapshot): PanelWorker {
  // An older snapshot (the backlog replaying after a fresher runs.get) never rolls a worker back.
  if (snap.updatedAt && worker.updatedAt && snap.updatedAt < worker.updatedAt) return worker;
  const s = snap as unknown as Record<string, unknown>;
  if (SNAPSHOT_FIELDS.every((key) => same(worker[key], s[key]))) return worker;
  const next: Record<string, unknown> = { ...worker };
  for (const key of SNAPSHOT_FIELDS) next[key] = s[key];
  return next as PanelWorker;
}

/**
 * Apply one lifecycle event to the cached run: the run's status fields and the workers the event
 * carries, by id. Returns the same object when nothing changed (a replayed or older event).
 */
export function applyEventToRun(run: RunView, e: BusEvent): RunView {
  if (e.runId !== run.id) return run;
  const data = eventData(e);
  if (!data) return run;
  let next = run;
  const r = data.run;
  if (r && (!r.updatedAt || !run.updatedAt || r.updatedAt >= run.updatedAt)) {
    const patch = {
      status: r.status as RunView["status"],
      bridgeStatus: r.bridgeStatus as RunView["bridgeStatus"],
      bridgeFailureReason: r.bridgeFailureReason,
      updatedAt: r.updatedAt ?? run.updatedAt,
      lastDecision: r.lastDecision ?? run.lastDecision ?? null,
    };
    if ((Object.keys(patch) as (keyof typeof patch)[]).some((k) => run[k] !== patch[k])) next = { ...run, ...patch };
  }
  if (data.workers.length > 0) {
    const byId = new Map(data.workers.map((w) => [w.id, w]));
    let changed = false;
    const workers = next.workers.map((w) => {
      const snap = byId.get(w.id);
      if (!snap) return w;
      const patched = patchWorker(w, snap);
      if (patched !== w) changed = true;
      return patched;
    });
    if (changed) next = { ...next, workers };
  }
  return next;
}

/** Apply one event to a runs-list row (status, bridge status, last decision). */
export function applyEventToSummary(row: RunSummary, e: BusEvent): RunSummary {
  if (row.id !== e.runId) return row;
  const data = eventData(e);
  if (!data?.run) return row;
  if (data.run.updatedAt && row.updatedAt && data.run.updatedAt < row.updatedAt) return row;
  return {
    ...row,
    status: data.run.status,
    bridgeStatus: data.run.bridgeStatus,
    updatedAt: data.run.updatedAt ?? row.updatedAt,
    lastDecision: data.run.lastDecision ?? row.lastDecision,
  };
}

export type MergeRow = RouterOutputs["runs"]["merges"][number];
export type DecisionRow = RouterOutputs["runs"]["decisions"][number];

/** A merge (worker_merged's data.merge) added to a merges list (newest first), once. */
export function withMerge(list: readonly MergeRow[], runId: string, merge: NonNullable<EventData["merge"]>): readonly MergeRow[] {
  if (list.some((m) => m.id === merge.id)) return list;
  const row: MergeRow = {
    id: merge.id, runId, workerId: merge.workerId, strategy: merge.strategy, target: merge.target,
    previousCommit: merge.previousCommit, commit: merge.commit, createdAt: merge.createdAt,
  };
  return [row, ...list].sort((a, b) => (a.createdAt === b.createdAt ? b.id.localeCompare(a.id) : b.createdAt.localeCompare(a.createdAt)));
}

/** A decision (decision_recorded's data.decision) added to the decisions list (newest first), once. */
export function withDecision(list: readonly DecisionRow[], decision: NonNullable<EventData["decision"]>): readonly DecisionRow[] {
  if (list.some((d) => d.id === decision.id)) return list;
  return [decision, ...list];
}

/** Events that change what the run's merge queue shows (queue.get is read again after them). */
const QUEUE_EVENTS = new Set(["queue_updated", "queue_item_changed", "queue_recovered", "worker_merged", "worker_result", "worker_failed", "followup_requested"]);

export function touchesQueue(e: Pick<BusEvent, "type">): boolean {
  return QUEUE_EVENTS.has(e.type);
}

/** Events after which fields outside the event snapshot (diagnostics, cleanup notes) changed. */
const OUTSIDE_SNAPSHOT = new Set(["preflight_failed", "shutdown_requested", "cleanup_failed", "resume_requested"]);

/** Should the run be read again after this event? Only when the event is not older than the cached run. */
export function needsRunRefetch(cached: RunView | undefined, e: BusEvent): boolean {
  if (!cached || !OUTSIDE_SNAPSHOT.has(e.type)) return false;
  const at = eventData(e)?.run.updatedAt;
  return !at || at >= cached.updatedAt;
}

/** The queries derived from a run that a change of the run made stale. */
export interface Stale {
  /** Workers whose diff moved (new head or base, worktree removed). */
  diff: string[];
  /** Workers whose merge and discard previews moved (head, status, merge, worktree). */
  previews: string[];
  /** A worker was merged: the target moved, so every merge preview of the run is stale. */
  allMergePreviews: boolean;
  /** runs.overlap (heads, merges, removed worktrees). */
  overlap: boolean;
  /** runs.synthesis / runs.result (a worker finished, failed or started again). */
  results: boolean;
  /** Read the run once more (it just finished: fields no event carries may have moved). */
  refetchRun: boolean;
}

export const isEmptyStale = (s: Stale) => s.diff.length === 0 && s.previews.length === 0 && !s.allMergePreviews && !s.overlap && !s.results && !s.refetchRun;

/** What changed between two states of the cached run, as the derived queries it makes stale. */
export function staleBetween(before: RunView, after: RunView): Stale {
  const stale: Stale = { diff: [], previews: [], allMergePreviews: false, overlap: false, results: false, refetchRun: false };
  if (before === after || before.id !== after.id) return stale;
  const old = new Map(before.workers.map((w) => [w.id, w]));
  for (const w of after.workers) {
    const b = old.get(w.id);
    if (!b || b === w) continue;
    const head = b.worktreeCommit !== w.worktreeCommit || b.baseCommit !== w.baseCommit;
    const merged = b.merged?.commit !== w.merged?.commit || b.merged?.at !== w.merged?.at;
    const gone = b.cleanupStatus !== w.cleanupStatus || Boolean(b.discarded) !== Boolean(w.discarded);
    const status = b.status !== w.status || b.attempt !== w.attempt;
    if (head || gone) stale.diff.push(w.id);
    if (head || merged || gone || status) stale.previews.push(w.id);
    if (merged && w.merged) stale.allMergePreviews = true;
    if (head || merged || gone) stale.overlap = true;
    if (status) stale.results = true;
  }
  stale.refetchRun = !isTerminalRun(before.status) && isTerminalRun(after.status);
  return stale;
}
