/**
 * The repo config's teardown (ARCHITECTURE.md §10): before the panel removes a worker's worktree
 * (discard, clean-up, shutdown) it runs the teardown of the config text the worker was launched
 * with — only a text the operator approved — in the same sandbox and environment as setup and the
 * agent. A failure or timeout is reported in an event and never keeps the removal from happening.
 */
import { existsSync } from "node:fs";
import { agentFor } from "../../agents/registry";
import { worktreeGit } from "../../bridge/git";
import { workerLayout } from "../../bridge/layout";
import { lastLines, runCaptured } from "../../bridge/run-captured";
import { writeFileAtomic } from "../../bridge/run-files";
import { appendFileNoFollowSync } from "../../bridge/safe-fs.mjs";
import type { PanelRun, PanelWorker } from "../../core/records";
import type { RunDoor } from "../door";
import { launchSandbox } from "../lifecycle/attempt";
import { teardownRan, type TeardownOutcome } from "../machine-setup";
import type { Panel } from "../panel";
import { configCommandArgv, configCommandEnv } from "./command";
import { turnWorkspace, workerConfig } from "./turn";

/** How long a teardown may run before it is stopped (and reported as failed). */
export const TEARDOWN_TIMEOUT_MS = 120_000;

const nowIso = () => new Date().toISOString();

/** Run the worker's teardown when it has one; undefined when there is nothing to run. */
export async function runTeardown(panel: Panel, run: PanelRun, worker: PanelWorker, timeoutMs = TEARDOWN_TIMEOUT_MS): Promise<TeardownOutcome | undefined> {
  if (worker.runtimeLayout !== "panel") return undefined;
  const command = workerConfig(panel, run, worker)?.teardown;
  if (!command) return undefined;
  const repo = run.workingDirectory;
  const layout = workerLayout(repo, run.id, worker.id);
  if (!existsSync(layout.worktreePath) || !(await worktreeGit(repo, layout.worktreePath))) return undefined;
  let sandbox;
  try {
    sandbox = await launchSandbox(panel);
  } catch (error) {
    return { exitCode: null, signal: null, timedOut: false, tail: `not run: ${(error as Error).message}`, ms: 0 };
  }
  let homeEnv: Record<string, string> = {};
  if (sandbox.active && existsSync(layout.agentHomeDir)) homeEnv = agentFor(worker.agent).home(layout.agentHomeDir, process.env).env;
  const workspace = turnWorkspace(panel, run, worker, { promptFile: layout.taskPath, followUp: true });
  const env = configCommandEnv({ ...workspace.env, ...homeEnv });
  let argv: string[];
  try {
    argv = await configCommandArgv(panel, sandbox, repo, layout.worktreePath, command, {
      writable: [layout.outboxDir, layout.agentHomeDir].filter((p) => existsSync(p)),
      readable: [layout.taskPath].filter((p) => existsSync(p)),
    });
  } catch (error) {
    return { exitCode: null, signal: null, timedOut: false, tail: `not run: ${(error as Error).message}`, ms: 0 };
  }
  const r = await runCaptured(argv, { cwd: layout.worktreePath, env, timeoutMs });
  const head = `${nowIso()} teardown (exit ${r.exitCode ?? r.signal}${r.timedOut ? ", timed out" : ""}, ${r.ms} ms)\n`;
  await writeFileAtomic(layout.teardownLogPath, `${head}${r.output}`).catch(() => undefined);
  try {
    appendFileNoFollowSync(layout.logPath, `${head}${r.output}${r.output.endsWith("\n") ? "" : "\n"}`);
  } catch {
    // the log is best effort
  }
  return { exitCode: r.exitCode, signal: r.signal, timedOut: r.timedOut, tail: lastLines(r.output), ms: r.ms };
}

/** Run the worker's teardown and report it through the door (a failure is an event, never an error). */
export async function teardownThroughDoor(panel: Panel, door: RunDoor, workerId: string): Promise<void> {
  const worker = door.current.workers.find((w) => w.id === workerId);
  if (!worker) return;
  const outcome = await runTeardown(panel, door.current, worker).catch((error: Error) => ({ exitCode: null, signal: null, timedOut: false, tail: `not run: ${error.message}`, ms: 0 }));
  if (outcome) await door.apply((run) => teardownRan(run, workerId, outcome, nowIso()));
}
