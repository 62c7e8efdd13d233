/**
 * Launching a run's workers (ARCHITECTURE.md §5): preflight, provisioning (git worktrees, bounded
 * concurrency), the files of the first turn, and one tmux window each. Every state change goes
 * through the door; the caller holds the run open (changeRun).
 */
import { agentBinSetting, agentFor, agentSandboxProblem } from "../../agents/registry";
import { resolveExecutable } from "../../agents/executable";
import { headCommit, runGit, workTreeTopLevel } from "../../bridge/git";
import { sessionNameFor } from "../../bridge/tmux";
import { leaderFacts, provisionWorktree, type ProvisionResult } from "../../bridge/worktree";
import { mapBounded } from "../../core/bounded";
import { PanelError } from "../../core/errors";
import type { PanelRun } from "../../core/records";
import { WORKER_LAUNCHABLE } from "../../core/status";
import { launchConfig, prepareWorkspace } from "../config/workspace";
import { changeRun, type RunDoor } from "../door";
import { launchStarted, preflightFailed, workerAdopted, workerFailed, workerLaunched, workerProvisioned } from "../machine";
import { workersAwaitApproval } from "../machine-setup";
import type { Panel } from "../panel";
import { listRoles } from "../roles/catalog";
import { getRun, type RunView } from "../runs/queries";
import { launchSandbox, prepareAttempt } from "./attempt";
import { moveRuntimeOut } from "./runtime";

export { PREFLIGHT_HELP } from "./preflight-help";

export const PROVISION_CONCURRENCY = 4;

const nowIso = () => new Date().toISOString();

/** What must be in place before anything is created: tmux, git, the members' agents, the sandbox when required. */
export async function preflight(panel: Panel, run: PanelRun, workerIds: readonly string[]): Promise<string[]> {
  const tmux = panel.tmux;
  // The tmux and git checks are independent: run them at the same time (same order of reasons).
  const [tmuxFailure, gitFailure, sandboxFailure] = await Promise.all<string | undefined>([
    (async () => {
      if (!(await tmux.version())) return "tmux:unavailable";
      if (!(await tmux.reachable()).ok) return "tmux:server-unreachable";
      return undefined;
    })(),
    (async () => {
      if ((await runGit("/", ["--version"])).code !== 0) return "git:unavailable";
      if (!(await workTreeTopLevel(run.workingDirectory))) return "git:working-directory-unavailable";
      return undefined;
    })(),
    launchSandbox(panel).then((status) => (status.active ? undefined : "sandbox:inactive"), () => "sandbox:unavailable"),
  ]);
  const failures: string[] = [tmuxFailure, gitFailure, sandboxFailure].filter((f): f is string => f !== undefined && f !== "sandbox:inactive");
  const agents = new Set(run.workers.filter((w) => workerIds.includes(w.id)).map((w) => w.agent));
  for (const id of agents) {
    const agent = agentFor(id);
    if (!resolveExecutable(agentBinSetting(agent, panel.config.agentBins))) failures.push(`${id}:unavailable`);
    // An agent without a sandbox of its own runs only inside the panel's (server/agents/README.md).
    if (sandboxFailure === "sandbox:inactive" && agentSandboxProblem(agent, false)) failures.push(`${id}:sandbox-required`);
  }
  return failures;
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
  const tmux = panel.tmux;
  const [panes, leader] = await Promise.all([
    tmux.listPanes(),
    // Read once for every worker; when it fails, each worker reads (and reports) on its own.
    leaderFacts(door.current.workingDirectory).catch(() => undefined),
  ]);
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
    await door.apply((run) => workerProvisioned(run, workerId, p, nowIso()));
    try {
      const session = sessionNameFor(door.current.id);
      const existing = panes.find((p) => p.session === session && p.window === workerId);
      if (existing && !existing.dead) {
        await door.apply((run) => workerAdopted(run, workerId, { transport: "tmux", paneId: existing.paneId, session, window: workerId, socket: tmux.socket }, nowIso()));
        return;
      }
      if (existing) await tmux.killPane(existing.paneId);
      await prepareWorkspace(panel, door, workerId, cfg);
      const { argv, cwd } = await prepareAttempt(panel, door.current, worker(), { brief: briefs.get(worker().role) ?? "" });
      const { paneId, windowIndex } = await tmux.openWindow(session, workerId, cwd, argv);
      await door.apply((run) =>
        workerLaunched(run, workerId, { transport: "tmux", paneId, session, window: workerId, windowIndex, socket: tmux.socket, launchedAt: nowIso() }, nowIso()),
      );
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
      p = await provisionWorktree({
        repo: door.current.workingDirectory,
        worktreePath: worker.worktreePath,
        branch: worker.worktreeBranch,
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
