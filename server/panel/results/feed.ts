import { and, asc, eq, gt, sql } from "drizzle-orm";
import * as t from "../../../db/schema";
import type { ActivityEvent, BusEvent } from "../../events/bus";
import type { AgentId } from "../../core/enums";
import type { Usage } from "../../core/records";
import type { Panel } from "../panel";
import { findRun } from "../runs/queries";

/** Events of one run (or all runs) after `afterSeq`, oldest first. */
export function eventsAfter(panel: Panel, afterSeq: number, runId?: string, limit = 500): BusEvent[] {
  const where = runId ? and(eq(t.events.runId, runId), gt(t.events.seq, afterSeq)) : gt(t.events.seq, afterSeq);
  return panel.db.select().from(t.events).where(where).orderBy(asc(t.events.seq)).limit(limit).all().map((e) => ({ ...e, data: e.data ?? null }));
}

export function latestEventSeq(panel: Panel): number {
  return panel.db.select({ m: sql<number>`coalesce(max(${t.events.seq}), 0)` }).from(t.events).get()?.m ?? 0;
}

/** Activity of a run (optionally one worker) after `afterSeq`, oldest first. */
export function activityAfter(panel: Panel, runId: string, afterSeq: number, workerId?: string, limit = 500): ActivityEvent[] {
  const where = workerId
    ? and(eq(t.activity.runId, runId), eq(t.activity.workerId, workerId), gt(t.activity.seq, afterSeq))
    : and(eq(t.activity.runId, runId), gt(t.activity.seq, afterSeq));
  return panel.db.select().from(t.activity).where(where).orderBy(asc(t.activity.seq)).limit(limit).all().map((a) => ({ ...a, data: a.data ?? null }));
}

/** Token usage per worker and for the run: the latest running total of each worker's thread(s). */
export interface RunUsage {
  /** Per worker: its agent's session total (tokens; cost when the agent reports one). */
  workers: Record<string, Usage & { agent: AgentId }>;
  /** The run: every worker's figures added up; costUsd adds the costs that were reported. */
  total: Usage;
  /** The same per agent (e.g. codex: tokens only; claude: tokens and cost). */
  byAgent: Partial<Record<AgentId, Usage>>;
  /** Every worker with usage reported a cost (false when e.g. a codex member took part: codex gives tokens only). */
  costComplete: boolean;
}

const count = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0);

/** Usage as stored (record or activity row data): numbers only; a cost only when it is one. */
function cleanUsage(v: unknown): Usage | undefined {
  if (!v || typeof v !== "object" || Array.isArray(v)) return undefined;
  const u = v as Record<string, unknown>;
  const out: Usage = { inputTokens: count(u.inputTokens), cachedInputTokens: count(u.cachedInputTokens), outputTokens: count(u.outputTokens) };
  if (typeof u.costUsd === "number" && Number.isFinite(u.costUsd) && u.costUsd >= 0) out.costUsd = u.costUsd;
  return out;
}

function add(a: Usage, b: Usage): Usage {
  const out: Usage = { inputTokens: a.inputTokens + b.inputTokens, cachedInputTokens: a.cachedInputTokens + b.cachedInputTokens, outputTokens: a.outputTokens + b.outputTokens };
  if (a.costUsd !== undefined || b.costUsd !== undefined) out.costUsd = (a.costUsd ?? 0) + (b.costUsd ?? 0);
  return out;
}

/**
 * Usage per worker, per agent and for the run, from each agent's own figures: the worker record
 * (the supervisor keeps the latest running total there, from a failed turn's figures too), else
 * the worker's last usage row. Workers without an agent (LongTable CLI records) are codex.
 */
export function runUsage(panel: Panel, runId: string): RunUsage {
  const rows = panel.db
    .select({ workerId: t.activity.workerId, attempt: t.activity.attempt, data: t.activity.data, seq: t.activity.seq })
    .from(t.activity)
    .where(and(eq(t.activity.runId, runId), eq(t.activity.kind, "usage")))
    .orderBy(asc(t.activity.seq))
    .all();
  const fromRows = new Map<string, Usage>();
  for (const r of rows) {
    const u = cleanUsage(r.data);
    if (u) fromRows.set(r.workerId, u);
  }
  const record = findRun(panel, runId);
  const agentOf = new Map<string, AgentId>((record?.workers ?? []).map((w) => [w.id, w.agent ?? "codex"]));
  const perWorker = new Map<string, Usage>(fromRows);
  for (const w of record?.workers ?? []) {
    const u = cleanUsage(w.usage);
    if (u) perWorker.set(w.id, u);
  }
  const zero: Usage = { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 };
  let total = zero;
  const byAgent: Partial<Record<AgentId, Usage>> = {};
  const workers: RunUsage["workers"] = {};
  let costComplete = perWorker.size > 0;
  for (const [workerId, u] of perWorker) {
    const agent = agentOf.get(workerId) ?? "codex";
    workers[workerId] = { ...u, agent };
    total = add(total, u);
    byAgent[agent] = add(byAgent[agent] ?? zero, u);
    if (u.costUsd === undefined) costComplete = false;
  }
  return { workers, total, byAgent, costComplete };
}
