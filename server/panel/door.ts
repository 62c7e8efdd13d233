/**
 * The one door for state changes (ARCHITECTURE.md §3). Nothing else writes run.json, a worker's
 * state.json, events.jsonl, or the index tables that mirror them (runs, workers, events, merges,
 * decisions, activity), and nothing else publishes on the bus.
 *
 *   changeRun(panel, runId, fn)   takes the run's lock, loads the record, and hands `fn` a RunDoor;
 *   door.apply(transition)        (1) the pure state machine computes the next record,
 *                                 (2) run.json and the workers' state.json are written atomically,
 *                                 (3) events.jsonl is appended,
 *                                 (4) one SQLite transaction mirrors the record, its merges and
 *                                     decisions, the new events (which get their `seq`) and the
 *                                     new activity rows,
 *                                 (5) the bus hears it — last, so a subscriber that reads after a
 *                                     message always finds what it announced.
 * Transitions queued while a commit is being written are committed together (group commit: one
 * run.json write, one transaction), which keeps concurrent launches of many workers from
 * rewriting the run's files once per worker step.
 *
 * `durable` transitions are synced to the disk (file and folder) before `apply` resolves: the
 * merge journal must survive a power loss before the target branch moves.
 * `indexOnly` transitions skip (2) and (3): the index follows what was found on disk (results of a
 * run the LongTable CLI made, runs/foreign.ts) without the panel writing a record it did not make.
 */
import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { eq } from "drizzle-orm";
import * as t from "../../db/schema";
import { notFound } from "../core/errors";
import type { PanelEvent, PanelRun, PanelWorker } from "../core/records";
import { appendEvents, ensureDir, writeJsonAtomic } from "../bridge/run-files";
import type { ActivityEvent, BusEvent } from "../events/bus";
import type { ActivityRow, Transition } from "./machine";
import type { Panel } from "./panel";

export type { ActivityRow, Transition };

/** What a worker's state.json holds (the worker's own view of its lifecycle, for the CLI). */
export function workerStateFile(w: PanelWorker) {
  return {
    workerId: w.id,
    status: w.status,
    executionState: w.executionState,
    paneId: w.runtime?.paneId ?? w.paneId,
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

/** The compact worker state each event carries, so clients patch their cache instead of refetching. */
export function workerEventSnapshot(w: PanelWorker) {
  return {
    id: w.id,
    agent: w.agent,
    status: w.status,
    executionState: w.executionState,
    cleanupStatus: w.cleanupStatus,
    worktreeCommit: w.worktreeCommit,
    baseCommit: w.baseCommit,
    paneId: w.runtime?.paneId ?? w.paneId,
    startedAt: w.startedAt,
    completedAt: w.completedAt,
    attempt: w.attempt,
    failureReason: w.failureReason,
    error: w.error,
    threadId: w.threadId,
    usage: w.usage,
    merged: w.merged,
    discarded: w.discarded,
    setup: w.setup,
    ports: w.ports,
    updatedAt: w.updatedAt,
  };
}
export type WorkerSnapshot = ReturnType<typeof workerEventSnapshot>;

export interface EventData {
  run: { status: string; bridgeStatus: string; bridgeFailureReason?: string; updatedAt: string; lastDecision?: string | null };
  workers: WorkerSnapshot[];
  /** worker_merged: the merge it recorded. */
  merge?: NonNullable<PanelRun["merges"]>[number];
  /** decision_recorded: the decision. */
  decision?: NonNullable<PanelRun["decisions"]>[number];
}

function eventData(run: PanelRun, e: PanelEvent): EventData {
  const workers = e.workerId ? run.workers.filter((w) => w.id === e.workerId) : run.workers;
  const data: EventData = {
    run: { status: run.status, bridgeStatus: run.bridgeStatus, bridgeFailureReason: run.bridgeFailureReason, updatedAt: run.updatedAt, lastDecision: run.decisions?.at(-1)?.answer ?? null },
    workers: workers.map(workerEventSnapshot),
  };
  if (e.type === "worker_merged") data.merge = run.merges?.filter((m) => m.workerId === e.workerId).at(-1);
  if (e.type === "decision_recorded") data.decision = run.decisions?.at(-1);
  return data;
}

interface Pending {
  fn: (run: PanelRun) => Transition;
  before?: (next: PanelRun) => Promise<void>;
  indexOnly?: boolean;
  durable?: boolean;
  resolve: (run: PanelRun) => void;
  reject: (error: unknown) => void;
}

/** A run opened by changeRun: the only object that can commit changes to it. */
export class RunDoor {
  private waiting: Pending[] = [];
  private draining = false;
  /** @internal use changeRun */
  constructor(private panel: Panel, public readonly repoId: string, private record: PanelRun) {}

  /** The run as last committed. */
  get current(): PanelRun {
    return this.record;
  }

  /**
   * Apply a transition and commit it. `before` runs after the next record is computed and before
   * it is committed (e.g. files that must exist once the state says so).
   */
  apply(fn: (run: PanelRun) => Transition, before?: (next: PanelRun) => Promise<void>, options: { indexOnly?: boolean; durable?: boolean } = {}): Promise<PanelRun> {
    return new Promise<PanelRun>((resolve, reject) => {
      this.waiting.push({ fn, before, resolve, reject, indexOnly: options.indexOnly, durable: options.durable });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0);
        let run = this.record;
        const events: PanelEvent[] = [];
        const activity: ActivityRow[] = [];
        const applied: { item: Pending; run: PanelRun }[] = [];
        for (const item of batch) {
          try {
            const next = item.fn(run);
            if (item.before) await item.before(next.run);
            run = next.run;
            events.push(...next.events);
            if (next.activity) activity.push(...next.activity);
            applied.push({ item, run });
          } catch (error) {
            item.reject(error);
          }
        }
        if (applied.length === 0) continue;
        try {
          const persist = applied.some((a) => !a.item.indexOnly);
          const durable = applied.some((a) => a.item.durable);
          await commit(this.panel, this.repoId, run, run !== this.record, events, activity, persist, durable, this.record);
          this.record = run;
          for (const a of applied) a.item.resolve(a.run);
        } catch (error) {
          for (const a of applied) a.item.reject(error);
        }
      }
    } finally {
      this.draining = false;
    }
  }
}

/** The run's record as indexed (the door keeps the index equal to run.json). */
export function loadRecord(panel: Panel, runId: string): { run: PanelRun; repoId: string } | undefined {
  const row = panel.db.select({ record: t.runs.record, repoId: t.runs.repoId }).from(t.runs).where(eq(t.runs.id, runId)).get();
  return row ? { run: row.record as PanelRun, repoId: row.repoId } : undefined;
}

/** Open the run under its lock and hand it to `fn`; every change of the run goes through here. */
export function changeRun<T>(panel: Panel, runId: string, fn: (door: RunDoor) => Promise<T>): Promise<T> {
  return panel.locks.run(runId, async () => {
    const loaded = loadRecord(panel, runId);
    if (!loaded) throw notFound(`run ${runId}`);
    return fn(new RunDoor(panel, loaded.repoId, loaded.run));
  });
}

/** Commit a brand-new run (its first record and events), under its lock. */
export function createThroughDoor(panel: Panel, repoId: string, run: PanelRun, events: readonly PanelEvent[]): Promise<void> {
  return panel.locks.run(run.id, () => commit(panel, repoId, run, true, events, []));
}

/**
 * Index a run found on disk (rebuild at start, live discovery): step (4) and (5) only — the files
 * are the source and stay as they are. Events already indexed (by id) are not added again.
 */
export function indexFromDisk(panel: Panel, repoId: string, run: PanelRun, events: readonly PanelEvent[]): Promise<void> {
  return panel.locks.run(run.id, async () => {
    const published = indexRun(panel, repoId, run, events, []);
    panel.bus.publish("event", published.events);
  });
}

/**
 * The workers a commit has to write: those whose record changed since `previous` (transitions
 * copy only the workers they change), or all without it. Bench: a launch of 8 workers wrote every
 * worker's state.json and index row at each of its ~17 commits.
 */
function changedWorkers(run: PanelRun, previous?: PanelRun): PanelWorker[] {
  if (!previous) return run.workers;
  const before = new Map(previous.workers.map((w) => [w.id, w]));
  return run.workers.filter((w) => before.get(w.id) !== w);
}

async function commit(panel: Panel, repoId: string, run: PanelRun, changed: boolean, events: readonly PanelEvent[], activity: readonly ActivityRow[], persist = true, durable = false, previous?: PanelRun): Promise<void> {
  const workers = changedWorkers(run, previous);
  if (changed && persist) {
    await ensureDir(run.runDirectory);
    // `durable`: synced to the disk before the caller goes on (the merge journal, before a ref moves).
    await writeJsonAtomic(`${run.runDirectory}/run.json`, run, undefined, durable);
    // state.json only in the panel's own layout (a CLI worker's is in its agent-writable worktree).
    await Promise.all(
      workers.map((w) =>
        w.runtimeLayout === "panel" && existsSync(dirname(w.taskStatePath)) ? writeJsonAtomic(w.taskStatePath, workerStateFile(w)) : undefined,
      ),
    );
  }
  if (persist) await appendEvents(run.eventLogPath, events);
  const published = indexRun(panel, repoId, run, events, activity, changed, workers);
  panel.bus.publish("event", published.events);
  panel.bus.publish("activity", published.activity);
}

/** Step (4): mirror the record, its new events and activity rows into SQLite, in one transaction. */
function indexRun(panel: Panel, repoId: string, run: PanelRun, events: readonly PanelEvent[], activity: readonly ActivityRow[], changed = true, workers: readonly PanelWorker[] = run.workers): { events: BusEvent[]; activity: ActivityEvent[] } {
  return panel.db.transaction((tx) => {
    if (changed) {
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
      for (const w of workers) {
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
        tx.insert(t.workers).values(wrow).onConflictDoUpdate({ target: [t.workers.runId, t.workers.id], set: { ...wrow, runId: undefined, id: undefined } }).run();
      }
      for (const d of run.decisions ?? []) {
        tx.insert(t.decisions).values({ id: d.id, runId: run.id, answer: d.answer, note: d.note ?? null, createdAt: d.createdAt }).onConflictDoNothing().run();
      }
      for (const m of run.merges ?? []) {
        tx.insert(t.merges).values({ id: m.id, runId: run.id, workerId: m.workerId, strategy: m.strategy, target: m.target, previousCommit: m.previousCommit, commit: m.commit, createdAt: m.createdAt }).onConflictDoNothing().run();
      }
    }
    const out: BusEvent[] = [];
    for (const e of events) {
      const inserted = tx
        .insert(t.events)
        .values({ id: e.id, runId: run.id, workerId: e.workerId ?? null, type: e.type, message: e.message, path: e.path ?? null, data: eventData(run, e), createdAt: e.createdAt })
        .onConflictDoNothing({ target: t.events.id })
        .returning()
        .all();
      for (const r of inserted) out.push({ ...r, data: r.data ?? null });
    }
    const acts: ActivityEvent[] = [];
    for (let i = 0; i < activity.length; i += 200) {
      for (const r of tx.insert(t.activity).values(activity.slice(i, i + 200)).onConflictDoNothing().returning().all()) acts.push({ ...r, data: r.data ?? null });
    }
    return { events: out, activity: acts };
  });
}
