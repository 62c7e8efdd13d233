/**
 * Results and the run's aggregate (ARCHITECTURE.md §4). panel-result.json comes in two shapes —
 * ours (members keyed by workerId, with their commit) and the LongTable CLI's (members without
 * workerId or commit; it rewrites the file in its shape whenever its `panel status` refreshes a
 * run) — and both read the same here: a member without a workerId is the run's worker with its
 * role (a role appears once per run).
 */
import { RESULT_STATUSES } from "../../core/enums";
import { gitBuffer } from "../../bridge/git";
import { CLI_RUNTIME_DIR } from "../../bridge/layout";
import { readJsonData } from "../../bridge/run-files";
import { readResult } from "../../bridge/worker-files";
import type { PanelRun, PanelWorker, WorkerResult } from "../../core/records";
import type { Panel } from "../panel";
import { getRun } from "../runs/queries";
import { notFound } from "../../core/errors";

export interface MemberResult extends WorkerResult {
  workerId: string;
  agent: string;
  commit: string | null;
}

const text = (v: unknown, max = 20_000) => (typeof v === "string" ? v.slice(0, max) : "");
const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string").slice(0, 200).map((x) => x.slice(0, 20_000)) : []);

/** One member of a panel-result.json of either shape, matched to its worker; undefined when it matches none. */
function memberOf(run: PanelRun, raw: unknown, taken: Set<string>): MemberResult | undefined {
  if (!raw || typeof raw !== "object") return undefined;
  const m = raw as Record<string, unknown>;
  const worker = run.workers.find((w) => w.id === m.workerId) ?? run.workers.find((w) => w.role === m.role && !taken.has(w.id));
  if (!worker || taken.has(worker.id)) return undefined;
  taken.add(worker.id);
  const status = (RESULT_STATUSES as readonly string[]).includes(m.status as string) ? (m.status as WorkerResult["status"]) : "error";
  return {
    workerId: worker.id,
    agent: worker.agent,
    role: worker.role,
    label: text(m.label, 200) || worker.label,
    status,
    summary: text(m.summary),
    claims: list(m.claims),
    objections: list(m.objections),
    openQuestions: list(m.openQuestions),
    evidenceRefs: list(m.evidenceRefs),
    error: text(m.error),
    commit: typeof m.commit === "string" && /^[0-9a-f]{40,64}$/.test(m.commit) ? m.commit : worker.worktreeCommit ?? null,
  };
}

/**
 * A worker's own result: its result file, or — for a LongTable CLI worker whose worktree was
 * removed (shutdown) — the copy its commit holds (the CLI commits its runtime folder).
 */
async function workerResultOf(run: PanelRun, w: PanelWorker): Promise<WorkerResult | undefined> {
  const own = readResult(w);
  if (own || w.runtimeLayout !== "cli-0.1.59" || !w.worktreeCommit) return own;
  const r = await gitBuffer(run.workingDirectory, ["cat-file", "blob", `${w.worktreeCommit}:${CLI_RUNTIME_DIR}/result.json`], { limitBytes: 8 * 1024 * 1024 });
  if (r.code !== 0 || r.truncated) return undefined;
  try {
    return memberOf({ ...run, workers: [w] }, { ...(JSON.parse(r.stdout.toString("utf8")) as object), workerId: w.id }, new Set());
  } catch {
    return undefined;
  }
}

/** The run's aggregate: panel-result.json when written (either shape), else the results that exist so far. */
export async function runResult(panel: Panel, runId: string) {
  const run = getRun(panel, runId);
  const written = readJsonData<{ id?: unknown; memberResults?: unknown }>(run.aggregateResultPath);
  if (written && Array.isArray(written.memberResults) && written.memberResults.length > 0) {
    const taken = new Set<string>();
    const memberResults = written.memberResults.map((m) => memberOf(run, m, taken)).filter((m): m is MemberResult => m !== undefined);
    return { id: typeof written.id === "string" ? written.id.slice(0, 100) : null, runId, status: run.status, memberResults, final: true as const };
  }
  const memberResults: MemberResult[] = [];
  for (const w of run.workers) {
    const r = await workerResultOf(run, w);
    if (r) memberResults.push({ ...r, workerId: w.id, agent: w.agent, commit: w.worktreeCommit ?? null });
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
