import { readJsonData } from "../../bridge/run-files";
import type { Panel } from "../panel";
import type { WorkerResult } from "../../core/records";
import { getRun } from "../runs/queries";
import { notFound } from "../../core/errors";

export interface MemberResult extends WorkerResult {
  workerId: string;
  commit: string | null;
}

/** The run's aggregate: panel-result.json when written, else the results that exist so far. */
export async function runResult(panel: Panel, runId: string) {
  const run = getRun(panel, runId);
  const written = readJsonData<{ id: string; memberResults: MemberResult[] }>(run.aggregateResultPath);
  if (written && Array.isArray(written.memberResults)) return { ...written, final: true as const };
  const memberResults: MemberResult[] = [];
  for (const w of run.workers) {
    const r = readJsonData<WorkerResult>(w.resultPath);
    if (r) memberResults.push({ ...r, workerId: w.id, commit: w.worktreeCommit ?? null });
  }
  return { id: null, runId, status: run.status, memberResults, final: false as const };
}

export function getWorker(panel: Panel, runId: string, workerId: string) {
  const run = getRun(panel, runId);
  const worker = run.workers.find((w) => w.id === workerId);
  if (!worker) throw notFound(`worker ${workerId} in run ${runId}`);
  return worker;
}

import { synthesize, synthesisMarkdown } from "./synthesis";

/** Members side by side with grouped objections/questions and marked disagreements. */
export async function runSynthesis(panel: Panel, runId: string) {
  const run = getRun(panel, runId);
  const agg = await runResult(panel, runId);
  const s = synthesize(agg.memberResults.map((m) => ({ ...m, workerId: m.workerId })));
  return { ...s, final: agg.final, aggregate: agg, markdown: synthesisMarkdown(run, s) };
}
