import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** Index of the run directories (ARCHITECTURE.md §3). The run directory stays the source of truth. */
export const repos = sqliteTable("repos", {
  id: text("id").primaryKey(),
  path: text("path").notNull().unique(),
  name: text("name").notNull(),
  addedAt: text("added_at").notNull(),
});

export const runs = sqliteTable(
  "runs",
  {
    id: text("id").primaryKey(),
    repoId: text("repo_id").notNull().references(() => repos.id, { onDelete: "cascade" }),
    status: text("status").notNull(),
    bridgeStatus: text("bridge_status").notNull(),
    mode: text("mode").notNull(),
    promptPreview: text("prompt_preview").notNull(),
    memberCount: integer("member_count").notNull(),
    targetBranch: text("target_branch"),
    lastDecision: text("last_decision"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
    /** The full normalized run.json, so reads never touch the disk. */
    record: text("record", { mode: "json" }).notNull(),
  },
  (t) => [
    index("runs_created_idx").on(t.createdAt, t.id),
    index("runs_repo_created_idx").on(t.repoId, t.createdAt, t.id),
    index("runs_status_created_idx").on(t.status, t.createdAt, t.id),
  ],
);

export const workers = sqliteTable(
  "workers",
  {
    runId: text("run_id").notNull().references(() => runs.id, { onDelete: "cascade" }),
    id: text("id").notNull(),
    role: text("role").notNull(),
    label: text("label").notNull(),
    status: text("status").notNull(),
    executionState: text("execution_state").notNull(),
    cleanupStatus: text("cleanup_status").notNull(),
    worktreeBranch: text("worktree_branch").notNull(),
    worktreeCommit: text("worktree_commit"),
    baseCommit: text("base_commit"),
    updatedAt: text("updated_at").notNull(),
  },
  // workers_status_idx: the supervisor asks every second which runs have running workers; without
  // it that is a scan of every worker ever indexed (320,000 in the bench: the HTTP p95 of runs.list).
  (t) => [primaryKey({ columns: [t.runId, t.id] }), index("workers_status_idx").on(t.status, t.runId)],
);

export const events = sqliteTable(
  "events",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull(),
    runId: text("run_id").notNull().references(() => runs.id, { onDelete: "cascade" }),
    workerId: text("worker_id"),
    type: text("type").notNull(),
    message: text("message").notNull(),
    path: text("path"),
    data: text("data", { mode: "json" }),
    createdAt: text("created_at").notNull(),
  },
  (t) => [uniqueIndex("events_id_uq").on(t.id), index("events_run_seq_idx").on(t.runId, t.seq)],
);

/** The agent's own steps (commands, file changes, messages, usage), one row per item. */
export const activity = sqliteTable(
  "activity",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    runId: text("run_id").notNull().references(() => runs.id, { onDelete: "cascade" }),
    workerId: text("worker_id").notNull(),
    attempt: integer("attempt").notNull().default(1),
    line: integer("line").notNull(),
    kind: text("kind").notNull(),
    text: text("text").notNull(),
    data: text("data", { mode: "json" }),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("activity_line_uq").on(t.runId, t.workerId, t.attempt, t.line),
    index("activity_worker_seq_idx").on(t.runId, t.workerId, t.seq),
  ],
);

export const merges = sqliteTable("merges", {
  id: text("id").primaryKey(),
  runId: text("run_id").notNull().references(() => runs.id, { onDelete: "cascade" }),
  workerId: text("worker_id").notNull(),
  strategy: text("strategy").notNull(),
  target: text("target").notNull(),
  previousCommit: text("previous_commit").notNull(),
  commit: text("commit").notNull(),
  createdAt: text("created_at").notNull(),
});

export const decisions = sqliteTable("decisions", {
  id: text("id").primaryKey(),
  runId: text("run_id").notNull().references(() => runs.id, { onDelete: "cascade" }),
  answer: text("answer").notNull(),
  note: text("note"),
  createdAt: text("created_at").notNull(),
});

export const customRoles = sqliteTable("custom_roles", {
  id: text("id").primaryKey(),
  label: text("label").notNull(),
  brief: text("brief").notNull(),
  createdAt: text("created_at").notNull().default(sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`),
  /** The agent that plays this role unless a member names another (null: codex). */
  defaultAgent: text("default_agent"),
});

/**
 * Worker hosts the user registered (ARCHITECTURE.md §3 "Transports"): an ssh destination and a
 * clone of the repository there. The other settings (tmux socket, node and agent binaries, ssh
 * options, sandbox folders) are one JSON column, validated by the hosts router's schema.
 */
export const hosts = sqliteTable("hosts", {
  id: text("id").primaryKey(),
  destination: text("destination").notNull(),
  clonePath: text("clone_path").notNull(),
  settings: text("settings", { mode: "json" }).notNull(),
  createdAt: text("created_at").notNull(),
  updatedAt: text("updated_at").notNull(),
});
