/**
 * Run lifecycle services: launch (preflight, provisioning, tmux), stop, resume, shutdown.
 * Each action holds the run's lock; every state change goes through the one door.
 */
import { existsSync } from "node:fs";
import { chmod, mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { agentEnvironment, extraAgentArgs, resolveExecutable } from "../bridge/agent";
import { runGit, workTreeTopLevel } from "../bridge/git";
import { bridgeScriptPaths, launcherScript } from "../bridge/launcher";
import { sessionNameFor, Tmux } from "../bridge/tmux";
import { workerTaskText } from "../bridge/task";
import { leaderFacts, provisionWorktree, removeWorktreeIfClean, type ProvisionResult } from "../bridge/worktree";
import { mapBounded } from "./bounded";
import { commitTransition } from "./door";
import { PanelError } from "./errors";
import {
  LAUNCHABLE, launchStarted, preflightFailed, resumeRequested, shutdownDone, stopRequested, workerAdopted,
  workerFailed, workerLaunched, workerProvisioned, workerRuntimePaths, workersStopped, type CleanupOutcome, type Transition,
} from "./machine";
import type { Panel } from "./panel";
import type { PanelEvent, PanelRun, PanelWorker } from "./records";
import { listRoles } from "./role-catalog";
import { getRun, type RunView } from "./runs";

export const PROVISION_CONCURRENCY = 4;

export function tmuxFor(panel: Panel): Tmux {
  const p = panel as Panel & { _tmux?: Tmux };
  p._tmux ??= new Tmux(panel.config.tmuxSocket);
  return p._tmux;
}

const nowIso = () => new Date().toISOString();

interface PendingTransition {
  fn: (run: PanelRun) => Transition;
  before?: (next: PanelRun) => Promise<void>;
  resolve: (run: PanelRun) => void;
  reject: (error: unknown) => void;
}

/**
 * Apply transitions to one run one at a time, in order, committing through the door.
 * Transitions that queue up while a commit is being written are committed together (group
 * commit: one run.json write, one transaction), which keeps concurrent launches of many
 * workers from rewriting the run's files once per worker step.
 */
export class RunWriter {
  private waiting: PendingTransition[] = [];
  private draining = false;
  constructor(private panel: Panel, public readonly repoId: string, public current: PanelRun) {}
  /** `before` runs after the next record is computed and before it is committed (e.g. files that must exist once the state says so). */
  apply(fn: (run: PanelRun) => Transition, before?: (next: PanelRun) => Promise<void>): Promise<PanelRun> {
    return new Promise<PanelRun>((resolve, reject) => {
      this.waiting.push({ fn, before, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0);
        let run = this.current;
        const events: PanelEvent[] = [];
        const applied: { item: PendingTransition; run: PanelRun }[] = [];
        for (const item of batch) {
          try {
            const t = item.fn(run);
            if (item.before) await item.before(t.run);
            run = t.run;
            events.push(...t.events);
            applied.push({ item, run });
          } catch (error) {
            item.reject(error);
          }
        }
        if (applied.length === 0) continue;
        try {
          await commitTransition(this.panel, this.repoId, run, events);
          this.current = run;
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

export function writerFor(panel: Panel, runId: string): RunWriter {
  const view = getRun(panel, runId);
  const { repoId, lastDecision: _ld, ...run } = view;
  return new RunWriter(panel, repoId, run as PanelRun);
}

export async function preflight(panel: Panel, run: PanelRun): Promise<string[]> {
  const tmux = tmuxFor(panel);
  // The tmux and git checks are independent: run them at the same time (same order of reasons).
  const [tmuxFailure, gitFailure] = await Promise.all<string | undefined>([
    (async () => {
      if (!(await tmux.version())) return "tmux:unavailable";
      if (!(await tmux.reachable()).ok) return "tmux:server-unreachable";
      return undefined;
    })(),
    (async () => {
      if ((await runGit(process.cwd(), ["--version"])).code !== 0) return "git:unavailable";
      if (!(await workTreeTopLevel(run.workingDirectory))) return "git:working-directory-unavailable";
      return undefined;
    })(),
  ]);
  const failures: string[] = [tmuxFailure, gitFailure].filter((f): f is string => f !== undefined);
  if (!resolveExecutable(panel.config.codexBin)) failures.push("codex:unavailable");
  return failures;
}

export { PREFLIGHT_HELP } from "./preflight-help";

export async function launchRun(panel: Panel, runId: string): Promise<RunView> {
  await panel.locks.run(runId, async () => {
    const w = writerFor(panel, runId);
    if (!["planned", "running"].includes(w.current.status)) {
      throw new PanelError("CONFLICT", `run is ${w.current.status}; only a planned run can be launched (use resume for a stopped or failed run)`);
    }
    await launchWorkers(panel, w, w.current.workers.filter((x) => LAUNCHABLE.includes(x.status)).map((x) => x.id));
  });
  return getRun(panel, runId);
}

/** Preflight, then provision and launch `workerIds` concurrently (bounded). Caller holds the lock. */
export async function launchWorkers(panel: Panel, w: RunWriter, workerIds: readonly string[]): Promise<void> {
  if (workerIds.length === 0) return;
  const failures = await preflight(panel, w.current);
  if (failures.length > 0) {
    await w.apply((run) => preflightFailed(run, failures, nowIso()));
    return;
  }
  await w.apply((run) => launchStarted(run, workerIds, nowIso()));
  const briefs = new Map(listRoles(panel).map((r) => [r.id, r.brief]));
  const tmux = tmuxFor(panel);
  const [panes, leader] = await Promise.all([
    tmux.listPanes(),
    // Read once for every worker; when it fails, each worker reads (and reports) on its own.
    leaderFacts(w.current.workingDirectory).catch(() => undefined),
  ]);

  /** Record the provisioning, then open the worker's window (or adopt a live one). */
  const launch = async (workerId: string, p: ProvisionResult): Promise<void> => {
    const worker = () => w.current.workers.find((x) => x.id === workerId)!;
    await w.apply((run) => workerProvisioned(run, workerId, p, nowIso()));
    try {
      const session = sessionNameFor(w.current.id);
      const existing = panes.find((p) => p.session === session && p.window === workerId);
      if (existing && !existing.dead) {
        await w.apply((run) => workerAdopted(run, workerId, { transport: "tmux", paneId: existing.paneId, session, window: workerId, socket: tmux.socket }, nowIso()));
        return;
      }
      if (existing) await tmux.killPane(existing.paneId);
      await prepareAttempt(panel, w.current, worker(), briefs.get(worker().role) ?? "");
      const { paneId, windowIndex } = await tmux.openWindow(session, workerId, worker().worktreePath, ["bash", worker().launcherPath]);
      await w.apply((run) =>
        workerLaunched(run, workerId, { transport: "tmux", paneId, session, window: workerId, windowIndex, socket: tmux.socket, launchedAt: nowIso() }, nowIso()),
      );
    } catch (error) {
      await w.apply((run) => workerFailed(run, workerId, "launch_failed", `launch failed: ${(error as Error).message}`, nowIso()));
    }
  };

  // The bounded part is the git work (the checkout is the slow step); recording it and opening
  // the window happen outside the slot, so the next worker's checkout starts at once.
  const launches: Promise<void>[] = [];
  await mapBounded(workerIds, PROVISION_CONCURRENCY, async (workerId) => {
    const worker = w.current.workers.find((x) => x.id === workerId)!;
    let p: ProvisionResult;
    try {
      p = await provisionWorktree({
        repo: w.current.workingDirectory,
        worktreePath: worker.worktreePath,
        branch: worker.worktreeBranch,
        knownBaseCommit: worker.baseCommit,
        serialize: (fn) => panel.locks.run(`git-worktree-add:${w.current.workingDirectory}`, fn),
        leader,
      });
    } catch (error) {
      await w.apply((run) => workerFailed(run, workerId, "provision_failed", `provisioning failed: ${(error as Error).message}`, nowIso()));
      return;
    }
    const started = launch(workerId, p);
    started.catch(() => undefined); // awaited below; never an unhandled rejection meanwhile
    launches.push(started);
  });
  await Promise.all(launches);
}

/** Write task.md, launch.sh and the mailbox; clear a previous attempt's result files. */
export async function prepareAttempt(panel: Panel, run: PanelRun, worker: PanelWorker, brief: string, resume?: { threadId: string; messagePath: string }): Promise<void> {
  const paths = workerRuntimePaths(worker.worktreePath);
  await mkdir(paths.runtimeDir, { recursive: true });
  await clearAttemptArtifacts(worker);
  await writeFile(worker.taskPath, workerTaskText(run, worker, brief), "utf8");
  if (!existsSync(worker.mailboxPath)) await writeFile(worker.mailboxPath, "", "utf8");
  const codexBin = resolveExecutable(panel.config.codexBin);
  if (!codexBin) throw new Error(`${panel.config.codexBin} was not found`);
  const script = launcherScript({
    runId: run.id,
    workerId: worker.id,
    role: worker.role,
    label: worker.label,
    attempt: (worker.attempt ?? 0) + 1,
    worktreePath: worker.worktreePath,
    paths: { ...paths, taskPath: worker.taskPath, resultPath: worker.resultPath, logPath: worker.logPath, exitCodePath: worker.exitCodePath, mailboxPath: worker.mailboxPath },
    stopFilePath: run.stopFilePath,
    outputSchemaPath: run.outputSchemaPath,
    codexBin,
    codexArgs: extraAgentArgs(),
    nodeBin: process.execPath,
    ...bridgeScriptPaths(panel.config.root),
    env: agentEnvironment(),
    resume,
  });
  await writeFile(worker.launcherPath, script, { mode: 0o700 });
  await chmod(worker.launcherPath, 0o700);
}

export async function clearAttemptArtifacts(worker: PanelWorker): Promise<void> {
  const p = workerRuntimePaths(worker.worktreePath);
  // Each attempt gets its own agent event log; the previous one is kept beside it.
  if (existsSync(p.agentEventsPath) && (worker.attempt ?? 0) > 0) {
    await rename(p.agentEventsPath, p.agentEventsPath.replace(/\.jsonl$/, `.attempt-${worker.attempt}.jsonl`));
  }
  await Promise.all(
    [worker.resultPath, worker.exitCodePath, `${worker.resultPath}.commit`, `${worker.resultPath}.stdout`, p.lastMessagePath].map((f) => rm(f, { force: true })),
  );
}

export async function stopRun(panel: Panel, runId: string): Promise<RunView> {
  await panel.locks.run(runId, async () => {
    const w = writerFor(panel, runId);
    if (["completed", "blocked", "stopped"].includes(w.current.status) || w.current.status === "planned") return;
    await finishStop(panel, w);
  });
  return getRun(panel, runId);
}

/** Stop file, stop_requested, kill the panes of unfinished workers, stopped. */
export async function finishStop(panel: Panel, w: RunWriter): Promise<void> {
  await mkdir(dirname(w.current.stopFilePath), { recursive: true });
  await writeFile(w.current.stopFilePath, `${nowIso()}\n`, "utf8");
  if (w.current.status !== "stop_requested") await w.apply((run) => stopRequested(run, nowIso()));
  const tmux = tmuxFor(panel);
  const session = sessionNameFor(w.current.id);
  const panes = await tmux.listPanes();
  for (const worker of w.current.workers.filter((x) => x.status === "stop_requested")) {
    for (const p of panes.filter((p) => p.session === session && (p.window === worker.id || p.paneId === worker.paneId))) await tmux.killPane(p.paneId);
  }
  await w.apply((run) => workersStopped(run, nowIso()));
}

export async function resumeRun(panel: Panel, runId: string): Promise<RunView> {
  await panel.locks.run(runId, async () => {
    const w = writerFor(panel, runId);
    if (["completed", "blocked"].includes(w.current.status)) return;
    if (w.current.status === "running" || w.current.status === "planned") {
      throw new PanelError("CONFLICT", `run is ${w.current.status}; stop it first, or launch it`);
    }
    if (w.current.bridgeStatus === "shutdown") {
      throw new PanelError("CONFLICT", "run was shut down; its worktrees are removed — create a new run instead");
    }
    await rm(w.current.stopFilePath, { force: true });
    const ids = w.current.workers.filter((x) => x.status !== "completed" && x.status !== "blocked").map((x) => x.id);
    await Promise.all(w.current.workers.filter((x) => ids.includes(x.id)).map(clearAttemptArtifacts));
    await w.apply((run) => resumeRequested(run, nowIso()));
    await launchWorkers(panel, w, ids);
  });
  return getRun(panel, runId);
}

export async function shutdownRun(panel: Panel, runId: string): Promise<RunView> {
  await panel.locks.run(runId, async () => {
    const w = writerFor(panel, runId);
    if (w.current.bridgeStatus === "shutdown") return;
    await mkdir(dirname(w.current.stopFilePath), { recursive: true });
    await writeFile(w.current.stopFilePath, `${nowIso()}\n`, "utf8");
    const tmux = tmuxFor(panel);
    await tmux.killSession(sessionNameFor(w.current.id));
    const outcomes: CleanupOutcome[] = [];
    for (const worker of w.current.workers) {
      if (worker.cleanupStatus === "removed") continue;
      if (!existsSync(worker.worktreePath) && worker.cleanupStatus === "not_started") continue;
      const r = await removeWorktreeIfClean(w.current.workingDirectory, worker.worktreePath);
      outcomes.push({ workerId: worker.id, removed: r.removed, reason: r.reason });
    }
    await w.apply((run) => shutdownDone(run, outcomes, nowIso()));
  });
  return getRun(panel, runId);
}
