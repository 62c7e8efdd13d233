/**
 * The pure run/worker state machine. Functions here take records and return new records plus
 * the lifecycle events to append; they never touch the disk, git, tmux or the database.
 */
import type { AgentId, Mode, WorkerStatus } from "../core/enums";
import { deriveBridgeStatus, deriveRunStatus } from "../core/status";
import { newEventId, workerIdFor } from "../core/ids";
import type { Decision, PanelEvent, PanelRun, PanelWorker, WorkerRuntime } from "../core/records";
import type { ActivityEvent } from "../events/bus";
import type { RoleDefinition } from "./roles/roles";

/** What a transition produces: the next record, the lifecycle events, and agent activity rows. */
export interface Transition {
  run: PanelRun;
  events: PanelEvent[];
  /** Agent activity rows (not part of run.json; mirrored in the `activity` table only). */
  activity?: ActivityRow[];
}

export type ActivityRow = Omit<ActivityEvent, "seq">;

export function makeEvent(type: PanelEvent["type"], message: string, at: string, extra: Partial<PanelEvent> = {}): PanelEvent {
  return { id: newEventId(Date.parse(at) || Date.now()), createdAt: at, type, message, ...extra };
}

export function appendDiagnostic(list: readonly string[], diagnostic: string): string[] {
  return list.includes(diagnostic) ? [...list] : [...list, diagnostic];
}

/** The paths a new record carries (derived by server/bridge/layout.ts; the machine only copies them). */
export interface RecordPaths {
  run: {
    runDirectory: string;
    worktreeDirectory: string;
    eventLogPath: string;
    outputSchemaPath: string;
    stopFilePath: string;
    aggregateResultPath: string;
    taskDirectory: string;
    resultDirectory: string;
    logDirectory: string;
    launcherDirectory: string;
    mailboxDirectory: string;
  };
  worker(workerId: string): Pick<
    PanelWorker,
    "taskPath" | "resultPath" | "logPath" | "launcherPath" | "exitCodePath" | "mailboxPath" | "taskStatePath" | "worktreePath" | "worktreeBranch"
  >;
}

export interface MemberInput {
  role: RoleDefinition;
  agent: AgentId;
  model?: string;
  /** A registered host the worker runs on (absent: this machine). */
  host?: string;
}

export interface CreateRunInput {
  runId: string;
  repoPath: string;
  prompt: string;
  mode: Mode;
  members: readonly MemberInput[];
  targetBranch?: string;
  leaderHead?: string;
  now: string;
  paths: RecordPaths;
}

export function createRunRecord(input: CreateRunInput): Transition {
  const { runId } = input;
  const workers: PanelWorker[] = input.members.map((member, index) => {
    const id = workerIdFor(index, member.role.id);
    const p = input.paths.worker(id);
    return {
      id,
      role: member.role.id,
      label: member.role.label,
      required: true,
      agent: member.agent,
      ...(member.model ? { model: member.model } : {}),
      ...(member.host ? { host: member.host } : {}),
      runtimeLayout: "panel",
      status: "pending",
      executionState: "not_started",
      cleanupStatus: "not_started",
      ...p,
      updatedAt: input.now,
      attempt: 0,
      diagnostics: [],
    };
  });
  const run: PanelRun = {
    id: runId,
    schemaVersion: 1,
    kind: "longtable.panelWorkerRun",
    createdAt: input.now,
    updatedAt: input.now,
    status: "planned",
    bridgeStatus: "not_requested",
    mode: input.mode,
    prompt: input.prompt,
    workingDirectory: input.repoPath,
    invocationId: runId.replace(/^panel_run_/, "invocation_"),
    planId: runId.replace(/^panel_run_/, "plan_"),
    targetBranch: input.targetBranch,
    leaderHead: input.leaderHead,
    // What the LongTable CLI's reader requires of a record (docs/cli-interop.md §5).
    visibility: "always_visible",
    requestedSurface: "native_workers",
    fallbackSurface: "sequential_fallback",
    provider: workers[0]?.agent === "claude" ? "claude" : "codex",
    ...input.paths.run,
    sequentialFallbackAvailable: true,
    workers,
    diagnostics: [],
  };
  const agents = [...new Set(workers.map((w) => w.agent))].join(" + ");
  return {
    run,
    events: [makeEvent("run_created", `Panel run created with ${workers.length} member(s) in ${input.mode} mode (${agents}).`, input.now)],
  };
}

// ---------------------------------------------------------------------------------------------
// Transitions. Each takes the current run and returns the next run and the events to append.

export type WorkerPatch = Partial<PanelWorker>;

export function withWorker(run: PanelRun, workerId: string, patch: (w: PanelWorker) => WorkerPatch, now: string): PanelRun {
  let found = false;
  const workers = run.workers.map((w) => {
    if (w.id !== workerId) return w;
    found = true;
    return { ...w, ...patch(w), updatedAt: now };
  });
  if (!found) throw new Error(`run ${run.id} has no worker ${workerId}`);
  return { ...run, workers };
}

/** Recompute the run status and bridge status from the workers (ARCHITECTURE.md §2). */
export function settle(run: PanelRun, now: string): PanelRun {
  const status = deriveRunStatus(run.workers);
  const failed = run.workers.find((w) => w.status === "failed");
  return {
    ...run,
    status,
    bridgeStatus: deriveBridgeStatus(status, run.workers),
    bridgeFailureReason: failed ? failed.failureReason ?? failed.error : undefined,
    updatedAt: now,
  };
}


export function preflightFailed(run: PanelRun, failures: readonly string[], now: string): Transition {
  const reason = failures.join(", ");
  const workers = run.workers.map((w) =>
    w.status === "completed"
      ? w
      : {
          ...w,
          status: "failed" as const,
          executionState: "preflight_failed" as const,
          failureReason: reason,
          error: reason,
          updatedAt: now,
          diagnostics: appendDiagnostic(w.diagnostics, "Preflight failed before launch; nothing was created."),
        },
  );
  return {
    run: {
      ...run,
      workers,
      status: "failed",
      bridgeStatus: "preflight_failed",
      bridgeFailureReason: reason,
      updatedAt: now,
      diagnostics: [...new Set([...run.diagnostics, ...failures])],
    },
    events: [makeEvent("preflight_failed", reason, now)],
  };
}

export function launchStarted(run: PanelRun, workerIds: readonly string[], now: string): Transition {
  const ids = new Set(workerIds);
  const workers = run.workers.map((w) =>
    ids.has(w.id)
      ? { ...w, status: "pending" as const, executionState: "provisioning" as const, error: undefined, failureReason: undefined, updatedAt: now }
      : w,
  );
  return { run: { ...run, workers, status: "running", bridgeStatus: "provisioning", updatedAt: now }, events: [] };
}

export function workerProvisioned(
  run: PanelRun,
  workerId: string,
  info: { baseCommit: string; headCommit: string; diagnostics: readonly string[] },
  now: string,
): Transition {
  const next = withWorker(run, workerId, (w) => ({
    executionState: "provisioned",
    cleanupStatus: "retained",
    baseCommit: info.baseCommit,
    worktreeCommit: info.headCommit,
    diagnostics: info.diagnostics.reduce(appendDiagnostic, appendDiagnostic(w.diagnostics, "Writable git worktree provisioned.")),
  }), now);
  const w = next.workers.find((x) => x.id === workerId)!;
  return {
    run: { ...next, bridgeStatus: "launching", updatedAt: now },
    events: [makeEvent("worktree_provisioned", `Worktree provisioned on ${w.worktreeBranch} (base ${info.baseCommit.slice(0, 12)}).`, now, { workerId, path: w.worktreePath })],
  };
}

export function workerLaunched(run: PanelRun, workerId: string, runtime: WorkerRuntime, now: string): Transition {
  const next = withWorker(run, workerId, (w) => ({
    status: "running",
    executionState: "running",
    paneId: undefined,
    runtime,
    startedAt: now,
    completedAt: undefined,
    attempt: (w.attempt ?? 0) + 1,
    diagnostics: appendDiagnostic(w.diagnostics, "Launched in a tmux window on the panel socket; codex runs workspace-write in the worker worktree."),
  }), now);
  return {
    run: settle(next, now),
    events: [makeEvent("worker_launched", `Worker launched in tmux pane ${runtime.paneId} (${runtime.session}:${runtime.window})${runtime.host ? ` on host ${runtime.host}` : ""}.`, now, { workerId, path: next.workers.find((w) => w.id === workerId)!.worktreePath })],
  };
}

/** Adopt a pane found in tmux for a worker whose launch was interrupted (restart safety). */
export function workerAdopted(run: PanelRun, workerId: string, runtime: WorkerRuntime, now: string): Transition {
  const next = withWorker(run, workerId, (w) => ({
    status: "running",
    executionState: "running",
    paneId: undefined,
    runtime: { ...w.runtime, ...runtime },
    startedAt: w.startedAt ?? now,
    attempt: Math.max(1, w.attempt ?? 0),
    diagnostics: appendDiagnostic(w.diagnostics, "Picked up a worker that kept running in tmux while the server was down."),
  }), now);
  return { run: settle(next, now), events: [] };
}

export function workerFailed(
  run: PanelRun,
  workerId: string,
  executionState: "provision_failed" | "launch_failed" | "running" | "result_ready",
  reason: string,
  now: string,
  commit?: string,
): Transition {
  const next = withWorker(run, workerId, (w) => ({
    status: "failed",
    executionState,
    failureReason: reason,
    error: reason,
    completedAt: now,
    worktreeCommit: commit ?? w.worktreeCommit,
    diagnostics: appendDiagnostic(w.diagnostics, reason),
  }), now);
  return { run: settle(next, now), events: [makeEvent("worker_failed", reason, now, { workerId })] };
}

export interface ResultInfo {
  status: "completed" | "blocked" | "error";
  role: string;
  label: string;
  summary: string;
  error: string;
}

/** A result file arrived: completed/blocked when it is the worker's own, failed otherwise. */
export function workerResult(run: PanelRun, workerId: string, result: ResultInfo, commit: string | undefined, now: string): Transition {
  const w = run.workers.find((x) => x.id === workerId);
  if (!w) throw new Error(`run ${run.id} has no worker ${workerId}`);
  if (result.role !== w.role || result.label !== w.label) {
    const reason = `role mismatch: the result is for ${JSON.stringify(result.label)} (${JSON.stringify(result.role)}), expected ${JSON.stringify(w.label)} (${w.role})`;
    return workerFailed(run, workerId, "result_ready", reason, now, commit);
  }
  if (result.status === "error") {
    return workerFailed(run, workerId, "result_ready", result.error || "the agent reported an error without a message", now, commit);
  }
  const status: "completed" | "blocked" = result.status;
  const next = withWorker(run, workerId, (x) => ({
    status,
    executionState: "result_ready",
    completedAt: now,
    worktreeCommit: commit ?? x.worktreeCommit,
    error: undefined,
    failureReason: undefined,
  }), now);
  const summary = result.summary.split("\n")[0]?.slice(0, 200) ?? "";
  return {
    run: settle(next, now),
    events: [makeEvent("worker_result", `${w.label}: ${result.status}${summary ? ` — ${summary}` : ""}`, now, { workerId, path: w.resultPath })],
  };
}

export function workerPatched(run: PanelRun, workerId: string, patch: WorkerPatch, now: string): Transition {
  return { run: withWorker(run, workerId, () => patch, now), events: [] };
}

export function stopRequested(run: PanelRun, now: string): Transition {
  const workers = run.workers.map((w) =>
    w.status === "completed" || w.status === "blocked"
      ? w
      : { ...w, status: "stop_requested" as const, executionState: "stopping" as const, updatedAt: now, diagnostics: appendDiagnostic(w.diagnostics, "Stop requested.") },
  );
  return {
    run: { ...run, workers, status: "stop_requested", bridgeStatus: "stop_requested", updatedAt: now },
    events: [makeEvent("stop_requested", "Stop requested: unfinished workers are being stopped.", now)],
  };
}

export function workersStopped(run: PanelRun, now: string): Transition {
  const workers = run.workers.map((w) =>
    w.status === "stop_requested"
      ? {
          ...w,
          status: "stopped" as const,
          executionState: "stopped" as const,
          runtime: w.runtime ? { ...w.runtime, stoppedAt: now } : w.runtime,
          updatedAt: now,
        }
      : w,
  );
  const next = settle({ ...run, workers }, now);
  return { run: next, events: [makeEvent("run_status_changed", `Run ${next.status}.`, now)] };
}

export function resumeRequested(run: PanelRun, now: string): Transition {
  const workers = run.workers.map((w) =>
    w.status === "completed" || w.status === "blocked"
      ? w
      : {
          ...w,
          status: "pending" as const,
          executionState: "not_started" as const,
          paneId: undefined,
          error: undefined,
          failureReason: undefined,
          completedAt: undefined,
          updatedAt: now,
          diagnostics: appendDiagnostic(w.diagnostics, "Resume requested; ready to relaunch."),
        },
  );
  return {
    run: { ...run, workers, status: "planned", bridgeStatus: "not_requested", bridgeFailureReason: undefined, updatedAt: now },
    events: [makeEvent("resume_requested", "Resume requested; unfinished workers will be relaunched.", now)],
  };
}

export interface CleanupOutcome {
  workerId: string;
  removed: boolean;
  reason?: string;
}

export function shutdownDone(run: PanelRun, outcomes: readonly CleanupOutcome[], now: string): Transition {
  const byId = new Map(outcomes.map((o) => [o.workerId, o]));
  const events: PanelEvent[] = [];
  const workers = run.workers.map((w) => {
    const o = byId.get(w.id);
    const finished = w.status === "completed" || w.status === "blocked" || w.status === "failed";
    const base = {
      ...w,
      status: finished ? w.status : ("stopped" as const),
      shutdownRequestedAt: now,
      runtime: w.runtime ? { ...w.runtime, shutdownAt: now } : w.runtime,
      updatedAt: now,
    };
    if (!o) return { ...base, executionState: "shutdown" as const };
    if (o.removed) return { ...base, executionState: "shutdown" as const, cleanupStatus: "removed" as const };
    events.push(makeEvent("cleanup_failed", o.reason ?? "worktree removal failed", now, { workerId: w.id, path: w.worktreePath }));
    return {
      ...base,
      executionState: "cleanup_failed" as const,
      cleanupStatus: "failed" as const,
      failureReason: o.reason,
      diagnostics: appendDiagnostic(w.diagnostics, `Worktree kept: ${o.reason ?? "removal failed"}`),
    };
  });
  const anyFailed = workers.some((w) => w.cleanupStatus === "failed");
  const status = deriveRunStatus(workers);
  return {
    run: { ...run, workers, status, bridgeStatus: anyFailed ? "failed" : "shutdown", bridgeFailureReason: anyFailed ? "some worktrees were kept; see the cleanup_failed events" : undefined, updatedAt: now },
    events: [makeEvent("shutdown_requested", "Shutdown: panes closed; worktrees with everything committed were removed; branches kept.", now), ...events],
  };
}
