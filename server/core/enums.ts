import { z } from "zod";

/** ARCHITECTURE.md §2 — exact enums, compatible with LongTable CLI 0.1.59 run records. */
export const RUN_STATUSES = [
  "planned", "running", "completed", "blocked", "failed", "degraded", "stop_requested", "stopped", "resumable",
] as const;
export const WORKER_STATUSES = ["pending", "running", "completed", "blocked", "failed", "stop_requested", "stopped"] as const;
export const EXECUTION_STATES = [
  "not_started", "preflight_failed", "provisioning", "provisioned", "provision_failed", "launching", "launch_failed",
  "running", "result_ready", "stopping", "stopped", "shutdown", "cleanup_failed",
] as const;
export const BRIDGE_STATUSES = [
  "not_requested", "preflight_failed", "provisioning", "launching", "running", "completed", "blocked", "failed",
  "degraded", "stop_requested", "stopped", "shutdown",
] as const;
export const CLEANUP_STATUSES = ["not_started", "retained", "removed", "failed"] as const;
export const EVENT_TYPES = [
  "run_created", "preflight_failed", "worktree_provisioned", "worker_launched", "worker_result", "worker_failed",
  "stop_requested", "resume_requested", "shutdown_requested", "cleanup_failed",
  "worker_stopped", "worker_merged", "worker_discarded", "worker_cleaned_up", "followup_requested", "decision_recorded", "run_status_changed", "merge_recovered",
  "config_approval_needed", "workspace_prepared", "setup_finished", "teardown_finished", "teardown_failed",
  "queue_updated", "queue_item_changed", "queue_recovered",
] as const;
export const RESULT_STATUSES = ["completed", "blocked", "error"] as const;
export const MODES = ["review", "critique", "draft", "commit"] as const;
/** Modes a record may carry (the LongTable CLI also knows explore and submit); the panel creates MODES only. */
export const RECORD_MODES = [...MODES, "explore", "submit"] as const;
/** The agent CLIs a member can be played by (one adapter each, server/agents/<id>/). */
export const AGENT_IDS = ["codex", "claude", "command"] as const;

export const runStatusSchema = z.enum(RUN_STATUSES);
export const workerStatusSchema = z.enum(WORKER_STATUSES);
export const executionStateSchema = z.enum(EXECUTION_STATES);
export const bridgeStatusSchema = z.enum(BRIDGE_STATUSES);
export const cleanupStatusSchema = z.enum(CLEANUP_STATUSES);
export const eventTypeSchema = z.enum(EVENT_TYPES);
export const resultStatusSchema = z.enum(RESULT_STATUSES);
export const modeSchema = z.enum(MODES);
export const agentIdSchema = z.enum(AGENT_IDS);

export type RunStatus = z.infer<typeof runStatusSchema>;
export type WorkerStatus = z.infer<typeof workerStatusSchema>;
export type ExecutionState = z.infer<typeof executionStateSchema>;
export type BridgeStatus = z.infer<typeof bridgeStatusSchema>;
export type CleanupStatus = z.infer<typeof cleanupStatusSchema>;
export type EventType = z.infer<typeof eventTypeSchema>;
export type ResultStatus = z.infer<typeof resultStatusSchema>;
export type Mode = z.infer<typeof modeSchema>;
export type RecordMode = (typeof RECORD_MODES)[number];
export type AgentId = z.infer<typeof agentIdSchema>;

/** Statuses this product never produces; read them from old records only. */
export const LEGACY_RUN_STATUSES: readonly RunStatus[] = ["degraded", "resumable"];
export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = ["completed", "blocked", "stopped", "degraded", "failed"];

export function isTerminalRunStatus(status: RunStatus): boolean {
  return TERMINAL_RUN_STATUSES.includes(status);
}
