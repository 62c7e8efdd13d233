/**
 * Launching a run's workers (ARCHITECTURE.md §5): preflight, provisioning (git worktrees, bounded
 * concurrency), the files of the first turn, and one tmux window each. Every state change goes
 * through the door; the caller holds the run open (changeRun).
 */
import { agentFor } from "../../agents/registry";
import { headCommit } from "../../bridge/git";
import { sessionNameFor, type PaneInfo } from "../../bridge/tmux";
import type { WorkerTransport } from "../../bridge/transport/types";
import { leaderFacts, type ProvisionResult } from "../../bridge/worktree";
import { mapBounded } from "../../core/bounded";
import { PanelError } from "../../core/errors";
import type { PanelRun } from "../../core/records";
import { WORKER_LAUNCHABLE } from "../../core/status";
import { launchConfig, prepareWorkspace, type LaunchConfig } from "../config/workspace";
import { changeRun, type RunDoor } from "../door";
import { launchStarted, preflightFailed, workerAdopted, workerFailed, workerLaunched, workerProvisioned } from "../machine";
import { workersAwaitApproval, workspacePrepared } from "../machine-setup";
import type { Panel } from "../panel";
import { listRoles } from "../roles/catalog";
import { getRun, type RunView } from "../runs/queries";
import { byTransport, transportFor } from "../transports";
import { prepareAttempt } from "./attempt";
import { moveRuntimeOut } from "./runtime";

export { PREFLIGHT_HELP } from "./preflight-help";

export const PROVISION_CONCURRENCY = 4;

const nowIso = () => new Date().toISOString();

/**
 * What must be in place before anything is created, on every machine the workers run on: tmux,
 * git, the members' agents, the sandbox when required (each transport checks its own machine).
 */
export async function preflight(panel: Panel, run: PanelRun, workerIds: readonly string[]): Promise<string[]> {
  const groups = byTransport(panel, run, run.workers.filter((w) => workerIds.includes(w.id)));
  const found = await Promise.all(groups.map(({ transport, workers }) => {
    const agents = [...new Set(workers.map((w) => w.agent))].map((id) => agentFor(id));
    return transport.preflight(run, agents, transport.kind === "local" ? panel.config.agentBins : transport.agentBins ?? {}, panel.config.sandbox);
  }));
  return [...new Set(found.flat())];
}

/**
 * The repository config for a worker on a host (ARCHITECTURE.md §10, §3 "Transports"): its env
 * applies there as here; its setup, teardown, copied files and ports need the worktree on this
 * machine and are not supported on hosts yet — the worker is refused with what to do.
 */
async function prepareHostWorkspace(panel: Panel, door: RunDoor, workerId: string, cfg: LaunchConfig): Promise<void> {
  if (cfg.kind !== "approved") return prepareWorkspace(panel, door, workerId, cfg); // (nothing of a config then: no local files touched)
  const c = cfg.config;
  const unsupported = [c.setup ? "setup" : "", c.teardown ? "teardown" : "", c.copy?.length ? "copy" : "", c.ports ? "ports" : ""].filter(Boolean);
  if (unsupported.length > 0) {
    throw new Error(`the repository's .longtable-panel.json uses ${unsupported.join(", ")}, which workers on hosts do not support yet: place this member on this machine, or leave ${unsupported.length > 1 ? "them" : "it"} out of the config`);
  }
  await door.apply((r) => workspacePrepared(r, workerId, { sha256: cfg.sha256, ports: [], hasSetup: false, copied: { files: [], skipped: [] } }, nowIso()));
}

/** runs.launch: only a run this panel created, or one the user launches explicitly here. */
export async function launchRun(panel: Panel, runId: string): Promise<RunView> {
  await changeRun(panel, runId, async (door) => {
    if (!["planned", "running"].includes(door.current.status)) {
      throw new PanelError("CONFLICT", `run is ${door.current.status}; only a planned run can be launched (use resume for a stopped or failed run)`);
    }
    await launchWorkers(panel, door, door.current.workers.filter((x) => WORKER_LAUNCHABLE.includes(x.status)).map((x) => x.id));
  });
  return getRun(panel, runId);
}

/** Preflight, then provision and launch `workerIds` concurrently (bounded). */
export async function launchWorkers(panel: Panel, door: RunDoor, workerIds: readonly string[]): Promise<void> {
  if (workerIds.length === 0) return;
  const failures = await preflight(panel, door.current, workerIds);
  if (failures.length > 0) {
    await door.apply((run) => preflightFailed(run, failures, nowIso()));
    return;
  }
  const launching = door.current.workers.filter((w) => workerIds.includes(w.id));
  const transports = [...new Set(launching.map((w) => transportFor(panel, w)))];
  const [paneLists, leader] = await Promise.all([
    // One pane list per machine; a machine whose list fails has none to adopt.
    Promise.all(transports.map((t) => t.tmux.listPanes().catch(() => [] as PaneInfo[]))),
    // Read once for every worker; when it fails, each worker reads (and reports) on its own.
    leaderFacts(door.current.workingDirectory).catch(() => undefined),
  ]);
  const panesOf = new Map<WorkerTransport, PaneInfo[]>(transports.map((t, i) => [t, paneLists[i]!]));
  // The repository's config at the commit the workers start from (ARCHITECTURE.md §10): refused
  // when invalid, and nothing starts until the operator approved its exact text.
  const cfg = await launchConfig(panel, door.current.workingDirectory, leader?.head ?? (await headCommit(door.current.workingDirectory)));
  if (cfg.kind === "invalid") {
    await door.apply((run) => preflightFailed(run, [cfg.reason], nowIso()));
    return;
  }
  if (cfg.kind === "awaiting") {
    await door.apply((run) => workersAwaitApproval(run, workerIds, cfg.sha256, cfg.commit, nowIso()));
    return;
  }
  await moveRuntimeOut(door, workerIds);
  await door.apply((run) => launchStarted(run, workerIds, nowIso()));
  const briefs = new Map(listRoles(panel).map((r) => [r.id, r.brief]));

  /** Record the provisioning, then open the worker's window (or adopt a live one). */
  const launch = async (workerId: string, p: ProvisionResult): Promise<void> => {
    const worker = () => door.current.workers.find((x) => x.id === workerId)!;
    const transport = transportFor(panel, worker());
    const tmux = transport.tmux;
    await door.apply((run) => workerProvisioned(run, workerId, p, nowIso()));
    try {
      const session = sessionNameFor(door.current.id);
      const existing = panesOf.get(transport)!.find((p) => p.session === session && p.window === workerId);
      const where = transport.hostId ? { host: transport.hostId } : {};
      if (existing && !existing.dead) {
        await door.apply((run) => workerAdopted(run, workerId, { transport: "tmux", paneId: existing.paneId, session, window: workerId, socket: tmux.socket, ...where }, nowIso()));
        transport.watch(door.current, worker());
        return;
      }
      if (existing) await tmux.killPane(existing.paneId);
      if (transport.kind === "local") await prepareWorkspace(panel, door, workerId, cfg);
      else await prepareHostWorkspace(panel, door, workerId, cfg);
      const { argv, cwd } = await prepareAttempt(panel, door.current, worker(), { brief: briefs.get(worker().role) ?? "" });
      const { paneId, windowIndex } = await tmux.openWindow(session, workerId, cwd, argv);
      await door.apply((run) =>
        workerLaunched(run, workerId, { transport: "tmux", paneId, session, window: workerId, windowIndex, socket: tmux.socket, launchedAt: nowIso(), ...where }, nowIso()),
      );
      transport.watch(door.current, worker());
    } catch (error) {
      await door.apply((run) => workerFailed(run, workerId, "launch_failed", `launch failed: ${(error as Error).message}`, nowIso()));
    }
  };

  // The bounded part is the git work (the checkout is the slow step); recording it and opening
  // the window happen outside the slot, so the next worker's checkout starts at once.
  const launches: Promise<void>[] = [];
  await mapBounded(workerIds, PROVISION_CONCURRENCY, async (workerId) => {
    const worker = door.current.workers.find((x) => x.id === workerId)!;
    let p: ProvisionResult;
    try {
      p = await transportFor(panel, worker).provision({
        run: door.current,
        worker,
        knownBaseCommit: worker.baseCommit,
        serialize: (fn) => panel.locks.run(`git-worktree-add:${door.current.workingDirectory}`, fn),
        leader,
      });
    } catch (error) {
      await door.apply((run) => workerFailed(run, workerId, "provision_failed", `provisioning failed: ${(error as Error).message}`, nowIso()));
      return;
    }
    const started = launch(workerId, p);
    started.catch(() => undefined); // awaited below; never an unhandled rejection meanwhile
    launches.push(started);
  });
  await Promise.all(launches);
}
