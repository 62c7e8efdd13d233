/**
 * The supervisor (ARCHITECTURE.md §3): watches the runtime folders of running workers (fs.watch,
 * with a polling fallback) and their panes (one `tmux list-panes` per machine), ingests agent
 * activity, and turns results and dead panes into state-machine transitions through the door.
 * At start it reconciles the unfinished runs this panel created (reconcile.ts).
 *
 * A worker counts as finished only when the finish step (outside the sandbox, after the agent
 * exited) wrote its exit file and its result, in the worker's runtime folder, where the agent
 * cannot write. Runs this panel did not create (found on disk) are never checked here: nothing
 * is launched, failed or rewritten for them without an explicit action.
 */
import { existsSync, watch, type FSWatcher } from "node:fs";
import { eq } from "drizzle-orm";
import * as t from "../../db/schema";
import { agentFor } from "../agents/registry";
import type { AgentParser } from "../agents/types";
import { workerLayout } from "../bridge/layout";
import type { PaneInfo } from "../bridge/tmux";
import { sessionNameFor } from "../bridge/tmux";
import { isUnreachable, type WorkerTransport } from "../bridge/transport/types";
import type { PanelEvent, PanelRun, PanelWorker } from "../core/records";
import { applySetupExit } from "../panel/config/phase";
import { changeRun, type ActivityRow, type RunDoor } from "../panel/door";
import { workerFailed, workerPatched, workerResult } from "../panel/machine";
import type { Panel } from "../panel/panel";
import { applyForeignResults, readForeignResults } from "../panel/runs/foreign";
import { findRun } from "../panel/runs/queries";
import { discoverNewRuns } from "../panel/runs/rebuild";
import { localTransport, transportFor } from "../panel/transports";
import { writeAggregateIfDone } from "./aggregate";
import { reconcile } from "./reconcile";
import { finishStepRan, readCommit, readResult } from "../bridge/worker-files";
import { newTail, readChunk, type TailState } from "./tail";

/** How often known repos are looked at for new run folders. */
const DISCOVERY_MS = 2000;

/**
 * Every this often each running run gets a full check (its files and one `tmux list-panes`),
 * whatever the watchers said. Between full checks a tick looks at a run only when something may
 * have changed: a worker without a file watcher, or a pane process that is gone (a signal-0 probe,
 * no process started). Bench: 128 idle workers cost 9 % of a core with a full check every second.
 */
const FULL_CHECK_MS = 5000;

/** Is process `pid` still there? (signal 0: nothing is sent) */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface SupervisorOptions {
  pollMs?: number;
}

export class Supervisor {
  private timer?: NodeJS.Timeout;
  private watchers = new Map<string, FSWatcher>();
  private tails = new Map<string, TailState>();
  /** One parser per tailed stream (same keys as `tails`): some agents' parsers remember earlier lines. */
  private parsers = new Map<string, AgentParser>();
  private pending = new Map<string, Promise<void>>();
  /** One more check of a run, queued behind the running one (see checkRun). */
  private again = new Map<string, Promise<void>>();
  /** Runs whose check under way is a tick's full check, and the tick's panes for a full check queued behind a watcher's. */
  private inflightFull = new Set<string>();
  private againFull = new Map<string, { panes: PaneInfo[]; takenAt: number }>();
  private stopped = false;
  private pollMs: number;
  /** The workers that were running at each run's last full check (and whether each runs on a host). */
  private lastFull = new Map<string, { workers: Array<{ id: string; host: boolean }> }>();
  private lastFullTick = 0;
  /** The pane process of each running worker (`runId/workerId`), from the last pane listing. */
  private panePids = new Map<string, number>();

  constructor(private panel: Panel, options: SupervisorOptions = {}) {
    this.pollMs = options.pollMs ?? 1000;
  }

  async start(): Promise<void> {
    const runIds = await reconcile(this.panel);
    for (const id of runIds) await this.checkRun(id);
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

  /** The running workers of each run that has some (one query, through workers_status_idx). */
  private runningWorkers(): Map<string, string[]> {
    const byRun = new Map<string, string[]>();
    for (const r of this.panel.db.select({ runId: t.workers.runId, id: t.workers.id }).from(t.workers).where(eq(t.workers.status, "running")).all()) {
      const list = byRun.get(r.runId);
      if (list) list.push(r.id);
      else byRun.set(r.runId, [r.id]);
    }
    return byRun;
  }

  private lastDiscovery = 0;

  async tick(): Promise<void> {
    // Runs made by other tools (the LongTable CLI) while the panel is up appear within seconds.
    if (Date.now() - this.lastDiscovery >= DISCOVERY_MS) {
      this.lastDiscovery = Date.now();
      await discoverNewRuns(this.panel);
    }
    const workers = this.runningWorkers();
    const running = [...workers.keys()];
    const runIds = running.filter((id) => findRun(this.panel, id)?.owned);
    this.pruneWatchers(new Set(runIds));
    for (const id of this.lastFull.keys()) if (!runIds.includes(id)) this.lastFull.delete(id);
    await Promise.all(running.filter((id) => !runIds.includes(id)).map((id) => this.checkForeignRun(id)));
    // Full checks of all runs in the same tick: one `tmux list-panes` serves them all.
    const full = Date.now() - this.lastFullTick >= FULL_CHECK_MS;
    if (full) this.lastFullTick = Date.now();
    const due = runIds.filter((id) => full || this.due(id, workers.get(id) ?? []));
    if (due.length === 0) return;
    const takenAt = Date.now();
    // One pane list for all the runs on this machine; workers elsewhere are listed per machine when checked.
    const panes = await localTransport(this.panel).tmux.listPanes();
    await Promise.all(due.map((id) => this.checkRun(id, { panes, takenAt })));
  }

  /**
   * Between full checks, does this tick have to look at the run? (see FULL_CHECK_MS) Yes when a
   * worker started running since its last full check, has no file watcher, or (on this machine)
   * its pane process is unknown or gone. A worker on a host has no process here to probe: its
   * tail and the connection's reconnect bring its news, and the full check lists its panes.
   */
  private due(runId: string, runningNow: readonly string[]): boolean {
    const last = this.lastFull.get(runId);
    if (!last) return true;
    if (runningNow.some((id) => !last.workers.some((w) => w.id === id))) return true;
    return last.workers.some((w) => {
      const key = `${runId}/${w.id}`;
      if (!this.watchers.has(key)) return true;
      if (w.host) return false;
      const pid = this.panePids.get(key);
      return pid === undefined || !alive(pid);
    });
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
      // A tick's full check joins a full check under way; one that meets a watcher's check (which
      // may not have looked at panes) is kept as the check that runs after it, with the tick's panes.
      if (snapshot && this.inflightFull.has(runId)) return inflight;
      if (snapshot) this.againFull.set(runId, snapshot);
      let again = this.again.get(runId);
      if (!again) {
        again = inflight.then(() => {
          this.again.delete(runId);
          const full = this.againFull.get(runId);
          this.againFull.delete(runId);
          return this.stopped ? undefined : this.checkRun(runId, full);
        });
        this.again.set(runId, again);
      }
      return again;
    }
    if (snapshot) this.inflightFull.add(runId);
    const view = findRun(this.panel, runId);
    if (!view?.owned) return Promise.resolve();
    const p = changeRun(this.panel, runId, async (door) => {
      const running = door.current.workers.filter((x) => x.status === "running");
      // Nothing runs: nothing to check (a watcher that fires while a finished run's folder is
      // being deleted must not write its aggregate back into it).
      if (running.length === 0) return;
      for (const worker of running) {
        transportFor(this.panel, worker).watch(door.current, worker);
        this.watchWorker(door.current, worker);
      }
      await this.ingestActivity(door, running.map((w) => w.id));
      // Setup ended (ARCHITECTURE.md §10): passed, or the worker failed before its agent started.
      for (const worker of running) await applySetupExit(door, worker.id);
      // Results first: a written result needs no pane check, so no tmux call on that path. The
      // results found together are committed together (one run.json write, one event batch).
      const unfinished = await this.applyResults(door, running.map((w) => w.id));
      // Panes: on a tick's check, every unfinished worker's; otherwise (a check prompted by a
      // watcher: new agent output, a result) only those of workers here whose pane process is
      // unknown or gone — no tmux process, here or over SSH, for a worker that is fine.
      const paneCheck = unfinished.filter((id) => {
        if (snapshot) return true;
        if (door.current.workers.find((x) => x.id === id)?.host) return false;
        const pid = this.panePids.get(`${runId}/${id}`);
        return pid === undefined || !alive(pid);
      });
      if (paneCheck.length > 0) {
        // A snapshot older than a launch that happened while we waited for the lock is stale.
        const stale = !snapshot || running.some((x) => Date.parse(x.startedAt ?? "") >= snapshot.takenAt - 1000);
        const lists = new Map<WorkerTransport, PaneInfo[] | undefined>();
        for (const id of paneCheck) {
          const transport = transportFor(this.panel, door.current.workers.find((x) => x.id === id)!);
          if (!lists.has(transport)) lists.set(transport, transport.kind === "local" && !stale ? snapshot!.panes : await this.panesOf(transport));
          const panes = lists.get(transport);
          // An unreachable machine says nothing about its panes: its workers are never failed for the outage.
          if (panes) await this.checkPane(door, id, panes, transport);
        }
      }
      const still = door.current.workers.filter((x) => x.status === "running");
      for (const w of running) if (!still.some((x) => x.id === w.id)) this.panePids.delete(`${runId}/${w.id}`);
      if (snapshot) this.lastFull.set(runId, { workers: still.map((x) => ({ id: x.id, host: !!x.host })) });
      await writeAggregateIfDone(door.current);
    })
      .catch((error) => console.warn(`[longtable-panel] supervisor: run ${runId}: ${(error as Error).message}`))
      .finally(() => {
        this.pending.delete(runId);
        this.inflightFull.delete(runId);
      });
    this.pending.set(runId, p);
    return p;
  }

  /**
   * A running run this panel did not create (the LongTable CLI's): results found in its files go
   * into the index only; a missing pane never fails its workers (they are not on our socket).
   */
  async checkForeignRun(runId: string): Promise<void> {
    await changeRun(this.panel, runId, async (door) => {
      const found = readForeignResults(door.current);
      if (found.length > 0) await door.apply((run) => applyForeignResults(run, found), undefined, { indexOnly: true });
    }).catch((error) => console.warn(`[longtable-panel] supervisor: run ${runId}: ${(error as Error).message}`));
  }

  /** Apply the worker's result when the finish step wrote it; true when it did (or the worker no longer runs). */
  private async applyResult(door: RunDoor, workerId: string): Promise<boolean> {
    return (await this.applyResults(door, [workerId])).length === 0;
  }

  /**
   * Apply the results the finish step wrote for `workerIds`, all in one commit; returns the ids
   * of the workers still running without a result.
   */
  private async applyResults(door: RunDoor, workerIds: readonly string[]): Promise<string[]> {
    const ready: { id: string; result: NonNullable<ReturnType<typeof readResult>>; commit: string | undefined }[] = [];
    const unfinished: string[] = [];
    for (const id of workerIds) {
      const worker = door.current.workers.find((x) => x.id === id)!;
      if (worker.status !== "running") continue;
      const result = finishStepRan(worker) ? readResult(worker) : undefined;
      if (result) ready.push({ id, result, commit: readCommit(worker) });
      else unfinished.push(id);
    }
    if (ready.length === 0) return unfinished;
    // The finish step runs after the agent's output was written in full: take the rest of it now,
    // before the workers stop being "running" (which ends their ingestion).
    await this.ingestActivity(door, ready.map((r) => r.id));
    const now = new Date().toISOString();
    await door.apply((run) => {
      let next = run;
      const events: PanelEvent[] = [];
      for (const r of ready) {
        const t = workerResult(next, r.id, r.result, r.commit, now);
        next = t.run;
        events.push(...t.events);
      }
      return { run: next, events };
    }, writeAggregateIfDone);
    return unfinished;
  }

  /** The panes on `transport`'s machine; undefined when it cannot be reached. */
  private async panesOf(transport: WorkerTransport): Promise<PaneInfo[] | undefined> {
    try {
      return await transport.tmux.listPanes();
    } catch (error) {
      if (isUnreachable(error)) return undefined;
      throw error;
    }
  }

  /** A running worker without a result: failed when its pane is dead or gone. */
  private async checkPane(door: RunDoor, workerId: string, panes: PaneInfo[], transport: WorkerTransport): Promise<void> {
    const worker = door.current.workers.find((x) => x.id === workerId)!;
    if (worker.status !== "running") return;
    const session = sessionNameFor(door.current.id);
    const pane = panes.find((p) => p.paneId === worker.runtime?.paneId && p.session === session) ?? panes.find((p) => p.session === session && p.window === workerId);
    if (pane && !pane.dead) {
      if (pane.pid !== undefined && transport.kind === "local") this.panePids.set(`${door.current.id}/${workerId}`, pane.pid);
      return;
    }
    // Re-check: the launcher writes the result before its pane dies (a worker elsewhere: bring it here first).
    try {
      await transport.syncResult(door.current, worker);
    } catch (error) {
      if (isUnreachable(error)) return;
      throw error;
    }
    if (await this.applyResult(door, workerId)) return;
    // … and setup.exit.json before it exits after a failed setup (written after this check read it).
    await applySetupExit(door, workerId);
    if (door.current.workers.find((x) => x.id === workerId)?.status !== "running") return;
    const reason = pane
      ? `the worker's pane exited${pane.deadStatus !== undefined ? ` with status ${pane.deadStatus}` : ""} without writing a result`
      : "the worker's tmux window is gone and no result was written (was the pane killed?)";
    await door.apply((run) => workerFailed(run, workerId, "running", reason, new Date().toISOString(), undefined));
  }

  /**
   * Ingest everything the agents of `workerIds` have written so far (in bounded chunks), before
   * any result is applied: the chunks read together are committed together.
   */
  private async ingestActivity(door: RunDoor, workerIds: readonly string[]): Promise<void> {
    let pending = [...workerIds];
    for (let i = 0; i < 256 && pending.length > 0; i++) {
      const now = new Date().toISOString();
      const rows: ActivityRow[] = [];
      const patches = new Map<string, Partial<PanelWorker>>();
      const more = await Promise.all(pending.map((id) => this.readChunkOf(door, id, now, rows, patches)));
      if (rows.length > 0 || patches.size > 0) {
        await door.apply((run) => {
          let next = run;
          for (const [id, patch] of patches) next = workerPatched(next, id, patch, now).run;
          return { run: next, events: [], activity: rows };
        });
      }
      pending = pending.filter((_, k) => more[k]);
    }
  }

  /** The next chunk of one agent's event stream, as activity rows and a worker patch; true when more is waiting. */
  private async readChunkOf(door: RunDoor, workerId: string, now: string, rows: ActivityRow[], patches: Map<string, Partial<PanelWorker>>): Promise<boolean> {
    const worker = door.current.workers.find((x) => x.id === workerId)!;
    const attempt = Math.max(1, worker.attempt ?? 1);
    const file = workerLayout(door.current.workingDirectory, door.current.id, workerId, worker.runtimeLayout).agentEventsPath;
    const key = `${door.current.id}/${workerId}/${attempt}`;
    let tail = this.tails.get(key);
    if (!tail) this.tails.set(key, (tail = newTail()));
    const chunk = await readChunk(file, tail);
    if (!chunk) return false;
    const agent = agentFor(worker.agent);
    let parse = this.parsers.get(key);
    if (!parse) this.parsers.set(key, (parse = agent.parser()));
    const patch: Partial<PanelWorker> = {};
    for (const { no, text } of chunk.lines) {
      if (!text.trim()) continue;
      const parsed = parse(text);
      if (parsed.threadId && agent.threadIdPattern.test(parsed.threadId)) patch.threadId = parsed.threadId;
      if (parsed.usage) patch.usage = parsed.usage;
      if (parsed.item) rows.push({ runId: door.current.id, workerId, attempt, line: no, kind: parsed.item.kind, text: parsed.item.text, data: parsed.item.data ?? null, createdAt: now });
    }
    if (patch.threadId === worker.threadId) delete patch.threadId;
    if (patch.usage && JSON.stringify(patch.usage) === JSON.stringify(worker.usage)) delete patch.usage;
    if (Object.keys(patch).length > 0) patches.set(workerId, patch);
    return chunk.more;
  }

  private watchWorker(run: PanelRun, worker: PanelWorker): void {
    const key = `${run.id}/${worker.id}`;
    if (this.watchers.has(key)) return;
    const dir = workerLayout(run.workingDirectory, run.id, worker.id, worker.runtimeLayout).runtimeDir;
    if (!existsSync(dir)) return;
    try {
      const watcher = watch(dir, { persistent: false }, (_event, name) => {
        if (name === "result.json" || name === "agent-events.jsonl" || name === "setup.exit.json") void this.checkRun(run.id);
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
    // A finished stream is never parsed again (a new turn is a new attempt, a new key).
    for (const key of this.parsers.keys()) if (!activeRuns.has(key.split("/")[0]!)) this.parsers.delete(key);
  }
}
