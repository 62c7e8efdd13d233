/**
 * Running the queue's gate (ARCHITECTURE.md §7 "Merge queue"; which check: gate.ts) — the
 * config's copied files, then setup, then the check, each `bash -c` in the
 * scratch worktree inside the panel's sandbox (the same one agents and setup get: the filesystem
 * read-only, the scratch worktree writable, the run folders and the data dir hidden, a private
 * /tmp as HOME), in its own process group, its output appended to the item's log as it comes
 * (the UI streams that file) and its last lines kept on the item.
 */
import { spawn } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { runLayout } from "../../bridge/layout";
import { appendFileNoFollowSync } from "../../bridge/safe-fs.mjs";
import { RUN_ID_PATTERN, WORKER_ID_PATTERN, assertId } from "../../core/ids";
import type { PanelRun } from "../../core/records";
import { copyIgnoredFiles } from "../../bridge/copy-files";
import { worktreeGit } from "../../bridge/git";
import { configCommandArgv, configCommandEnv } from "../config/command";
import { launchSandbox } from "../lifecycle/attempt";
import type { Panel } from "../panel";

/** A check that runs longer is stopped and counts as failed. */
export const CHECK_TIMEOUT_MS = 30 * 60_000;

export interface CheckPlan {
  /** The approved config text the commands come from. */
  sha256: string;
  setup?: string;
  check: string;
  /** The panel's variables and the config's env (its ${LONGTABLE_PANEL_…} replaced). */
  env: Record<string, string>;
  /** The config's copy globs: ignored files of the leader copied into the scratch worktree first. */
  copy?: readonly string[];
}

/** `<run>/queue/<workerId>.build-<n>.log`: the output of an item's setup and check, kept. */
export function checkLogPath(repo: string, runId: string, workerId: string, build: number): string {
  assertId(RUN_ID_PATTERN, runId, "run id");
  assertId(WORKER_ID_PATTERN, workerId, "worker id");
  return join(runLayout(repo, runId).runDirectory, "queue", `${workerId}.build-${Math.max(1, Math.floor(build))}.log`);
}

export interface CheckOutcome {
  passed: boolean;
  /** Which command ended it. */
  step: "setup" | "check";
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  aborted: boolean;
  ms: number;
}

interface StepResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  aborted: boolean;
}

function runStep(argv: string[], cwd: string, env: Record<string, string>, log: (b: Buffer | string) => void, signal: AbortSignal, timeoutMs: number): Promise<StepResult> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd, env: env as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let timedOut = false;
    let aborted = false;
    const killAll = () => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // gone already
      }
    };
    const timer = setTimeout(() => ((timedOut = true), killAll()), timeoutMs);
    const onAbort = () => ((aborted = true), killAll());
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    child.stdout.on("data", log);
    child.stderr.on("data", log);
    const done = (r: StepResult) => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      resolve(r);
    };
    child.on("error", (error) => {
      log(`${error.message}\n`);
      done({ exitCode: 127, signal: null, timedOut: false, aborted });
    });
    child.on("close", (code, sig) => done({ exitCode: code, signal: sig, timedOut, aborted }));
  });
}

/** Setup (when the config has one), then the check, in the scratch worktree; the log gets everything. */
export async function runCheck(panel: Panel, run: PanelRun, scratch: string, plan: CheckPlan, logPath: string, signal: AbortSignal, timeoutMs = CHECK_TIMEOUT_MS): Promise<CheckOutcome> {
  await mkdir(dirname(logPath), { recursive: true });
  const log = (chunk: Buffer | string) => {
    try {
      appendFileNoFollowSync(logPath, chunk);
    } catch {
      // the log is best effort; the outcome is not
    }
  };
  const started = Date.now();
  const repo = run.workingDirectory;
  if (plan.copy && plan.copy.length > 0) {
    const wt = await worktreeGit(repo, scratch);
    if (wt) {
      const copied = await copyIgnoredFiles(repo, wt, plan.copy);
      log(`copied ${copied.files.length} ignored file(s) from the leader checkout${copied.skipped.length ? `; skipped ${copied.skipped.length}` : ""}\n`);
    }
  }
  const sandbox = await launchSandbox(panel);
  const env = configCommandEnv({ ...plan.env, ...(sandbox.active ? { HOME: "/tmp" } : {}) });
  const wrap = (command: string) => configCommandArgv(panel, sandbox, repo, scratch, command);
  const steps: Array<["setup" | "check", string]> = [...(plan.setup ? [["setup", plan.setup] as ["setup", string]] : []), ["check", plan.check]];
  let last: StepResult = { exitCode: 0, signal: null, timedOut: false, aborted: false };
  let step: "setup" | "check" = "check";
  for (const [name, command] of steps) {
    step = name;
    log(`$ ${name}: ${command}\n`);
    last = await runStep(await wrap(command), scratch, env, log, signal, Math.max(1000, timeoutMs - (Date.now() - started)));
    log(`[${name} ${last.aborted ? "stopped" : last.timedOut ? "timed out" : `exited ${last.exitCode ?? last.signal}`}]\n`);
    if (last.exitCode !== 0 || last.aborted || last.timedOut) break;
  }
  return { passed: last.exitCode === 0 && !last.aborted && !last.timedOut, step, ...last, ms: Date.now() - started };
}
