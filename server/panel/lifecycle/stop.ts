/** Stop, resume and shut down a run (ARCHITECTURE.md §2). Every state change goes through the door. */
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { workerLayout } from "../../bridge/layout";
import { sessionNameFor } from "../../bridge/tmux";
import { removeWorktreeIfClean } from "../../bridge/worktree";
import { PanelError } from "../../core/errors";
import { launchIgnored } from "../config/ignored";
import { teardownThroughDoor } from "../config/teardown";
import { changeRun, type RunDoor } from "../door";
import { resumeRequested, shutdownDone, stopRequested, workersStopped, type CleanupOutcome } from "../machine";
import { chain, portsReleased } from "../machine-setup";
import type { Panel } from "../panel";
import { getRun, type RunView } from "../runs/queries";
import { clearAttemptFiles } from "./attempt";
import { launchWorkers } from "./launch";

const nowIso = () => new Date().toISOString();

export async function stopRun(panel: Panel, runId: string): Promise<RunView> {
  await changeRun(panel, runId, async (door) => {
    // A planned run has nothing to stop, unless workers wait for the repo config's approval (§10):
    // stopped, they no longer start when it comes.
    const waiting = door.current.workers.some((w) => w.status === "pending" && w.setup?.state === "awaiting_approval");
    if (["completed", "blocked", "stopped"].includes(door.current.status) || (door.current.status === "planned" && !waiting)) return;
    await finishStop(panel, door);
  });
  return getRun(panel, runId);
}

/** Stop file, stop_requested, kill the panes of unfinished workers (on the panel's socket only), stopped. */
export async function finishStop(panel: Panel, door: RunDoor): Promise<void> {
  await mkdir(dirname(door.current.stopFilePath), { recursive: true });
  await writeFile(door.current.stopFilePath, `${nowIso()}\n`, "utf8");
  if (door.current.status !== "stop_requested") await door.apply((run) => stopRequested(run, nowIso()));
  const tmux = panel.tmux;
  const session = sessionNameFor(door.current.id);
  const panes = await tmux.listPanes();
  for (const worker of door.current.workers.filter((x) => x.status === "stop_requested")) {
    for (const p of panes.filter((p) => p.session === session && (p.window === worker.id || p.paneId === worker.runtime?.paneId))) await tmux.killPane(p.paneId);
  }
  await door.apply((run) => workersStopped(run, nowIso()));
}

export async function resumeRun(panel: Panel, runId: string): Promise<RunView> {
  await changeRun(panel, runId, async (door) => {
    if (["completed", "blocked"].includes(door.current.status)) return;
    if (door.current.status === "running" || door.current.status === "planned") {
      throw new PanelError("CONFLICT", `run is ${door.current.status}; stop it first, or launch it`);
    }
    if (door.current.bridgeStatus === "shutdown") {
      throw new PanelError("CONFLICT", "run was shut down; its worktrees are removed — create a new run instead");
    }
    await rm(door.current.stopFilePath, { force: true });
    const workers = door.current.workers.filter((x) => x.status !== "completed" && x.status !== "blocked");
    for (const w of workers) {
      if (w.runtimeLayout === "panel") await clearAttemptFiles(workerLayout(door.current.workingDirectory, door.current.id, w.id), w.attempt ?? 0);
    }
    await door.apply((run) => resumeRequested(run, nowIso()));
    await launchWorkers(panel, door, workers.map((x) => x.id));
  });
  return getRun(panel, runId);
}

export async function shutdownRun(panel: Panel, runId: string): Promise<RunView> {
  await changeRun(panel, runId, async (door) => {
    if (door.current.bridgeStatus === "shutdown") return;
    await mkdir(dirname(door.current.stopFilePath), { recursive: true });
    await writeFile(door.current.stopFilePath, `${nowIso()}\n`, "utf8");
    await panel.tmux.killSession(sessionNameFor(door.current.id));
    // The repo config's teardown first (ARCHITECTURE.md §10): reported, never blocking the removal.
    await Promise.all(door.current.workers.filter((w) => w.cleanupStatus !== "removed").map((w) => teardownThroughDoor(panel, door, w.id)));
    const outcomes: CleanupOutcome[] = [];
    for (const worker of door.current.workers) {
      if (worker.cleanupStatus === "removed") continue;
      if (!existsSync(worker.worktreePath) && worker.cleanupStatus === "not_started") continue;
      const r = await removeWorktreeIfClean(door.current.workingDirectory, worker.worktreePath, { reproducible: launchIgnored(door.current, worker) });
      outcomes.push({ workerId: worker.id, removed: r.removed, reason: r.reason });
    }
    // Every worker's ports go back to the pool: the run's windows are closed.
    await door.apply((run) => chain(shutdownDone(run, outcomes, nowIso()), (next) => portsReleased(next, next.workers.map((w) => w.id), nowIso())));
  });
  return getRun(panel, runId);
}
