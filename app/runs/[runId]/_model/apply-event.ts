import { eventData, type BusEvent, type WorkerSnapshot } from "@/app/_lib/live";
import type { RunView, RunSummary, PanelWorker } from "@/app/_lib/types";

/** The worker fields an event's snapshot carries; a field missing from the snapshot was cleared. */
const SNAPSHOT_FIELDS = [
  "status", "executionState", "cleanupStatus", "worktreeCommit", "baseCommit", "paneId", "startedAt", "completedAt",
  "attempt", "failureReason", "error", "threadId", "usage", "merged", "updatedAt",
] as const satisfies readonly (keyof WorkerSnapshot)[];

function patchWorker(worker: PanelWorker, snap: WorkerSnapshot): PanelWorker {
  // An older snapshot (the backlog replaying after a fresher runs.get) never rolls a worker back.
  if (snap.updatedAt && worker.updatedAt && snap.updatedAt < worker.updatedAt) return worker;
  const next: Record<string, unknown> = { ...worker };
  const s = snap as unknown as Record<string, unknown>;
  for (const key of SNAPSHOT_FIELDS) next[key] = s[key];
  return next as PanelWorker;
}

/**
 * Apply one lifecycle event to the cached run: the run's status fields and the workers the
 * event carries, by id. Pure; returns the same object when nothing changed.
 */
export function applyEventToRun(run: RunView, e: BusEvent): RunView {
  if (e.runId !== run.id) return run;
  const data = eventData(e);
  if (!data) return run;
  let next = run;
  const r = data.run;
  if (r && (!r.updatedAt || !run.updatedAt || r.updatedAt >= run.updatedAt)) {
    next = {
      ...next,
      status: r.status as RunView["status"],
      bridgeStatus: r.bridgeStatus as RunView["bridgeStatus"],
      bridgeFailureReason: r.bridgeFailureReason,
      updatedAt: r.updatedAt ?? next.updatedAt,
      lastDecision: r.lastDecision ?? next.lastDecision ?? null,
    };
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
