/** Stop, resume and shut down a run (ARCHITECTURE.md §2). Every state change goes through the door. */
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { runLayout } from "../../bridge/layout";
import { sessionNameFor } from "../../bridge/tmux";
import { PanelError } from "../../core/errors";
import type { PanelRun } from "../../core/records";
import { launchIgnored } from "../config/ignored";
import { teardownThroughDoor } from "../config/teardown";
import { changeRun, type RunDoor } from "../door";
import { resumeRequested, shutdownDone, stopRequested, workersStopped, type CleanupOutcome } from "../machine";
import { chain, portsReleased } from "../machine-setup";
import type { Panel } from "../panel";
import { getRun, type RunView } from "../runs/queries";
import { byTransport } from "../transports";
import { clearWorkerAttempt } from "./attempt";
import { launchWorkers } from "./launch";

const nowIso = () => new Date().toISOString();

export async function stopRun(panel: Panel, runId: string): Promise<RunView> {
  await changeRun(panel, runId, async (door) => {
    // A planned run has nothing to stop, unless workers wait for the repo config's approval (§10):
    // stopped, they no longer start when it comes.
    const waiting = door.current.workers.some((w) => w.status === "pending" && w.setup?.state === "awaiting_approval");
    if (["completed", "blocked", "stopped"].includes(door.current.status) || (door.current.status === "planned" && !waiting)) return;
    await assertMachinesReachable(panel, door.current, "stop the run");
    await finishStop(panel, door);
  });
  return getRun(panel, runId);
}

/** The run's stop-requested marker on every other machine its workers run on (the launcher there reads it). */
async function markStoppedElsewhere(panel: Panel, run: PanelRun): Promise<void> {
  for (const { transport } of byTransport(panel, run)) {
    if (transport.kind === "local") continue;
    const file = runLayout(transport.root(run), run.id).stopFilePath;
    await transport.applyFiles([{ op: "mkdir", path: dirname(file) }, { op: "write", path: file, data: `${nowIso()}\n` }]);
  }
}

/**
 * Refuse, before anything changes, an action that needs every machine of the run while one is
 * unreachable: its workers keep running there, and the action can be taken when it is back.
 */
async function assertMachinesReachable(panel: Panel, run: PanelRun, what: string): Promise<void> {
  for (const { transport } of byTransport(panel, run)) {
    if (transport.kind === "local") continue;
    const r = await transport.tmux.reachable().catch((e: Error) => ({ ok: false, reason: e.message }));
    if (!r.ok) throw new PanelError("PRECONDITION_FAILED", `${transport.describe()} cannot be reached (${r.reason ?? "no connection"}); its workers keep running there — ${what} when it is back (nothing was changed)`);
  }
}

/** Stop file, stop_requested, kill the panes of unfinished workers (on the panels' sockets only), stopped. */
export async function finishStop(panel: Panel, door: RunDoor): Promise<void> {
  await mkdir(dirname(door.current.stopFilePath), { recursive: true });
  await writeFile(door.current.stopFilePath, `${nowIso()}\n`, "utf8");
  await markStoppedElsewhere(panel, door.current);
  if (door.current.status !== "stop_requested") await door.apply((run) => stopRequested(run, nowIso()));
  const session = sessionNameFor(door.current.id);
  for (const { transport, workers } of byTransport(panel, door.current, door.current.workers.filter((x) => x.status === "stop_requested"))) {
    const panes = await transport.tmux.listPanes();
    for (const worker of workers) {
      for (const p of panes.filter((p) => p.session === session && (p.window === worker.id || p.paneId === worker.runtime?.paneId))) await transport.tmux.killPane(p.paneId);
    }
    transport.unwatchRun(door.current.id);
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
    await assertMachinesReachable(panel, door.current, "resume the run");
    await rm(door.current.stopFilePath, { force: true });
    for (const { transport } of byTransport(panel, door.current)) {
      if (transport.kind !== "local") await transport.applyFiles([{ op: "rm", path: runLayout(transport.root(door.current), door.current.id).stopFilePath }]);
    }
    const workers = door.current.workers.filter((x) => x.status !== "completed" && x.status !== "blocked");
    for (const w of workers) {
      if (w.runtimeLayout === "panel") await clearWorkerAttempt(panel, door.current, w);
    }
    await door.apply((run) => resumeRequested(run, nowIso()));
    await launchWorkers(panel, door, workers.map((x) => x.id));
  });
  return getRun(panel, runId);
}

export async function shutdownRun(panel: Panel, runId: string): Promise<RunView> {
  await changeRun(panel, runId, async (door) => {
    if (door.current.bridgeStatus === "shutdown") return;
    await assertMachinesReachable(panel, door.current, "shut the run down");
    await mkdir(dirname(door.current.stopFilePath), { recursive: true });
    await writeFile(door.current.stopFilePath, `${nowIso()}\n`, "utf8");
    await markStoppedElsewhere(panel, door.current);
    const groups = byTransport(panel, door.current);
    for (const { transport } of groups) await transport.tmux.killSession(sessionNameFor(door.current.id));
    // The repo config's teardown first (ARCHITECTURE.md §10): reported, never blocking the removal.
    await Promise.all(door.current.workers.filter((w) => w.cleanupStatus !== "removed").map((w) => teardownThroughDoor(panel, door, w.id)));
    const outcomes: CleanupOutcome[] = [];
    for (const { transport, workers } of groups) {
      for (const worker of workers) {
        if (worker.cleanupStatus === "removed") continue;
        // Never provisioned (a worker elsewhere is only known to have a worktree once provisioned).
        if (worker.cleanupStatus === "not_started" && (transport.kind !== "local" || !existsSync(worker.worktreePath))) continue;
        const r = await transport.removeWorktree(door.current, worker, false, launchIgnored(door.current, worker));
        outcomes.push({ workerId: worker.id, removed: r.removed, reason: r.reason });
      }
    }
    // Every worker's ports go back to the pool: the run's windows are closed.
    await door.apply((run) => chain(shutdownDone(run, outcomes, nowIso()), (next) => portsReleased(next, next.workers.map((w) => w.id), nowIso())));
  });
  return getRun(panel, runId);
}
