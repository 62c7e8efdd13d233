/**
 * A worker set up the way the bridge does it, without tmux: a temp repo, a run directory, a git
 * worktree on the worker branch, task.md, the output schema, and a launch.sh generated for a fake
 * codex. `runLauncher` runs launch.sh with bash and collects its output.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { codexExecArgs } from "../../server/agents/codex";
import { worktreeGit } from "../../server/bridge/git";
import { agentEnvFile, workerLayout, type WorkerLayout } from "../../server/bridge/layout";
import { envFileText, launcherScript, type LauncherInput } from "../../server/bridge/launcher";
import { branchFor } from "../../server/core/ids";
import { PANEL_WORKER_OUTPUT_SCHEMA } from "../../server/core/records";
import { makeFakeCodex, type FakeCodexRecord, type FakeCodexScript } from "./fake-codex.ts";
import { makeRepo, removeDir, sh, tempDir } from "./repo";

// (not `new URL(…, import.meta.url)`: vite would turn that into an import of the script)
const BRIDGE_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "server", "bridge");
export const FINISH_SCRIPT = join(BRIDGE_DIR, "worker-finish.mjs");
export const PANE_VIEW_SCRIPT = join(BRIDGE_DIR, "pane-view.mjs");

/** What a test may change about launch.sh (in the shape the bridge's inputs had before agents were pluggable). */
export interface LauncherOverrides extends Partial<LauncherInput> {
  codexBin?: string;
  /** A follow-up turn: resume the thread with the message file on stdin. */
  resume?: { threadId: string; messagePath: string };
  /** Environment for the agent (written to the 0600 env file, which the launcher reads and deletes). */
  env?: Record<string, string>;
}

export interface WorkerFixture {
  repo: string;
  runId: string;
  workerId: string;
  role: string;
  label: string;
  runDir: string;
  worktree: string;
  branch: string;
  baseCommit: string;
  paths: WorkerLayout;
  stopFilePath: string;
  outputSchemaPath: string;
  codexBin: string;
  recordPath: string;
  /** The data dir the env file goes to. */
  dataDir: string;
  envFile: string;
  /** launch.sh for a new session (written to paths.launcherPath). */
  launcherInput: LauncherInput;
  writeLauncher(overrides?: LauncherOverrides): string;
  records(): FakeCodexRecord[];
  /** Removes the temp repo and the fake codex directory. */
  cleanup(): void;
}

export interface FixtureOptions {
  script: FakeCodexScript;
  role?: string;
  label?: string;
  /** Add .longtable/ and .longtable-worker/ to info/exclude like the bridge does (default true). */
  exclude?: boolean;
  /** Directory name for the repo's parent; may contain spaces and quotes. */
  worktreeName?: string;
  env?: Record<string, string>;
  recordEnv?: string[];
  taskText?: string;
  files?: Record<string, string>;
}

export const RUN_ID = "panel_run_mabc123_k3j9x2q1";

export async function makeWorkerFixture(options: FixtureOptions): Promise<WorkerFixture> {
  const role = options.role ?? "reviewer";
  const label = options.label ?? "Reviewer";
  const workerId = `worker-1-${role}`;
  const repo = makeRepo(options.files);
  const commonDir = sh(repo, "git", ["rev-parse", "--git-common-dir"]).trim();
  if (options.exclude !== false) {
    appendFileSync(join(repo, commonDir, "info", "exclude"), "\n.longtable/\n.longtable-worker/\n");
  }
  const paths = workerLayout(repo, RUN_ID, workerId);
  const runDir = dirname(dirname(paths.worktreePath));
  const worktree = options.worktreeName ? join(runDir, "worktrees", options.worktreeName) : paths.worktreePath;
  mkdirSync(join(runDir, "worktrees"), { recursive: true });
  const branch = branchFor(RUN_ID, workerId);
  sh(repo, "git", ["worktree", "add", "-q", "-b", branch, worktree]);
  const baseCommit = sh(worktree, "git", ["rev-parse", "HEAD"]).trim();
  const wt = await worktreeGit(repo, worktree);
  if (!wt) throw new Error("the fixture's worktree is not registered");
  mkdirSync(paths.outboxDir, { recursive: true });
  const outputSchemaPath = join(runDir, "panel-worker-output.schema.json");
  writeFileSync(outputSchemaPath, `${JSON.stringify(PANEL_WORKER_OUTPUT_SCHEMA, null, 2)}\n`);
  writeFileSync(
    paths.taskPath,
    options.taskText ?? ["LongTable native panel worker", "", `Role: ${label} (${role})`, `Run: ${RUN_ID}`, "", "Research object:", "Check the app.", ""].join("\n"),
  );
  const fakeDir = tempDir("ltp-fake-");
  const recordPath = join(fakeDir, "record.jsonl");
  const codexBin = await makeFakeCodex(fakeDir, {
    ...options.script,
    _options: { record: recordPath, recordEnv: options.recordEnv, ...(options.script._options ?? {}) },
  });
  const dataDir = join(fakeDir, "data");
  const envFile = agentEnvFile(dataDir, RUN_ID, workerId);
  const input = (o: LauncherOverrides = {}): LauncherInput => {
    const { codexBin: bin, resume, env: _env, ...rest } = o;
    return {
      workerId,
      role,
      label,
      runId: RUN_ID,
      attempt: 1,
      agent: "codex",
      worktreePath: worktree,
      gitDir: wt.gitDir,
      paths: {
        promptPath: resume?.messagePath ?? paths.taskPath,
        resultPath: paths.resultPath,
        logPath: paths.logPath,
        exitCodePath: paths.exitCodePath,
        commitPath: paths.commitPath,
        agentEventsPath: paths.agentEventsPath,
        lastMessagePath: paths.lastMessagePath,
        envFile,
      },
      stopFilePath: join(runDir, "stop-requested"),
      agentBin: bin ?? codexBin,
      agentArgs: codexExecArgs({ worktreePath: worktree, outputSchemaPath, lastMessagePath: paths.lastMessagePath, resumeThreadId: resume?.threadId }),
      ...(resume ? { followUp: { threadId: resume.threadId } } : {}),
      nodeBin: process.execPath,
      finishScript: FINISH_SCRIPT,
      paneViewScript: PANE_VIEW_SCRIPT,
      ...rest,
    };
  };
  const launcherInput = input();
  const fixture: WorkerFixture = {
    repo,
    runId: RUN_ID,
    workerId,
    role,
    label,
    runDir,
    worktree,
    branch,
    baseCommit,
    paths,
    stopFilePath: launcherInput.stopFilePath,
    outputSchemaPath,
    codexBin,
    recordPath,
    dataDir,
    envFile,
    launcherInput,
    writeLauncher(overrides = {}) {
      const text = launcherScript(input(overrides));
      const env = { ...(options.env ?? {}), ...(overrides.env ?? {}) };
      mkdirSync(dirname(envFile), { recursive: true });
      writeFileSync(envFile, envFileText(env), { mode: 0o600 });
      writeFileSync(paths.launcherPath, text, { mode: 0o700 });
      return paths.launcherPath;
    },
    cleanup() {
      removeDir(repo);
      removeDir(fakeDir);
    },
    records() {
      if (!existsSync(recordPath)) return [];
      return readFileSync(recordPath, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as FakeCodexRecord);
    },
  };
  fixture.writeLauncher();
  return fixture;
}

export interface LauncherRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment a tmux server might have: minimal, plus whatever the test adds. */
export function paneEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", LANG: "C.UTF-8", ...extra } as unknown as NodeJS.ProcessEnv;
}

export function startLauncher(script: string, env: NodeJS.ProcessEnv = paneEnv()): { child: ChildProcess; done: Promise<LauncherRun> } {
  // detached: its own process group, like a tmux pane, so a test can signal the whole group.
  const child = spawn("bash", [script], { env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const done = new Promise<LauncherRun>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

export function runLauncher(script: string, env?: NodeJS.ProcessEnv): Promise<LauncherRun> {
  return startLauncher(script, env).done;
}

/** Polls `check` until it returns a truthy value or the deadline passes. */
export async function waitFor<T>(check: () => T | undefined | false | null, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function readJson<T = unknown>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

export function readJsonLines(path: string): Record<string, unknown>[] {
  return readFileSync(path, "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, unknown>);
}
