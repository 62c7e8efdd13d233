/**
 * panel-result.json, the run's aggregate (ARCHITECTURE.md §4), written when the run is completed
 * or blocked: the members' results, keyed by worker id; its id is kept when it is rewritten.
 */
import { readJsonData, writeJsonAtomic } from "../bridge/run-files";
import type { PanelRun } from "../core/records";
import { readResult } from "../bridge/worker-files";

export async function writeAggregateIfDone(run: PanelRun): Promise<void> {
  if (run.status !== "completed" && run.status !== "blocked") return;
  const memberResults = run.workers.map((w) => {
    const r = readResult(w);
    return { workerId: w.id, role: w.role, label: w.label, agent: w.agent, status: r?.status ?? w.status, summary: r?.summary ?? "", claims: r?.claims ?? [], objections: r?.objections ?? [], openQuestions: r?.openQuestions ?? [], evidenceRefs: r?.evidenceRefs ?? [], error: r?.error ?? "", commit: w.worktreeCommit ?? null };
  });
  const existing = readJsonData<{ id?: unknown; memberResults?: unknown }>(run.aggregateResultPath);
  if (existing && JSON.stringify(existing.memberResults) === JSON.stringify(memberResults)) return;
  const id = typeof existing?.id === "string" && /^panel_result_[a-z0-9_]{4,60}$/.test(existing.id) ? existing.id : run.id.replace(/^panel_run_/, "panel_result_");
  await writeJsonAtomic(run.aggregateResultPath, {
    schemaVersion: 1,
    kind: "longtable.panelResult",
    id,
    runId: run.id,
    status: run.status,
    prompt: run.prompt,
    mode: run.mode,
    createdAt: new Date().toISOString(),
    memberResults,
  });
}
