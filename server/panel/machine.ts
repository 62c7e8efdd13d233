/**
 * The pure run/worker state machine. Functions here take records and return new records plus
 * the lifecycle events to append; they never touch the disk, git, tmux or the database.
 */
import { join } from "node:path";
import type { BridgeStatus, Mode, RunStatus, WorkerStatus } from "./enums";
import { newEventId, newRunId, workerIdFor, branchFor } from "./ids";
import type { PanelEvent, PanelRun, PanelWorker } from "./records";
import type { RoleDefinition } from "./roles";

export interface Transition {
  run: PanelRun;
  events: PanelEvent[];
}

export function makeEvent(type: PanelEvent["type"], message: string, at: string, extra: Partial<PanelEvent> = {}): PanelEvent {
  return { id: newEventId(Date.parse(at) || Date.now()), createdAt: at, type, message, ...extra };
}

export function appendDiagnostic(list: readonly string[], diagnostic: string): string[] {
  return list.includes(diagnostic) ? [...list] : [...list, diagnostic];
}

/** Paths of a worker's runtime folder inside its worktree (DESIGN §3). */
export function workerRuntimePaths(worktreePath: string) {
  const dir = join(worktreePath, ".longtable-worker");
  return {
    runtimeDir: dir,
    taskPath: join(dir, "task.md"),
    resultPath: join(dir, "result.json"),
    logPath: join(dir, "worker.log"),
    launcherPath: join(dir, "launch.sh"),
    exitCodePath: join(dir, "result.exit.json"),
    mailboxPath: join(dir, "mailbox.jsonl"),
    taskStatePath: join(dir, "state.json"),
    commitPath: join(dir, "result.json.commit"),
    agentEventsPath: join(dir, "agent-events.jsonl"),
    lastMessagePath: join(dir, "last-message.json"),
  };
}

export function runDirectoryFor(repoPath: string, runId: string): string {
  return join(repoPath, ".longtable", "panel-runs", runId);
}

export interface CreateRunInput {
  repoPath: string;
  prompt: string;
  mode: Mode;
  roles: readonly RoleDefinition[];
  targetBranch?: string;
  leaderHead?: string;
  now: string;
  runId?: string;
}

export function createRunRecord(input: CreateRunInput): Transition {
  const runId = input.runId ?? newRunId(Date.parse(input.now));
  const runDirectory = runDirectoryFor(input.repoPath, runId);
  const worktreeDirectory = join(runDirectory, "worktrees");
  const workers: PanelWorker[] = input.roles.map((role, index) => {
    const id = workerIdFor(index, role.id);
    const worktreePath = join(worktreeDirectory, id);
    const p = workerRuntimePaths(worktreePath);
    return {
      id,
      role: role.id,
      label: role.label,
      required: true,
      status: "pending",
      executionState: "not_started",
      cleanupStatus: "not_started",
      taskPath: p.taskPath,
      resultPath: p.resultPath,
      logPath: p.logPath,
      launcherPath: p.launcherPath,
      exitCodePath: p.exitCodePath,
      mailboxPath: p.mailboxPath,
      taskStatePath: p.taskStatePath,
      worktreePath,
      worktreeBranch: branchFor(runId, id),
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
    runDirectory,
    worktreeDirectory,
    eventLogPath: join(runDirectory, "events.jsonl"),
    outputSchemaPath: join(runDirectory, "panel-worker-output.schema.json"),
    stopFilePath: join(runDirectory, "stop-requested"),
    aggregateResultPath: join(runDirectory, "panel-result.json"),
    sequentialFallbackAvailable: true,
    workers,
    diagnostics: [],
  };
  return {
    run,
    events: [makeEvent("run_created", `Panel run created with ${workers.length} member(s) in ${input.mode} mode.`, input.now)],
  };
}

/** DESIGN §2: run status derived from worker statuses, in this order. */
export function deriveRunStatus(workers: readonly { status: WorkerStatus }[]): RunStatus {
  if (workers.length > 0 && workers.every((w) => w.status === "completed")) return "completed";
  if (workers.some((w) => w.status === "running")) return "running";
  if (workers.some((w) => w.status === "failed")) return "failed";
  if (workers.some((w) => w.status === "blocked")) return "blocked";
  if (workers.some((w) => w.status === "stop_requested")) return "stop_requested";
  if (workers.length > 0 && workers.every((w) => w.status === "stopped" || w.status === "completed")) return "stopped";
  return "running";
}

export function deriveBridgeStatus(status: RunStatus, workers: readonly PanelWorker[]): BridgeStatus {
  if (status === "failed" && workers.length > 0 && workers.every((w) => w.executionState === "preflight_failed")) {
    return "preflight_failed";
  }
  if (status === "planned" || status === "resumable") return "not_requested";
  return status;
}
