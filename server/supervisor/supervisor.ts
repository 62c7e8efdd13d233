/**
 * The supervisor: watches the runtime folders of running workers (fs.watch, with a polling
 * fallback) and their panes (one `tmux list-panes` for all), ingests agent activity, and
 * turns results and dead panes into state-machine transitions. At start it reconciles every
 * unfinished run from disk, git and tmux.
 */
import { existsSync, watch, type FSWatcher } from "node:fs";
import { open, readFile, stat } from "node:fs/promises";
import { StringDecoder } from "node:string_decoder";
import { eq, inArray } from "drizzle-orm";
import * as t from "../../db/schema";
import { readJsonIfExists, writeJsonAtomic } from "../bridge/run-directory";
import type { PaneInfo } from "../bridge/tmux";
import { sessionNameFor } from "../bridge/tmux";
import { finishStop, launchWorkers, tmuxFor, writerFor, type RunWriter } from "../panel/lifecycle";
import { workerFailed, workerPatched, workerResult, workerRuntimePaths } from "../panel/machine";
import type { Panel } from "../panel/panel";
import type { PanelRun, PanelWorker, WorkerResult } from "../panel/records";
import { findRun } from "../panel/runs";
import type { ActivityEvent } from "../events/bus";
import { parseAgentLine, type Usage } from "./activity";

export interface SupervisorOptions {
  pollMs?: number;
}

interface Tail {
  offset: number;
  line: number;
  partial: string;
  /** Inside an oversized line: drop bytes until its newline. */
  skipping: boolean;
  decoder: StringDecoder;
}

const MAX_LINE = 1024 * 1024;

const MAX_READ = 4 * 1024 * 1024;

export class Supervisor {
  private timer?: NodeJS.Timeout;
  private watchers = new Map<string, FSWatcher>();
  private tails = new Map<string, Tail>();
  private pending = new Map<string, Promise<void>>();
  /** One more check of a run, queued behind the running one (see checkRun). */
  private again = new Map<string, Promise<void>>();
  private stopped = false;
  private pollMs: number;

  constructor(private panel: Panel, options: SupervisorOptions = {}) {
    this.pollMs = options.pollMs ?? 1000;
  }

  async start(): Promise<void> {
    await this.reconcile();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    await Promise.allSettled([...this.pending.values(), ...this.again.values()]);
  }

  private schedule() {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.tick().finally(() => this.schedule());
    }, this.pollMs);
    this.timer.unref?.();
  }

  /** Runs that have running workers (one query). */
  private runningRunIds(): string[] {
    return this.panel.db
      .selectDistinct({ runId: t.workers.runId })
      .from(t.workers)
      .where(eq(t.workers.status, "running"))
      .all()
      .map((r) => r.runId);
  }

  async tick(): Promise<void> {
    const runIds = this.runningRunIds();
    this.pruneWatchers(new Set(runIds));
    if (runIds.length === 0) return;
    const takenAt = Date.now();
    const panes = await tmuxFor(this.panel).listPanes();
    await Promise.all(runIds.map((id) => this.checkRun(id, { panes, takenAt })));
  }

  /**
   * Check one run now (also used by runs.refresh and the file watchers). A tick joins a check
   * that is under way; any other call made meanwhile gets one more check after it, because the
   * running one may have read the files before the change the call is about (a result written
   * just then would otherwise wait for the next tick).
   */
  checkRun(runId: string, snapshot?: { panes: PaneInfo[]; takenAt: number }): Promise<void> {
    const inflight = this.pending.get(runId);
    if (inflight) {
      if (snapshot) return inflight;
      let again = this.again.get(runId);
      if (!again) {
        again = inflight.then(() => {
          this.again.delete(runId);
          return this.stopped ? undefined : this.checkRun(runId);
        });
        this.again.set(runId, again);
      }
      return again;
    }
    const p = this.panel.locks
      .run(runId, async () => {
        if (!findRun(this.panel, runId)) return;
        const w = writerFor(this.panel, runId);
        const running = w.current.workers.filter((x) => x.status === "running");
        for (const worker of running) {
          this.watchWorker(w.current, worker);
          await this.ingestActivity(w, worker.id);
        }
        // Results first: a written result needs no pane check, so no tmux call on that path.
        const unfinished: string[] = [];
        for (const worker of running) if (!(await this.applyResult(w, worker.id))) unfinished.push(worker.id);
        if (unfinished.length > 0) {
          // A snapshot older than a launch that happened while we waited for the lock is stale.
          const stale = !snapshot || running.some((x) => Date.parse(x.startedAt ?? "") >= snapshot.takenAt - 1000);
          const livePanes = stale ? await tmuxFor(this.panel).listPanes() : snapshot.panes;
          for (const id of unfinished) await this.checkPane(w, id, livePanes);
        }
        await writeAggregateIfDone(w.current);
      })
      .catch((error) => console.warn(`[longtable-panel] supervisor: run ${runId}: ${(error as Error).message}`))
      .finally(() => this.pending.delete(runId));
    this.pending.set(runId, p);
    return p;
  }

  /** Apply the worker's result when it wrote one; true when it did (or the worker no longer runs). */
  private async applyResult(w: RunWriter, workerId: string): Promise<boolean> {
    const worker = w.current.workers.find((x) => x.id === workerId)!;
    if (worker.status !== "running") return true;
    const result = await readResult(worker);
    if (!result) return false;
    const commit = await readCommit(worker);
    await w.apply((run) => workerResult(run, workerId, result, commit, new Date().toISOString()), writeAggregateIfDone);
    return true;
  }

  /** A running worker without a result: failed when its pane is dead or gone. */
  private async checkPane(w: RunWriter, workerId: string, panes: PaneInfo[]): Promise<void> {
    const worker = w.current.workers.find((x) => x.id === workerId)!;
    if (worker.status !== "running") return;
    const session = sessionNameFor(w.current.id);
    const pane = panes.find((p) => p.paneId === worker.paneId && p.session === session) ?? panes.find((p) => p.session === session && p.window === workerId);
    if (pane && !pane.dead) return;
    // Re-check: the launcher writes the result before its pane dies.
    if (await this.applyResult(w, workerId)) return;
    const reason = pane
      ? `the worker's pane exited${pane.deadStatus !== undefined ? ` with status ${pane.deadStatus}` : ""} without writing a result`
      : "the worker's tmux window is gone and no result was written (was the pane killed?)";
    await w.apply((run) => workerFailed(run, workerId, "running", reason, new Date().toISOString(), undefined));
  }

  /** Read new lines of the agent's JSONL event log into `activity`, incrementally. */
  /** Ingest everything the agent has written so far (in MAX_READ chunks), before any result is applied. */
  private async ingestActivity(w: RunWriter, workerId: string): Promise<void> {
    for (let i = 0; i < 256 && (await this.ingestChunk(w, workerId)); i++);
  }

  /** One chunk of the agent's event log; true when more is waiting. */
  private async ingestChunk(w: RunWriter, workerId: string): Promise<boolean> {
    const worker = w.current.workers.find((x) => x.id === workerId)!;
    const attempt = Math.max(1, worker.attempt ?? 1);
    const file = workerRuntimePaths(worker.worktreePath).agentEventsPath;
    const key = `${w.current.id}/${workerId}/${attempt}`;
    let tail = this.tails.get(key);
    if (!tail) {
      tail = { offset: 0, line: 0, partial: "", skipping: false, decoder: new StringDecoder("utf8") };
      this.tails.set(key, tail);
    }
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch {
      return false;
    }
    if (size < tail.offset) Object.assign(tail, { offset: 0, line: 0, partial: "", skipping: false, decoder: new StringDecoder("utf8") }); // truncated: a new attempt
    if (size === tail.offset) return false;
    const fh = await open(file, "r");
    let chunk: string;
    try {
      const len = Math.min(size - tail.offset, MAX_READ);
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, tail.offset);
      tail.offset += len;
      chunk = tail.partial + tail.decoder.write(buf); // a character split across chunks stays whole
    } finally {
      await fh.close();
    }
    const lines = chunk.split("\n");
    tail.partial = lines.pop() ?? "";
    if (tail.skipping && lines.length > 0) {
      lines[0] = ""; // the end of an oversized line
      tail.skipping = false;
    }
    if (tail.partial.length > MAX_LINE) {
      tail.partial = ""; // an oversized line is counted but not stored
      tail.skipping = true;
    }
    let threadId: string | undefined;
    let usage: Usage | undefined;
    const rows: (typeof t.activity.$inferInsert)[] = [];
    const now = new Date().toISOString();
    for (const line of lines) {
      tail.line++;
      if (!line.trim()) continue;
      const parsed = parseAgentLine(line);
      if (parsed.threadId) threadId = parsed.threadId;
      if (parsed.usage) usage = parsed.usage;
      if (parsed.item) {
        rows.push({ runId: w.current.id, workerId, attempt, line: tail.line, kind: parsed.item.kind, text: parsed.item.text, data: parsed.item.data ?? null, createdAt: now });
      }
    }
    if (rows.length) {
      const inserted = this.panel.db.transaction((tx) => {
        const out: ActivityEvent[] = [];
        for (let i = 0; i < rows.length; i += 200) {
          for (const r of tx.insert(t.activity).values(rows.slice(i, i + 200)).onConflictDoNothing().returning().all()) out.push(r);
        }
        return out;
      });
      this.panel.bus.publishActivity(inserted);
    }
    const patch: Partial<PanelWorker> = {};
    if (threadId && threadId !== worker.threadId) patch.threadId = threadId;
    if (usage && JSON.stringify(usage) !== JSON.stringify(worker.usage)) patch.usage = usage;
    if (Object.keys(patch).length) await w.apply((run) => workerPatched(run, workerId, patch, now));
    return tail.offset < size;
  }

  private watchWorker(run: PanelRun, worker: PanelWorker): void {
    const key = `${run.id}/${worker.id}`;
    if (this.watchers.has(key)) return;
    const dir = workerRuntimePaths(worker.worktreePath).runtimeDir;
    if (!existsSync(dir)) return;
    try {
      const watcher = watch(dir, { persistent: false }, (_event, name) => {
        if (name === "result.json" || name === "agent-events.jsonl") void this.checkRun(run.id);
      });
      watcher.on("error", () => {
        watcher.close();
        this.watchers.delete(key);
      });
      this.watchers.set(key, watcher);
    } catch {
      // the polling loop covers what the watcher cannot
    }
  }

  private pruneWatchers(activeRuns: Set<string>) {
    for (const [key, w] of this.watchers) {
      if (!activeRuns.has(key.split("/")[0]!)) {
        w.close();
        this.watchers.delete(key);
      }
    }
  }

  /** At start: finish interrupted stops, relaunch interrupted launches, check running workers. */
  async reconcile(): Promise<void> {
    const rows = this.panel.db
      .select({ id: t.runs.id })
      .from(t.runs)
      .where(inArray(t.runs.status, ["running", "stop_requested"]))
      .all();
    for (const { id } of rows) {
      await this.panel.locks.run(id, async () => {
        const w = writerFor(this.panel, id);
        if (w.current.status === "stop_requested" || existsSync(w.current.stopFilePath) && w.current.workers.some((x) => x.status === "stop_requested")) {
          await finishStop(this.panel, w);
          return;
        }
        const interrupted = w.current.workers
          .filter((x) => x.status === "pending" && ["provisioning", "provisioned", "launching", "not_started"].includes(x.executionState))
          .map((x) => x.id);
        if (interrupted.length) await launchWorkers(this.panel, w, interrupted);
      });
      await this.checkRun(id);
    }
  }
}

async function readResult(worker: PanelWorker): Promise<WorkerResult | undefined> {
  try {
    const parsed = JSON.parse(await readFile(worker.resultPath, "utf8")) as WorkerResult;
    return parsed && typeof parsed === "object" ? parsed : undefined;
  } catch {
    return undefined; // missing, or mid-write by a non-atomic writer: try again next time
  }
}

async function readCommit(worker: PanelWorker): Promise<string | undefined> {
  try {
    const c = (await readFile(`${worker.resultPath}.commit`, "utf8")).trim();
    return /^[0-9a-f]{40,64}$/.test(c) ? c : undefined;
  } catch {
    return undefined;
  }
}

/** panel-result.json when the run is completed or blocked: written once, id kept on rewrite. */
export async function writeAggregateIfDone(run: PanelRun): Promise<void> {
  if (run.status !== "completed" && run.status !== "blocked") return;
  const memberResults = [];
  for (const w of run.workers) {
    const r = await readResult(w);
    memberResults.push({ workerId: w.id, role: w.role, label: w.label, status: r?.status ?? w.status, summary: r?.summary ?? "", claims: r?.claims ?? [], objections: r?.objections ?? [], openQuestions: r?.openQuestions ?? [], evidenceRefs: r?.evidenceRefs ?? [], error: r?.error ?? "", commit: w.worktreeCommit ?? null });
  }
  const existing = await readJsonIfExists<{ id?: string; memberResults?: unknown }>(run.aggregateResultPath);
  if (existing && JSON.stringify(existing.memberResults) === JSON.stringify(memberResults)) return;
  await writeJsonAtomic(run.aggregateResultPath, {
    schemaVersion: 1,
    kind: "longtable.panelResult",
    id: existing?.id ?? run.id.replace(/^panel_run_/, "panel_result_"),
    runId: run.id,
    status: run.status,
    prompt: run.prompt,
    mode: run.mode,
    createdAt: new Date().toISOString(),
    memberResults,
  });
}


