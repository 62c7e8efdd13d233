/**
 * The run folder layout (ARCHITECTURE.md §4 "Run folder"). Every path of a run or a worker is
 * derived here from the repo path and validated ids — never read from a record found on disk
 * (a run.json can come from a cloned repository, and a worker's worktree is agent-writable).
 *
 *   <repo>/.longtable/panel-runs/<runId>/
 *     run.json  schema.json  panel-worker-output.schema.json  events.jsonl  stop-requested  panel-result.json
 *     workers/<workerId>/        the worker's runtime files, OUTSIDE its worktree (the panel's layout)
 *     worktrees/<workerId>/      the git worktree: the project's files only
 *
 * Runs written by the LongTable CLI keep their runtime files in other places: 0.1.59+ in
 * `worktrees/<workerId>/.longtable-worker/` (inside the agent-writable worktree), 0.1.57 in
 * `tasks/ results/ logs/ launchers/` folders of the run. Those layouts are only ever read, as
 * data; before the panel runs anything for such a worker it moves the runtime out (see
 * panel/lifecycle).
 */
import { join } from "node:path";
import { RUN_ID_PATTERN, WORKER_ID_PATTERN, assertId, branchFor } from "../core/ids";

export const RUNS_FOLDER = join(".longtable", "panel-runs");
/** The CLI 0.1.59+ runtime folder inside a worktree. The panel never writes there. */
export const CLI_RUNTIME_DIR = ".longtable-worker";

export function runsRoot(repoPath: string): string {
  return join(repoPath, RUNS_FOLDER);
}

export function runLayout(repoPath: string, runId: string) {
  assertId(RUN_ID_PATTERN, runId, "run id");
  const runDirectory = join(runsRoot(repoPath), runId);
  return {
    runDirectory,
    runJson: join(runDirectory, "run.json"),
    descriptorPath: join(runDirectory, "schema.json"),
    outputSchemaPath: join(runDirectory, "panel-worker-output.schema.json"),
    eventLogPath: join(runDirectory, "events.jsonl"),
    stopFilePath: join(runDirectory, "stop-requested"),
    aggregateResultPath: join(runDirectory, "panel-result.json"),
    worktreeDirectory: join(runDirectory, "worktrees"),
    workersDirectory: join(runDirectory, "workers"),
    /** The merge journal (crash-safe merges): one file per merge under way. */
    journalDirectory: join(runDirectory, "journal"),
    /**
     * Folders the LongTable CLI's reader requires a record to name (its 0.1.57 layout); the panel
     * names them in run.json so the CLI can read its runs, and never creates them.
     */
    cliDirectories: {
      taskDirectory: join(runDirectory, "tasks"),
      resultDirectory: join(runDirectory, "results"),
      logDirectory: join(runDirectory, "logs"),
      launcherDirectory: join(runDirectory, "launchers"),
      mailboxDirectory: join(runDirectory, "mailbox"),
    },
  };
}
export type RunLayout = ReturnType<typeof runLayout>;

/** Where a worker's runtime files are: the panel's own layout, or one of the CLI's. */
export type RuntimeLayout = "panel" | "cli-0.1.59" | "cli-0.1.57";

export function workerLayout(repoPath: string, runId: string, workerId: string, runtime: RuntimeLayout = "panel") {
  assertId(WORKER_ID_PATTERN, workerId, "worker id");
  const run = runLayout(repoPath, runId);
  const worktreePath = join(run.worktreeDirectory, workerId);
  const dir = runtime === "panel"
    ? join(run.workersDirectory, workerId)
    : runtime === "cli-0.1.59" ? join(worktreePath, CLI_RUNTIME_DIR) : run.runDirectory;
  const legacy = runtime === "cli-0.1.57";
  const at = (panelName: string, legacyFolder: string, legacyName: string) => (legacy ? join(dir, legacyFolder, legacyName) : join(dir, panelName));
  const resultPath = at("result.json", "results", `${workerId}.json`);
  return {
    runtime,
    /** The folder of the worker's runtime files (for 0.1.57: the run folder). */
    runtimeDir: dir,
    worktreePath,
    worktreeBranch: branchFor(runId, workerId),
    taskPath: at("task.md", "tasks", `${workerId}.md`),
    launcherPath: at("launch.sh", "launchers", `${workerId}.sh`),
    logPath: at("worker.log", "logs", `${workerId}.log`),
    resultPath,
    exitCodePath: at("result.exit.json", "results", `${workerId}.exit.json`),
    commitPath: `${resultPath}.commit`,
    mailboxPath: at("mailbox.jsonl", "mailbox", `${workerId}.jsonl`),
    taskStatePath: at("state.json", "tasks", `${workerId}.state.json`),
    /** The agent's own event stream of the current attempt (stdout of the agent, kept by the launcher). */
    agentEventsPath: join(dir, "agent-events.jsonl"),
    /** Writable by the sandboxed agent: only the agent's final message goes here (codex `-o`). */
    outboxDir: join(dir, "outbox"),
    lastMessagePath: join(dir, "outbox", "last-message.json"),
    /** The agent's private home inside the sandbox (its state, sessions; a copy of its config). */
    agentHomeDir: join(dir, "agent-home"),
    /** The repo config's setup (ARCHITECTURE.md §10): its exit (written by the launcher), its output, */
    setupExitPath: join(dir, "setup.exit.json"),
    setupLogPath: join(dir, "setup.log"),
    /**
     * the worktree's ignored entries the launches made (copied files; written by the launch) and
     * those around the last setup (written by the launcher): what setup added is reproducible too,
     * so clean-up does not count it as a loss,
     */
    launchIgnoredPath: join(dir, "launch-ignored.txt"),
    setupIgnoredBeforePath: join(dir, "setup-ignored.before"),
    setupIgnoredAfterPath: join(dir, "setup-ignored.after"),
    /** and the teardown's output. */
    teardownLogPath: join(dir, "teardown.log"),
  };
}
export type WorkerLayout = ReturnType<typeof workerLayout>;

/** The event log of an earlier attempt, kept beside the current one. */
export function attemptEventsPath(layout: Pick<WorkerLayout, "agentEventsPath">, attempt: number): string {
  return layout.agentEventsPath.replace(/\.jsonl$/, `.attempt-${attempt}.jsonl`);
}

/** The text of a follow-up turn (attempt n). */
export function followUpPath(layout: Pick<WorkerLayout, "runtimeDir">, attempt: number): string {
  return join(layout.runtimeDir, `followup-${attempt}.md`);
}

/** The agent's environment values for one worker: in the data dir (0600), never in the repo tree. */
export function agentEnvFile(dataDir: string, runId: string, workerId: string): string {
  assertId(RUN_ID_PATTERN, runId, "run id");
  assertId(WORKER_ID_PATTERN, workerId, "worker id");
  return join(dataDir, "secrets", `${runId}.${workerId}.env`);
}
