import type { MergeQueue } from "./queue";
import type {
  AgentId, BridgeStatus, CleanupStatus, EventType, ExecutionState, RecordMode, ResultStatus, RunStatus, WorkerStatus,
} from "./enums";

/** Where a worker's runtime files live (see server/bridge/layout.ts). */
export type RuntimeLayout = "panel" | "cli-0.1.59" | "cli-0.1.57";

/** Tokens (and, where the agent reports it, cost) of a worker's agent thread. */
export interface Usage {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  /** In US dollars, as the agent reported it (Claude Code's total_cost_usd); absent for codex. */
  costUsd?: number;
}

/** Where a worker runs: one tmux window on the panel's dedicated socket (on this machine, or on `host`). */
export interface WorkerRuntime {
  transport: "tmux";
  host?: string;
  paneId?: string;
  session?: string;
  window?: string;
  socket?: string;
  launchedAt?: string;
  stoppedAt?: string;
  shutdownAt?: string;
  [key: string]: unknown;
}

/**
 * A worker record as stored in run.json (field names follow LongTable CLI 0.1.59). The path and
 * branch fields are written for the CLI's sake and are always derived from the run folder and the
 * ids when a record is read (server/bridge/run-record.ts) — never taken from the file.
 */
export interface PanelWorker {
  id: string;
  role: string;
  label: string;
  required: boolean;
  /** The agent that plays this member (records without one are codex). */
  agent: AgentId;
  /** The agent's model, when the member names one. */
  model?: string;
  /** The registered host the worker runs on (ARCHITECTURE.md §3 "Transports"); absent: this machine. */
  host?: string;
  /** Where this worker's runtime files are (the panel's own layout, or a CLI one: read only). */
  runtimeLayout: RuntimeLayout;
  status: WorkerStatus;
  executionState: ExecutionState;
  cleanupStatus: CleanupStatus;
  taskPath: string;
  resultPath: string;
  logPath: string;
  launcherPath: string;
  exitCodePath: string;
  mailboxPath: string;
  taskStatePath: string;
  worktreePath: string;
  worktreeBranch: string;
  worktreeCommit?: string;
  baseCommit?: string;
  paneId?: string;
  runtime?: WorkerRuntime;
  startedAt?: string;
  completedAt?: string;
  updatedAt: string;
  error?: string;
  failureReason?: string;
  threadId?: string;
  attempt?: number;
  /** Token usage of the agent's thread (running total from turn.completed). */
  usage?: Usage;
  diagnostics: string[];
  /**
   * The worker HEAD when its current attempt started (set by whoever starts an attempt; when
   * absent, review derives the previous attempt's commit from the worker commit messages).
   */
  previousCommit?: string;
  /** The last accepted merge of this worker's changes (the `merges` table has every one). */
  merged?: WorkerMergeInfo;
  /** Set when the user discarded the worker's worktree (and maybe its branch). */
  discarded?: WorkerDiscardInfo;
  /** Ports the panel allocated to this worker (the repo config's `ports`), released at cleanup. */
  ports?: number[];
  /** The repository config's part in this worker's launch (ARCHITECTURE.md §10). */
  setup?: WorkerSetup;
  [key: string]: unknown;
}

/**
 * The repo config's phase of a worker: `awaiting_approval` (its text is not approved: nothing
 * started), `running` (setup runs in the worker's window before the agent), `passed` / `failed`,
 * or `none` (the config has no setup command).
 */
export interface WorkerSetup {
  state: "awaiting_approval" | "running" | "passed" | "failed" | "none";
  /** sha256 of the config text the worker was launched with (or waits for). */
  sha256: string;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
}

export interface WorkerMergeInfo {
  commit: string;
  target: string;
  previousCommit: string;
  strategy: "squash" | "commits";
  /** The worker HEAD that was merged. */
  workerHead: string;
  at: string;
}

export interface WorkerDiscardInfo {
  at: string;
  branchDeleted: boolean;
  commits: number;
  uncommittedFiles: number;
}

/** A run record (run.json). */
export interface PanelRun {
  id: string;
  schemaVersion: 1;
  kind: "longtable.panelWorkerRun";
  createdAt: string;
  updatedAt: string;
  status: RunStatus;
  bridgeStatus: BridgeStatus;
  bridgeFailureReason?: string;
  mode: RecordMode;
  prompt: string;
  workingDirectory: string;
  invocationId: string;
  planId: string;
  targetBranch?: string;
  leaderHead?: string;
  runDirectory: string;
  worktreeDirectory: string;
  eventLogPath: string;
  outputSchemaPath: string;
  stopFilePath: string;
  aggregateResultPath: string;
  sequentialFallbackAvailable: boolean;
  workers: PanelWorker[];
  diagnostics: string[];
  /** The researcher's decisions after the run (newest last). */
  decisions?: Decision[];
  /** Every accepted merge of a worker of this run (oldest first); the `merges` table mirrors it. */
  merges?: MergeRecord[];
  /** A merge under way (the merge journal, ARCHITECTURE.md §7): written before the target moves, cleared when the merge is recorded. */
  mergeJournal?: MergeIntent;
  /** The merge queue of this run (ARCHITECTURE.md §7 "Merge queue"). */
  mergeQueue?: MergeQueue;
  [key: string]: unknown;
}

export interface MergeRecord {
  id: string;
  workerId: string;
  strategy: "squash" | "commits";
  target: string;
  previousCommit: string;
  commit: string;
  /** The worker HEAD that was merged. */
  workerHead: string;
  createdAt: string;
}

/** What a merge is about to do, recorded durably before any ref or working tree changes. */
export interface MergeIntent {
  id: string;
  workerId: string;
  target: string;
  strategy: "squash" | "commits";
  /** The target's commit before the merge, and the one it moves to. */
  oldCommit: string;
  newCommit: string;
  /** Every commit the merge created (oldest first; one for squash). */
  commits: string[];
  workerHead: string;
  /** "checkout": `merge --ff-only` in the checkout that has the target; "update-ref": not checked out. */
  movedBy: "checkout" | "update-ref";
  checkout?: string;
  /** Paths the checkout's update writes (both sides of a rename), repository-relative. */
  paths: string[];
  /** Folders the checkout's update would create (absent when the merge started), deepest first. */
  newDirs?: string[];
  startedAt: string;
}

export interface Decision {
  id: string;
  answer: string;
  note?: string;
  createdAt: string;
}

export interface PanelEvent {
  id: string;
  createdAt: string;
  workerId?: string;
  type: EventType | string;
  message: string;
  path?: string;
}

export interface WorkerResult {
  role: string;
  label: string;
  status: ResultStatus;
  summary: string;
  claims: string[];
  objections: string[];
  openQuestions: string[];
  evidenceRefs: string[];
  error: string;
}

export const RESULT_FIELDS = [
  "role", "label", "status", "summary", "claims", "objections", "openQuestions", "evidenceRefs", "error",
] as const;

/** Strict JSON schema of a worker result, given to the agent as --output-schema. */
export const PANEL_WORKER_OUTPUT_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: [...RESULT_FIELDS],
  properties: {
    role: { type: "string" },
    label: { type: "string" },
    status: { type: "string", enum: ["completed", "blocked", "error"] },
    summary: { type: "string" },
    claims: { type: "array", items: { type: "string" } },
    objections: { type: "array", items: { type: "string" } },
    openQuestions: { type: "array", items: { type: "string" } },
    evidenceRefs: { type: "array", items: { type: "string" } },
    error: { type: "string" },
  },
} as const;

export const RUN_SCHEMA_DESCRIPTOR = {
  schemaVersion: 1,
  kind: "longtable.panelWorkerRun",
  note: "Durable worker state stores task/status/result metadata, not hidden reasoning or raw tool traces.",
} as const;
