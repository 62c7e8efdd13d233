/**
 * worker-finish.mjs — run by a worker's launch.sh after the agent has exited, OUTSIDE the agent's
 * sandbox (ARCHITECTURE.md §5, §6). Everything it reads that the agent could have written (its
 * final message, its event stream, the worktree) is data: files are read without following
 * symlinks and size-capped, and git runs with hooks off, fsmonitor off, and the worktree's real
 * git dir (`--git-dir`, never the worktree's `.git` file, which the agent can rewrite).
 *
 * Plain Node ESM, no dependencies outside node:* and this project's plain helpers (launch.sh
 * runs it with an absolute node path, possibly from a tmux server started long ago). It:
 *   1. asks the agent's adapter (server/agents/<agent>/result.mjs) for the final answer (codex:
 *      the `-o` last-message file; Claude Code: the `result` line of its event stream), parses it
 *      as JSON (or the last {...} object inside it) and re-serializes it to exactly the worker
 *      result fields; a missing / invalid answer (or a failed agent without one) becomes an
 *      `error` result;
 *   2. writes result.exit.json {exitCode, completedAt};
 *   3. commits the worktree's changes (never anything under .longtable-worker/) with a fixed author;
 *   4. writes `git rev-parse HEAD` to result.json.commit;
 *   5. finally writes result.json atomically (temp file + rename), so that when result.json
 *      appears, everything else is already final;
 * and appends readable lines to worker.log.
 *
 * Usage (every value is its own argv element; a value may start with "-"):
 *   node worker-finish.mjs --agent <codex|claude|command> --worker-id <id> --role <role> --label <label>
 *     --run-id <runId> --attempt <n> --worktree <dir> --git-dir <dir> --last-message <file>
 *     --events <file> --result <file> --exit-file <file> --commit-file <file> --log <file> --exit-code <n>
 *     [--stop-file <file>] [--follow-up 0|1] [--signal INT|TERM] [--reason <text>]
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { AGENTS, RESULT_LIMITS, buildWorkerResult, capString, extractJsonObject } from "./finish-result.mjs";
import { appendFileNoFollowSync, readFileNoFollowSync, writeFileAtomicSync } from "./safe-fs.mjs";


/**
 * @typedef {import("./finish-result.mjs").WorkerResultRecord} WorkerResultRecord
 * @typedef {{agent: string, workerId: string, role: string, label: string, runId?: string, attempt: number, worktree: string,
 *   gitDir: string, lastMessage: string, events?: string, result: string, exitFile: string, commitFile: string, log: string,
 *   exitCode: number, stopFile?: string, followUp: boolean, signal?: string, reason?: string}} FinishOptions
 */

export const WORKER_COMMIT_NAME = "LongTable Panel Worker";
export const WORKER_COMMIT_EMAIL = "longtable-panel-worker@example.invalid";
export const RUNTIME_DIR_NAME = ".longtable-worker";
const RUNTIME_PATHSPEC = `:(exclude)${RUNTIME_DIR_NAME}`;

// ---------------------------------------------------------------------------------------------
// Files and git
// ---------------------------------------------------------------------------------------------

/** The largest agent output file (final message, event stream) read at all. */
const MAX_READ = RESULT_LIMITS.maxReadBytes;

/** A file the agent may have produced, read as data: no symlinks, size-capped. */
function readAgentFile(path) {
  if (!path) return {};
  try {
    const file = readFileNoFollowSync(path, MAX_READ);
    if (!file) return {};
    if (file.truncated) return { tooLarge: file.size };
    return { data: file.data };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * The agent's final answer, from the agent's adapter (server/agents/<agent>/result.mjs): it gets
 * the bytes of the last-message file and of the event stream, and says which holds the answer.
 * @param {FinishOptions} options
 * @returns {Promise<{output?: Uint8Array, outputBytes?: number, readError?: string, problem?: string, session?: string}>}
 */
export async function readAgentOutput(options) {
  const last = readAgentFile(options.lastMessage);
  const events = options.events ? readAgentFile(options.events) : {};
  // codex and the command agent answer in the last-message file; Claude Code in its event stream.
  if (last.tooLarge !== undefined && options.agent !== "claude") return { outputBytes: last.tooLarge };
  if (events.tooLarge !== undefined && options.agent === "claude") return { outputBytes: events.tooLarge };
  const adapter = await import(`../agents/${options.agent}/result.mjs`);
  const answer = adapter.agentOutput({
    lastMessage: last.data,
    lastMessageProblem: last.error ? `could not read the agent's final message: ${capString(last.error, 300)}` : undefined,
    events: events.data,
    extractJson: extractJsonObject,
  });
  return { output: answer.output, problem: answer.problem, session: answer.session };
}

/** Environment for git: no inherited repository overrides, fixed worker identity. */
export function workerGitEnv(base = process.env) {
  const env = { ...base };
  for (const name of [
    "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_PREFIX", "GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE",
    "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "GIT_EXTERNAL_DIFF",
  ]) delete env[name];
  env.GIT_AUTHOR_NAME = WORKER_COMMIT_NAME;
  env.GIT_AUTHOR_EMAIL = WORKER_COMMIT_EMAIL;
  env.GIT_COMMITTER_NAME = WORKER_COMMIT_NAME;
  env.GIT_COMMITTER_EMAIL = WORKER_COMMIT_EMAIL;
  env.GIT_TERMINAL_PROMPT = "0";
  return env;
}

/** Hooks off, fsmonitor off, no submodule recursion: nothing the agent wrote is run (see server/bridge/git.ts). */
export const GIT_HARDENING = ["-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false", "-c", "submodule.recurse=false"];

/** git in the worktree through its real git dir (never the worktree's `.git` file, which the agent can rewrite). */
function gitIn(worktree, gitDir, args) {
  return execFileSync("git", [...GIT_HARDENING, ...args], {
    cwd: worktree,
    encoding: "utf8",
    env: { ...workerGitEnv(), GIT_DIR: gitDir, GIT_WORK_TREE: worktree },
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 256 * 1024 * 1024,
  });
}

function gitErrorText(error) {
  const stderr = error && typeof error === "object" && "stderr" in error ? String(error.stderr ?? "") : "";
  const message = stderr.trim() || (error instanceof Error ? error.message : String(error));
  return message.split("\n").slice(0, 3).join(" | ").slice(0, 500);
}

/** Untracked folders that are git repositories of their own (git lists them as `dir/` and does not look inside). */
export function nestedRepositories(git) {
  return git(["ls-files", "-z", "--others", "--exclude-standard"]).split("\0").filter((p) => p.endsWith("/"));
}

function runtimeDirIgnored(git) {
  try {
    git(["check-ignore", "-q", "--no-index", `${RUNTIME_DIR_NAME}/`]);
    return true;
  } catch {
    return false;
  }
}

/** `longtable panel worker <workerId>` (+ attempt when > 1, + follow-up). @param {string} workerId @param {number} [attempt] @param {boolean} [followUp] */
export function workerCommitMessage(workerId, attempt = 1, followUp = false) {
  const notes = [];
  if (Number.isInteger(attempt) && attempt > 1) notes.push(`attempt ${attempt}`);
  if (followUp) notes.push("follow-up");
  return `longtable panel worker ${workerId}${notes.length ? ` (${notes.join(", ")})` : ""}`;
}

/**
 * Commits the worktree's changes (everything except .longtable-worker/) when `git status` shows
 * any. Returns {committed, files, head?, error?}; never throws.
 * @param {string} worktree
 * @param {string} message
 * @returns {{committed: boolean, files: number, head: string | undefined, error: string | undefined}}
 */
export function commitWorktree(worktree, message, gitDir) {
  const git = (args) => gitIn(worktree, gitDir, args);
  /** @type {{committed: boolean, files: number, head: string | undefined, error: string | undefined, skipped: string[]}} */
  const outcome = { committed: false, files: 0, head: undefined, error: undefined, skipped: [] };
  try {
    // v2 with --branch also says where HEAD is: when nothing changed, this is the only git process
    // (bench: agent exit → completion event).
    const status = git(["status", "--porcelain=v2", "--branch", "--untracked-files=all", "--ignore-submodules=all", "--", ".", RUNTIME_PATHSPEC]);
    const lines = status.split("\n").filter((line) => line.trim() !== "" && !line.startsWith("# "));
    const oid = /^# branch\.oid ([0-9a-f]{40,64})$/m.exec(status);
    if (lines.length === 0 && oid) outcome.head = oid[1];
    if (lines.length > 0) {
      // When the runtime folder is ignored (info/exclude, the normal case) `add -A .` skips it, and
      // naming it in an exclude pathspec would make git fail with "paths are ignored"; when it
      // is not ignored, the exclude pathspec keeps it out.
      // A git repository the agent made inside its worktree is not committed (git would record a
      // commit id it cannot show, or fail outright when that repository has no commit yet).
      const nested = nestedRepositories(git);
      outcome.skipped = nested;
      const skip = nested.map((p) => `:(exclude,literal)${p}`);
      git(runtimeDirIgnored(git) ? ["add", "-A", "--", ".", ...skip] : ["add", "-A", "--", ".", RUNTIME_PATHSPEC, ...skip]);
      // Defensive: whatever put runtime files in the index (an agent's `git add -f`), unstage them.
      git(["reset", "-q", "--", RUNTIME_DIR_NAME]);
      const staged = git(["diff", "--cached", "--name-only", "-z"]).split("\0").filter(Boolean);
      if (staged.length > 0) {
        git([
          "-c", `user.name=${WORKER_COMMIT_NAME}`,
          "-c", `user.email=${WORKER_COMMIT_EMAIL}`,
          "-c", "commit.gpgsign=false",
          "commit", "--no-verify", "-q", "-m", message,
        ]);
        outcome.committed = true;
        outcome.files = staged.length;
      }
    }
  } catch (error) {
    outcome.error = gitErrorText(error);
  }
  if (outcome.committed || !outcome.head) {
    try {
      outcome.head = git(["rev-parse", "HEAD"]).trim();
    } catch (error) {
      outcome.error = outcome.error ?? gitErrorText(error);
    }
  }
  return outcome;
}

// ---------------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------------

const FLAGS = {
  "--agent": "agent",
  "--git-dir": "gitDir",
  "--events": "events",
  "--worker-id": "workerId",
  "--role": "role",
  "--label": "label",
  "--run-id": "runId",
  "--attempt": "attempt",
  "--worktree": "worktree",
  "--last-message": "lastMessage",
  "--result": "result",
  "--exit-file": "exitFile",
  "--commit-file": "commitFile",
  "--log": "log",
  "--exit-code": "exitCode",
  "--stop-file": "stopFile",
  "--follow-up": "followUp",
  "--signal": "signal",
  "--reason": "reason",
};
const REQUIRED = [
  "workerId", "role", "label", "worktree", "gitDir", "lastMessage", "result", "exitFile", "commitFile", "log", "exitCode",
];

/**
 * Parses `--flag value` pairs; a value is always the next argv element, whatever it starts with.
 * @param {string[]} argv
 * @returns {FinishOptions}
 */
export function parseFinishArgs(argv) {
  /** @type {Record<string, string>} */
  const options = {};
  for (let i = 0; i < argv.length; i += 2) {
    const key = FLAGS[argv[i]];
    if (!key) throw new Error(`unknown argument ${JSON.stringify(argv[i])}`);
    if (i + 1 >= argv.length) throw new Error(`missing value for ${argv[i]}`);
    options[key] = argv[i + 1];
  }
  for (const key of REQUIRED) {
    if (options[key] === undefined) throw new Error(`missing --${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
  }
  const exitCode = Number(options.exitCode);
  if (!Number.isInteger(exitCode)) throw new Error(`invalid --exit-code ${JSON.stringify(options.exitCode)}`);
  const attempt = options.attempt === undefined ? 1 : Number(options.attempt);
  const agent = options.agent ?? "codex";
  if (!AGENTS.includes(agent)) throw new Error(`unknown --agent ${JSON.stringify(agent)}`);
  return /** @type {FinishOptions} */ ({
    ...options,
    agent,
    exitCode,
    attempt: Number.isInteger(attempt) && attempt > 0 ? attempt : 1,
    followUp: options.followUp === "1" || options.followUp === "true",
    signal: options.signal || undefined,
    reason: options.reason || undefined,
  });
}

function logLine(path, message) {
  try {
    appendFileNoFollowSync(path, `${new Date().toISOString()} finish: ${message.replace(/\r?\n/g, " ")}\n`);
  } catch {
    // The log is best effort; results are not.
  }
}

/**
 * Does the whole finish for one agent turn (see the file header). Returns
 * {result, valid, commit}. Throws only if result files cannot be written.
 * @param {FinishOptions} options
 */
export async function finishWorker(options) {
  const worker = { id: options.workerId, role: options.role, label: options.label };
  const log = (message) => logLine(options.log, message);
  log(`agent exited with code ${options.exitCode}${options.signal ? ` (launcher saw SIG${options.signal})` : ""}`);

  const read = await readAgentOutput(options);
  const stopRequested = Boolean(options.stopFile && existsSync(options.stopFile));
  const built = buildWorkerResult({
    output: read.output,
    outputBytes: read.outputBytes,
    readError: read.readError,
    outputProblem: read.problem,
    agent: options.agent,
    exitCode: options.exitCode,
    worker,
    reason: options.reason,
    stopRequested,
    signal: options.signal,
  });
  if (built.valid && options.exitCode !== 0) log("agent failed but wrote a valid result; keeping it");
  log(`result status ${built.result.status}${built.result.error ? `: ${built.result.error.slice(0, 300)}` : ""}`);

  const completedAt = new Date().toISOString();
  writeFileAtomicSync(options.exitFile, `${JSON.stringify({ exitCode: options.exitCode, completedAt }, null, 2)}\n`);

  const commit = commitWorktree(options.worktree, workerCommitMessage(worker.id, options.attempt, options.followUp), options.gitDir);
  if (commit.error) log(`git commit failed: ${commit.error}`);
  if (commit.skipped.length) log(`not committed (git repositories of their own inside the worktree): ${commit.skipped.join(", ")}`);
  if (commit.committed) log(`committed ${commit.head} (${commit.files} file${commit.files === 1 ? "" : "s"})`);
  else if (!commit.error) log("no worktree changes to commit");
  if (commit.head) writeFileAtomicSync(options.commitFile, `${commit.head}\n`);

  writeFileAtomicSync(options.result, `${JSON.stringify(built.result, null, 2)}\n`);
  log(`wrote ${options.result}`);
  return { result: built.result, valid: built.valid, commit, session: read.session };
}

function summaryLine(outcome) {
  const r = outcome.result;
  const count = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const parts = [`result: ${r.status}`];
  if (r.status === "error") parts.push(r.error.split("\n")[0].slice(0, 200));
  else parts.push(`${count(r.claims.length, "claim")}, ${count(r.objections.length, "objection")}, ${count(r.openQuestions.length, "open question")}`);
  if (outcome.commit.committed) parts.push(`commit ${outcome.commit.head.slice(0, 12)} (${count(outcome.commit.files, "file")})`);
  else if (outcome.commit.error) parts.push(`commit failed: ${outcome.commit.error.slice(0, 200)}`);
  else parts.push("no changes to commit");
  // The error can quote agent output: keep terminal escapes out of the pane.
  // eslint-disable-next-line no-control-regex
  return parts.join(" · ").replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
}

/** The finish step as a command: parse `argv`, finish, print the summary line; the exit code. (Also run by pane-view.mjs.) */
export async function main(argv) {
  let options;
  try {
    options = parseFinishArgs(argv);
  } catch (error) {
    process.stderr.write(`worker-finish: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  try {
    const outcome = await finishWorker(options);
    process.stdout.write(`${summaryLine(outcome)}\n`);
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    logLine(options.log, `failed: ${message}`);
    process.stderr.write(`worker-finish: ${message}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
