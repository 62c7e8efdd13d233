/**
 * The files of one agent turn (ARCHITECTURE.md §5): the prompt, the launcher, the agent's private
 * home and outbox, and its environment — all outside the worktree (in the worker's runtime folder)
 * except the environment, which goes to a 0600 file in the data dir because it may hold API keys.
 */
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { agentBinSetting, agentExtraArgs, agentFor, agentSandboxProblem } from "../../agents/registry";
import { applyFileOps } from "../../bridge/file-ops.mjs";
import { attemptEventsPath, followUpPath, runLayout, runsRoot, workerLayout, type WorkerLayout } from "../../bridge/layout";
import { envFileText, launcherScript } from "../../bridge/launcher";
import { bwrapArgs, type SandboxStatus } from "../../bridge/sandbox";
import { workerTaskText } from "../../bridge/task";
import type { FileOp, WorkerTransport } from "../../bridge/transport/types";
import { PANEL_WORKER_OUTPUT_SCHEMA, type PanelRun, type PanelWorker } from "../../core/records";
import { turnWorkspace } from "../config/turn";
import type { Panel } from "../panel";
import { localTransport, transportFor } from "../transports";

/** Environment names every agent gets from its machine's environment (besides its passEnv and LONGTABLE_AGENT_ENV). */
const BASE_ENV = ["PATH", "LANG", "LC_ALL", "TERM", "HOME"];

/**
 * The agent's environment: the base names and the agent's own (its key, base URL: adapter.passEnv)
 * from the environment of the machine it runs on, the names listed in LONGTABLE_AGENT_ENV from the
 * panel's own (a key set where the panel runs reaches agents on every host), then its private home
 * and the turn's own values.
 */
export function agentEnvironment(extra: Record<string, string>, env: NodeJS.ProcessEnv = process.env, agentNames: readonly string[] = [], panelEnv: NodeJS.ProcessEnv = env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of new Set([...BASE_ENV, ...agentNames])) if (env[n] !== undefined) out[n] = env[n]!;
  for (const raw of (panelEnv.LONGTABLE_AGENT_ENV ?? "").split(",")) {
    const n = raw.trim();
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(n) && panelEnv[n] !== undefined) out[n] = panelEnv[n]!;
  }
  return { ...out, ...extra };
}

/** The panel's sandbox as the launch will use it (on the worker's machine); throws when LONGTABLE_SANDBOX=bwrap and it does not work. */
export async function launchSandbox(panel: Panel, transport: WorkerTransport = localTransport(panel)): Promise<SandboxStatus> {
  const status = await transport.sandbox(panel.config.sandbox);
  if (status.mode === "bwrap" && !status.active) {
    throw new Error(`LONGTABLE_SANDBOX=bwrap but the panel's sandbox is not available${transport.kind === "ssh" ? ` on ${transport.describe()}` : ""}: ${status.reason ?? "unknown reason"}${status.fix ? ` (${status.fix})` : ""}`);
  }
  return status;
}

export interface AttemptInput {
  brief: string;
  /** A follow-up turn: resume the agent's thread with this text on stdin. */
  followUp?: { threadId: string; text: string };
}

/**
 * Write everything one turn needs — on the machine the worker runs on, through its transport —
 * and return the command the worker's tmux window runs. The caller has moved a CLI worker's
 * runtime out of its worktree first (runtimeLayout "panel").
 */
export async function prepareAttempt(panel: Panel, run: PanelRun, worker: PanelWorker, input: AttemptInput): Promise<{ argv: string[]; cwd: string }> {
  if (worker.runtimeLayout !== "panel") throw new Error(`${worker.id} still has its runtime files in the LongTable CLI's layout; move them out first`);
  const transport = transportFor(panel, worker);
  // Paths on the worker's machine: derived from its repository root there (the leader checkout, or a host's clone).
  const root = transport.root(run);
  const runFiles = runLayout(root, run.id);
  const layout = workerLayout(root, run.id, worker.id);
  const agent = agentFor(worker.agent);
  const attempt = (worker.attempt ?? 0) + 1;
  const ops: FileOp[] = [
    { op: "mkdir", path: layout.outboxDir, mode: 0o700 },
    { op: "mkdir", path: layout.agentHomeDir, mode: 0o700 },
    ...attemptClearOps(layout, worker.attempt ?? 0),
    { op: "writeIfMissing", path: runFiles.outputSchemaPath, data: `${JSON.stringify(PANEL_WORKER_OUTPUT_SCHEMA, null, 2)}\n` },
    { op: "write", path: layout.taskPath, data: workerTaskText(run, { ...worker, worktreePath: layout.worktreePath }, input.brief) },
  ];
  let promptPath = layout.taskPath;
  if (input.followUp) {
    promptPath = followUpPath(layout, attempt);
    ops.push({ op: "write", path: promptPath, data: input.followUp.text });
  }
  ops.push({ op: "writeIfMissing", path: layout.mailboxPath, data: "" });

  const [gitDir, facts, sandbox] = await Promise.all([
    transport.worktreeGitDir(root, layout.worktreePath),
    transport.facts(),
    launchSandbox(panel, transport),
  ]);
  if (!gitDir) throw new Error(`the worktree ${layout.worktreePath} is not registered in the repository${transport.kind === "ssh" ? ` on ${transport.describe()}` : ""}`);
  const setting = agentBinSetting(agent, transport.kind === "local" ? panel.config.agentBins : transport.agentBins ?? {});
  const bin = await transport.resolveBin(setting);
  if (!bin) throw new Error(`${setting} was not found (${agent.label})${transport.kind === "ssh" ? ` on ${transport.describe()}: set the host's ${agent.id} binary` : `; install it or set ${agent.binSetting.env}`}`);
  // Preflight refuses this first; checked again here, right before anything is written.
  const unfenced = agentSandboxProblem(agent, sandbox.active);
  if (unfenced) throw new Error(`${unfenced}${sandbox.reason ? ` (${sandbox.reason})` : ""}`);

  // Inside the panel's sandbox the user's home is read-only: the agent gets a private home with a
  // copy of its login and config (nothing it writes reaches the user's own agent config).
  let homeEnv: Record<string, string> = {};
  if (sandbox.active) {
    const home = agent.home(layout.agentHomeDir, facts.env);
    for (const d of home.dirs) ops.push({ op: "realDir", base: layout.agentHomeDir, path: d });
    for (const c of home.copy) {
      // Replaces (never follows) whatever the agent left at the destination; gone from the user's
      // config, the copy goes too (nothing the agent left there stays in its place).
      ops.push({ op: "realDir", base: layout.agentHomeDir, path: dirname(c.to) }, { op: "copy", from: c.from, to: c.to, mode: 0o600 });
    }
    homeEnv = home.env;
  }
  const envFile = facts.envFile(run.id, worker.id);
  // The repo config's part (ARCHITECTURE.md §10): the panel's variables, the config's env, and setup.
  const workspace = turnWorkspace(panel, run, worker, { promptFile: promptPath, followUp: input.followUp !== undefined });
  const turn = {
    worktreePath: layout.worktreePath,
    outputSchemaPath: runFiles.outputSchemaPath,
    outputSchema: PANEL_WORKER_OUTPUT_SCHEMA as unknown as Record<string, unknown>,
    lastMessagePath: layout.lastMessagePath,
    resumeThreadId: input.followUp?.threadId,
    model: worker.model,
    panelSandbox: sandbox.active,
    extraArgs: agentExtraArgs(agent),
  };
  const args = agent.args(turn);
  ops.push(
    { op: "mkdir", path: dirname(envFile), mode: 0o700 },
    { op: "write", path: envFile, data: envFileText(agentEnvironment({ ...workspace.env, ...homeEnv, ...agent.turnEnv?.(turn) }, facts.env, agent.passEnv, process.env)), mode: 0o600 },
  );
  const sandboxArgv = sandbox.active
    ? [sandbox.bwrap!, ...bwrapArgs({
      worktree: layout.worktreePath,
      gitCommonDir: await transport.commonGitDir(root),
      hide: [dirname(runsRoot(root)), ...facts.hidden],
      mask: facts.masked,
      writable: [layout.outboxDir, layout.agentHomeDir],
      userWritable: facts.writable,
      readable: [runFiles.outputSchemaPath, promptPath],
    })]
    : undefined;
  const script = launcherScript({
    runId: run.id,
    workerId: worker.id,
    role: worker.role,
    label: worker.label,
    attempt,
    followUp: input.followUp ? { threadId: input.followUp.threadId } : undefined,
    agent: worker.agent,
    worktreePath: layout.worktreePath,
    gitDir,
    paths: {
      promptPath,
      resultPath: layout.resultPath,
      logPath: layout.logPath,
      exitCodePath: layout.exitCodePath,
      commitPath: layout.commitPath,
      agentEventsPath: layout.agentEventsPath,
      lastMessagePath: layout.lastMessagePath,
      envFile,
    },
    stopFilePath: runFiles.stopFilePath,
    agentBin: bin,
    agentArgs: args,
    sandbox: sandboxArgv,
    nodeBin: facts.nodeBin,
    finishScript: facts.finishScript,
    paneViewScript: facts.paneViewScript,
    setup: workspace.setup ? { command: workspace.setup, exitPath: layout.setupExitPath, logPath: layout.setupLogPath, ignoredBeforePath: layout.setupIgnoredBeforePath, ignoredAfterPath: layout.setupIgnoredAfterPath } : undefined,
  });
  ops.push({ op: "write", path: layout.launcherPath, data: script, mode: 0o700 });
  await transport.applyFiles(ops);
  if (transport.kind !== "local") await clearLocalMirror(run, worker);
  return { argv: ["bash", layout.launcherPath], cwd: layout.runtimeDir };
}

/** Before a turn: the previous attempt's event log is kept beside the new one; its result files go. */
export function attemptClearOps(layout: WorkerLayout, previousAttempt: number): FileOp[] {
  return [
    ...(previousAttempt > 0 ? [{ op: "rename" as const, from: layout.agentEventsPath, to: attemptEventsPath(layout, previousAttempt) }] : []),
    ...[layout.resultPath, layout.exitCodePath, layout.commitPath, join(layout.runtimeDir, "result.json.stdout"), layout.lastMessagePath].map((path) => ({ op: "rm" as const, path })),
  ];
}

/** The same, for a worker's runtime folder on this machine. */
export async function clearAttemptFiles(layout: WorkerLayout, previousAttempt: number): Promise<void> {
  applyFileOps(attemptClearOps(layout, previousAttempt));
}

/** Clear a worker's previous turn on its machine (and, for a worker elsewhere, in its local mirror). */
export async function clearWorkerAttempt(panel: Panel, run: PanelRun, worker: PanelWorker): Promise<void> {
  const transport = transportFor(panel, worker);
  await transport.applyFiles(attemptClearOps(workerLayout(transport.root(run), run.id, worker.id), worker.attempt ?? 0));
  if (transport.kind !== "local") await clearLocalMirror(run, worker);
}

/** The local mirror of a worker that runs elsewhere: its previous turn's files go, as on its machine. */
async function clearLocalMirror(run: PanelRun, worker: PanelWorker): Promise<void> {
  const local = workerLayout(run.workingDirectory, run.id, worker.id);
  await mkdir(local.runtimeDir, { recursive: true, mode: 0o700 });
  applyFileOps(attemptClearOps(local, worker.attempt ?? 0));
}
