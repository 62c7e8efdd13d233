/**
 * Runs this panel did not create (ARCHITECTURE.md §4 "Runs found on disk"): made by the LongTable
 * CLI, or by another panel. Their workers run where their creator put them (the CLI's panes are on
 * the user's own tmux server), so the panel never fails them for a missing pane and never writes
 * their record on its own: it reads their result files, as data, and reflects them in the index
 * only (the CLI's own `longtable panel status` writes run.json when it refreshes).
 *
 * The events this produces are derived from the files, with ids that are a hash of what they
 * say, so rebuilding the index from disk produces the same events once.
 */
import { createHash } from "node:crypto";
import { workerLayout } from "../../bridge/layout";
import { readJsonData } from "../../bridge/run-files";
import type { PanelEvent, PanelRun, WorkerResult } from "../../core/records";
import { readCommit, readResult } from "../../bridge/worker-files";
import { workerResult, type Transition } from "../machine";

export interface FoundResult {
  workerId: string;
  result: WorkerResult;
  commit?: string;
  completedAt: string;
}

/** Results written for the unfinished workers of a foreign run (CLI layouts included). */
export function readForeignResults(run: PanelRun): FoundResult[] {
  const out: FoundResult[] = [];
  for (const w of run.workers) {
    if (w.status === "completed" || w.status === "blocked" || w.status === "failed") continue;
    const layout = workerLayout(run.workingDirectory, run.id, w.id, w.runtimeLayout);
    const result = readResult(layout);
    if (!result) continue;
    const exit = readJsonData<{ completedAt?: unknown }>(layout.exitCodePath, 4096);
    const completedAt = typeof exit?.completedAt === "string" && !Number.isNaN(Date.parse(exit.completedAt)) ? exit.completedAt : run.updatedAt;
    out.push({ workerId: w.id, result, commit: readCommit(layout), completedAt });
  }
  return out;
}

const derivedId = (parts: readonly string[]) => {
  const h = createHash("sha256").update(parts.join("\0")).digest("hex");
  return `event_${h.slice(0, 12)}_${h.slice(12, 20)}`;
};

/** Pure: apply found results (each worker's result as the CLI's refresh would), with derived event ids. */
export function applyForeignResults(run: PanelRun, found: readonly FoundResult[]): Transition {
  let next = run;
  const events: PanelEvent[] = [];
  for (const f of found) {
    const t = workerResult(next, f.workerId, f.result, f.commit, f.completedAt);
    next = t.run;
    for (const e of t.events) events.push({ ...e, id: derivedId([run.id, f.workerId, e.type, f.commit ?? "", f.completedAt]), createdAt: f.completedAt });
  }
  return { run: next, events };
}
