/**
 * Run status derived from worker statuses (ARCHITECTURE.md §2; compatible with the LongTable
 * CLI): pure functions of the vocabulary, shared by the state machine and the record reader.
 */
import type { BridgeStatus, ExecutionState, RunStatus, WorkerStatus } from "./enums";

/** In this order: all completed → completed; any running → running; any failed → failed; … */
export function deriveRunStatus(workers: readonly { status: WorkerStatus }[]): RunStatus {
  if (workers.length > 0 && workers.every((w) => w.status === "completed")) return "completed";
  if (workers.some((w) => w.status === "running")) return "running";
  if (workers.some((w) => w.status === "failed")) return "failed";
  if (workers.some((w) => w.status === "blocked")) return "blocked";
  if (workers.some((w) => w.status === "stop_requested")) return "stop_requested";
  if (workers.length > 0 && workers.every((w) => w.status === "stopped" || w.status === "completed")) return "stopped";
  return "running";
}

export function deriveBridgeStatus(status: RunStatus, workers: readonly { executionState: ExecutionState }[]): BridgeStatus {
  if (status === "failed" && workers.length > 0 && workers.every((w) => w.executionState === "preflight_failed")) {
    return "preflight_failed";
  }
  if (status === "planned" || status === "resumable") return "not_requested";
  return status;
}

/** Worker statuses with an agent turn under way or about to be (review waits for them). */
export const WORKER_ACTIVE: ReadonlySet<WorkerStatus> = new Set(["pending", "running", "stop_requested"]);
/** Worker statuses after which the launcher relaunches (launch / resume). */
export const WORKER_LAUNCHABLE: readonly WorkerStatus[] = ["pending", "stopped", "failed"];
/** Finished with a result: the finish step committed the worktree before writing it. */
export const WORKER_FINISHED: ReadonlySet<WorkerStatus> = new Set(["completed", "blocked"]);
