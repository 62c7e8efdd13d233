/**
 * The files of one agent turn (ARCHITECTURE.md §5): the prompt, the launcher, the agent's private
 * home and outbox, and its environment — all outside the worktree (in the worker's runtime folder)
 * except the environment, which goes to a 0600 file in the data dir because it may hold API keys.
 */
import { existsSync } from "node:fs";
import { lstat, mkdir, readFile, rename, rm } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, sep } from "node:path";
import { agentBinSetting, agentExtraArgs, agentFor, agentSandboxProblem } from "../../agents/registry";
import { resolveExecutable } from "../../agents/executable";
import { commonGitDir, worktreeGit } from "../../bridge/git";
import { agentEnvFile, attemptEventsPath, followUpPath, runsRoot, workerLayout, type WorkerLayout } from "../../bridge/layout";
import { bridgeScriptPaths, envFileText, launcherScript } from "../../bridge/launcher";
import { writeFileAtomic } from "../../bridge/run-files";
import { writeFileAtomicSync } from "../../bridge/safe-fs.mjs";
import { bwrapArgs, sandboxStatus, type SandboxStatus } from "../../bridge/sandbox";
import { workerTaskText } from "../../bridge/task";
import { PANEL_WORKER_OUTPUT_SCHEMA, type PanelRun, type PanelWorker } from "../../core/records";
import { turnWorkspace } from "../config/turn";
import type { Panel } from "../panel";

/** Environment names every agent gets from the panel's own environment (besides its passEnv and LONGTABLE_AGENT_ENV). */
const BASE_ENV = ["PATH", "LANG", "LC_ALL", "TERM", "HOME"];

/**
 * The agent's environment: the base names, the agent's own (its key, base URL: adapter.passEnv),
 * the names listed in LONGTABLE_AGENT_ENV, then its private home and the turn's own values.
 */
export function agentEnvironment(extra: Record<string, string>, env: NodeJS.ProcessEnv = process.env, agentNames: readonly string[] = []): Record<string, string> {
  const names = new Set([...BASE_ENV, ...agentNames]);
  for (const n of (env.LONGTABLE_AGENT_ENV ?? "").split(",")) if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(n.trim())) names.add(n.trim());
  const out: Record<string, string> = {};
  for (const n of names) if (env[n] !== undefined) out[n] = env[n]!;
  return { ...out, ...extra };
}

/** The panel's sandbox as the launch will use it; throws when LONGTABLE_SANDBOX=bwrap and it does not work. */
export async function launchSandbox(panel: Panel): Promise<SandboxStatus> {
  const status = await sandboxStatus(panel.config.sandbox);
  if (status.mode === "bwrap" && !status.active) {
    throw new Error(`LONGTABLE_SANDBOX=bwrap but the panel's sandbox is not available: ${status.reason ?? "unknown reason"}${status.fix ? ` (${status.fix})` : ""}`);
  }
  return status;
}

export interface AttemptInput {
  brief: string;
  /** A follow-up turn: resume the agent's thread with this text on stdin. */
  followUp?: { threadId: string; text: string };
}

/**
 * Write everything one turn needs and return the command the worker's tmux window runs.
 * The caller has moved a CLI worker's runtime out of its worktree first (runtimeLayout "panel").
 */
export async function prepareAttempt(panel: Panel, run: PanelRun, worker: PanelWorker, input: AttemptInput): Promise<{ argv: string[]; cwd: string }> {
  if (worker.runtimeLayout !== "panel") throw new Error(`${worker.id} still has its runtime files in the LongTable CLI's layout; move them out first`);
  const repo = run.workingDirectory;
  const layout = workerLayout(repo, run.id, worker.id);
  const agent = agentFor(worker.agent);
  const attempt = (worker.attempt ?? 0) + 1;
  await mkdir(layout.outboxDir, { recursive: true, mode: 0o700 });
  await mkdir(layout.agentHomeDir, { recursive: true, mode: 0o700 });
  await clearAttemptFiles(layout, worker.attempt ?? 0);
  await writeFileAtomic(layout.taskPath, workerTaskText(run, worker, input.brief));
  let promptPath = layout.taskPath;
  if (input.followUp) {
    promptPath = followUpPath(layout, attempt);
    await writeFileAtomic(promptPath, input.followUp.text);
  }
  if (!existsSync(layout.mailboxPath)) await writeFileAtomic(layout.mailboxPath, "");

  const wt = await worktreeGit(repo, layout.worktreePath);
  if (!wt) throw new Error(`the worktree ${layout.worktreePath} is not registered in the repository`);
  const bin = resolveExecutable(agentBinSetting(agent, panel.config.agentBins));
  if (!bin) throw new Error(`${agentBinSetting(agent, panel.config.agentBins)} was not found (${agent.label}); install it or set ${agent.binSetting.env}`);
  const sandbox = await launchSandbox(panel);
  // Preflight refuses this first; checked again here, right before anything is written.
  const unfenced = agentSandboxProblem(agent, sandbox.active);
  if (unfenced) throw new Error(`${unfenced}${sandbox.reason ? ` (${sandbox.reason})` : ""}`);

  // Inside the panel's sandbox the user's home is read-only: the agent gets a private home with a
  // copy of its login and config (nothing it writes reaches the user's own agent config).
  let homeEnv: Record<string, string> = {};
  if (sandbox.active) {
    const home = agent.home(layout.agentHomeDir, process.env);
    for (const d of home.dirs) await realDirIn(layout.agentHomeDir, d);
    for (const c of home.copy) {
      await realDirIn(layout.agentHomeDir, dirname(c.to));
      // Gone from the user's config: so is the copy (nothing the agent left there stays in its place).
      if (!existsSync(c.from)) {
        await rm(c.to, { recursive: true, force: true });
        continue;
      }
      // Replaces (never follows) whatever the agent left at the destination.
      writeFileAtomicSync(c.to, await readFile(c.from), { mode: 0o600 });
    }
    homeEnv = home.env;
  }
  const envFile = agentEnvFile(panel.config.dataDir, run.id, worker.id);
  await mkdir(dirname(envFile), { recursive: true, mode: 0o700 });
  // The repo config's part (ARCHITECTURE.md §10): the panel's variables, the config's env, and setup.
  const workspace = turnWorkspace(panel, run, worker, { promptFile: promptPath, followUp: input.followUp !== undefined });
  const turn = {
    worktreePath: layout.worktreePath,
    outputSchemaPath: run.outputSchemaPath,
    outputSchema: PANEL_WORKER_OUTPUT_SCHEMA as unknown as Record<string, unknown>,
    lastMessagePath: layout.lastMessagePath,
    resumeThreadId: input.followUp?.threadId,
    model: worker.model,
    panelSandbox: sandbox.active,
    extraArgs: agentExtraArgs(agent),
  };
  const args = agent.args(turn);
  await writeFileAtomic(envFile, envFileText(agentEnvironment({ ...workspace.env, ...homeEnv, ...agent.turnEnv?.(turn) }, process.env, agent.passEnv)), 0o600);
  const sandboxArgv = sandbox.active
    ? [sandbox.bwrap!, ...bwrapArgs({
      worktree: layout.worktreePath,
      gitCommonDir: await commonGitDir(repo),
      hide: [dirname(runsRoot(repo)), panel.config.dataDir],
      writable: [layout.outboxDir, layout.agentHomeDir, ...panel.config.sandboxWritable.filter((p) => existsSync(p))],
      readable: [run.outputSchemaPath, promptPath],
    })]
    : undefined;
  const scripts = bridgeScriptPaths(panel.config.root);
  const script = launcherScript({
    runId: run.id,
    workerId: worker.id,
    role: worker.role,
    label: worker.label,
    attempt,
    followUp: input.followUp ? { threadId: input.followUp.threadId } : undefined,
    agent: worker.agent,
    worktreePath: layout.worktreePath,
    gitDir: wt.gitDir,
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
    stopFilePath: run.stopFilePath,
    agentBin: bin,
    agentArgs: args,
    sandbox: sandboxArgv,
    nodeBin: process.execPath,
    finishScript: scripts.finishScript,
    paneViewScript: scripts.paneViewScript,
    setup: workspace.setup ? { command: workspace.setup, exitPath: layout.setupExitPath, logPath: layout.setupLogPath, ignoredBeforePath: layout.setupIgnoredBeforePath, ignoredAfterPath: layout.setupIgnoredAfterPath } : undefined,
  });
  await writeFileAtomic(layout.launcherPath, script, 0o700);
  return { argv: ["bash", layout.launcherPath], cwd: layout.runtimeDir };
}

/**
 * `dir` (inside `base`, the agent's writable private home) as a real directory: anything the agent
 * put on the way — a symlink to a folder elsewhere, a file — is removed first, so what the panel
 * writes there next lands inside the private home.
 */
async function realDirIn(base: string, dir: string): Promise<void> {
  const rel = relative(base, dir);
  if (rel.startsWith("..") || isAbsolute(rel)) throw new Error(`${dir} is not inside ${base}`);
  let cur = base;
  for (const part of rel.split(sep).filter(Boolean)) {
    cur = join(cur, part);
    const st = await lstat(cur).catch(() => undefined);
    if (st && !st.isDirectory()) await rm(cur, { recursive: true, force: true });
    if (!st || !st.isDirectory()) await mkdir(cur, { mode: 0o700 });
  }
}

/** Before a turn: the previous attempt's event log is kept beside the new one; its result files go. */
export async function clearAttemptFiles(layout: WorkerLayout, previousAttempt: number): Promise<void> {
  if (existsSync(layout.agentEventsPath) && previousAttempt > 0) {
    await rename(layout.agentEventsPath, attemptEventsPath(layout, previousAttempt));
  }
  await Promise.all(
    [layout.resultPath, layout.exitCodePath, layout.commitPath, join(layout.runtimeDir, "result.json.stdout"), layout.lastMessagePath].map((f) => rm(f, { force: true })),
  );
}
