/**
 * The one door for state changes (DESIGN §4). Every change of a run or worker goes through
 * commitTransition: (1) the caller computed the next record with the pure state machine,
 * (2) run.json and each worker's state.json are written atomically, (3) events.jsonl is
 * appended, (4) SQLite is updated in one transaction (events get their seq), (5) the bus hears it.
 */
import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { eq, sql } from "drizzle-orm";
import * as t from "../../db/schema";
import { appendEvents, ensureDir, writeJsonAtomic } from "../bridge/run-directory";
import type { BusEvent } from "../events/bus";
import type { Panel } from "./panel";
import type { PanelEvent, PanelRun, PanelWorker } from "./records";

export function workerStateSnapshot(w: PanelWorker) {
  return {
    workerId: w.id,
    status: w.status,
    executionState: w.executionState,
    paneId: w.paneId,
    runtime: w.runtime,
    worktreePath: w.worktreePath,
    worktreeBranch: w.worktreeBranch,
    worktreeCommit: w.worktreeCommit,
    baseCommit: w.baseCommit,
    cleanupStatus: w.cleanupStatus,
    failureReason: w.failureReason,
    error: w.error,
    attempt: w.attempt,
    threadId: w.threadId,
    updatedAt: w.updatedAt,
  };
}

/** Compact worker state carried by events, so clients update without refetching. */
export function workerSnapshot(w: PanelWorker) {
  return {
    id: w.id,
    status: w.status,
    executionState: w.executionState,
    cleanupStatus: w.cleanupStatus,
    worktreeCommit: w.worktreeCommit,
    baseCommit: w.baseCommit,
    paneId: w.paneId,
    startedAt: w.startedAt,
    completedAt: w.completedAt,
    attempt: w.attempt,
    failureReason: w.failureReason,
    error: w.error,
    threadId: w.threadId,
    usage: w.usage,
    merged: w.merged,
    updatedAt: w.updatedAt,
  };
}
export type WorkerSnapshot = ReturnType<typeof workerSnapshot>;

export interface EventData {
  run: { status: string; bridgeStatus: string; bridgeFailureReason?: string; updatedAt: string; lastDecision?: string | null };
  workers: WorkerSnapshot[];
}

function eventData(run: PanelRun, workerId: string | undefined): EventData {
  const workers = workerId ? run.workers.filter((w) => w.id === workerId) : run.workers;
  return {
    run: { status: run.status, bridgeStatus: run.bridgeStatus, bridgeFailureReason: run.bridgeFailureReason, updatedAt: run.updatedAt, lastDecision: run.decisions?.at(-1)?.answer ?? null },
    workers: workers.map(workerSnapshot),
  };
}

export async function commitTransition(panel: Panel, repoId: string, run: PanelRun, events: readonly PanelEvent[]): Promise<BusEvent[]> {
  await ensureDir(run.runDirectory);
  await writeJsonAtomic(`${run.runDirectory}/run.json`, run);
  await Promise.all(
    run.workers.map((w) =>
      existsSync(dirname(w.taskStatePath)) && existsSync(w.worktreePath)
        ? writeJsonAtomic(w.taskStatePath, workerStateSnapshot(w))
        : undefined,
    ),
  );
  await appendEvents(run.eventLogPath, events);
  const published = indexRun(panel, repoId, run, events);
  panel.bus.publish(published);
  return published;
}

/** Step (4) alone: mirror a run record and its new events into SQLite, in one transaction. */
export function indexRun(panel: Panel, repoId: string, run: PanelRun, events: readonly PanelEvent[]): BusEvent[] {
  const db = panel.db;
  return db.transaction((tx) => {
    const row = {
      id: run.id,
      repoId,
      status: run.status,
      bridgeStatus: run.bridgeStatus,
      mode: run.mode,
      promptPreview: run.prompt.slice(0, 240),
      memberCount: run.workers.length,
      targetBranch: run.targetBranch ?? null,
      lastDecision: run.decisions?.at(-1)?.answer ?? null,
      createdAt: run.createdAt,
      updatedAt: run.updatedAt,
      record: run,
    };
    tx.insert(t.runs).values(row).onConflictDoUpdate({ target: t.runs.id, set: { ...row, id: undefined } }).run();
    for (const w of run.workers) {
      const wrow = {
        runId: run.id,
        id: w.id,
        role: w.role,
        label: w.label,
        status: w.status,
        executionState: w.executionState,
        cleanupStatus: w.cleanupStatus,
        worktreeBranch: w.worktreeBranch,
        worktreeCommit: w.worktreeCommit ?? null,
        baseCommit: w.baseCommit ?? null,
        updatedAt: w.updatedAt,
      };
      tx.insert(t.workers).values(wrow)
        .onConflictDoUpdate({ target: [t.workers.runId, t.workers.id], set: { ...wrow, runId: undefined, id: undefined } })
        .run();
    }
    for (const d of run.decisions ?? []) {
      tx.insert(t.decisions).values({ id: d.id, runId: run.id, answer: d.answer, note: d.note ?? null, createdAt: d.createdAt }).onConflictDoNothing().run();
    }
    const out: BusEvent[] = [];
    for (const e of events) {
      const inserted = tx
        .insert(t.events)
        .values({
          id: e.id,
          runId: run.id,
          workerId: e.workerId ?? null,
          type: e.type,
          message: e.message,
          path: e.path ?? null,
          data: eventData(run, e.workerId),
          createdAt: e.createdAt,
        })
        .onConflictDoNothing({ target: t.events.id })
        .returning()
        .all();
      for (const r of inserted) out.push({ ...r, data: r.data ?? null });
    }
    return out;
  });
}
