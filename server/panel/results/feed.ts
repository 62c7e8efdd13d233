import { and, asc, eq, gt, sql } from "drizzle-orm";
import * as t from "../../../db/schema";
import type { ActivityEvent, BusEvent } from "../../events/bus";
import type { Panel } from "../panel";

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
export function runUsage(panel: Panel, runId: string) {
  const rows = panel.db
    .select({ workerId: t.activity.workerId, attempt: t.activity.attempt, data: t.activity.data, seq: t.activity.seq })
    .from(t.activity)
    .where(and(eq(t.activity.runId, runId), eq(t.activity.kind, "usage")))
    .orderBy(asc(t.activity.seq))
    .all();
  const perWorker = new Map<string, { inputTokens: number; cachedInputTokens: number; outputTokens: number }>();
  for (const r of rows) perWorker.set(r.workerId, r.data as { inputTokens: number; cachedInputTokens: number; outputTokens: number });
  const total = { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 };
  for (const u of perWorker.values()) {
    total.inputTokens += u.inputTokens;
    total.cachedInputTokens += u.cachedInputTokens;
    total.outputTokens += u.outputTokens;
  }
  return { workers: Object.fromEntries(perWorker), total };
}
