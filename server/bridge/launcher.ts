/**
 * launch.sh — the script a worker's tmux window runs (DESIGN §3, §4 "The agent contract").
 *
 * The script embeds everything it needs (absolute codex and node paths, env values) because a
 * tmux server keeps the environment of whoever started it. Every embedded value is single-quoted
 * with `shellQuote` and assigned to a shell variable once; the script body only ever uses
 * "$variables", so no value is ever re-parsed by the shell. Values are never put in comments.
 */
import { dirname, isAbsolute, join } from "node:path";
import { ROLE_ID_PATTERN, RUN_ID_PATTERN, WORKER_ID_PATTERN, assertId } from "../panel/ids";

export const ENV_NAME_PATTERN = /^[A-Z_][A-Z0-9_]*$/;
/** codex thread ids are UUIDs; allow a little more, but never a leading "-" (it would be a flag). */
export const THREAD_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;
export const BRIDGE_SCRIPTS = { finish: "worker-finish.mjs", paneView: "pane-view.mjs" } as const;

/** Absolute paths of the bridge's helper scripts for a checkout of this project at `projectRoot`. */
export function bridgeScriptPaths(projectRoot: string): { finishScript: string; paneViewScript: string } {
  return {
    finishScript: join(projectRoot, "server", "bridge", BRIDGE_SCRIPTS.finish),
    paneViewScript: join(projectRoot, "server", "bridge", BRIDGE_SCRIPTS.paneView),
  };
}

/**
 * Quotes `value` as one shell word: wrapped in single quotes, each ' written as '\''.
 * Works for every string without a NUL byte (which no shell word can hold): newlines, $(...),
 * backticks, ;, leading "-", unicode all come out literally.
 */
export function shellQuote(value: string): string {
  if (typeof value !== "string") throw new TypeError("shellQuote expects a string");
  if (value.includes("\0")) throw new Error("cannot quote a value containing a NUL byte");
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export interface CodexExecArgsInput {
  worktreePath: string;
  outputSchemaPath: string;
  lastMessagePath: string;
  /** Follow-up turn: `resume <threadId>`. */
  resumeThreadId?: string;
  /** Extra codex exec options (e.g. ["-m", "gpt-5", "-c", "model_provider=…"]), placed before `resume` / `-`. */
  extraArgs?: readonly string[];
}

/**
 * argv (without the codex binary) of one agent turn. Prompt comes from stdin ("-").
 * New session:  exec --json -s workspace-write -C <wt> --skip-git-repo-check --output-schema <f> -o <f> -
 * Follow-up:    exec --json -s workspace-write -C <wt> --skip-git-repo-check --output-schema <f> -o <f> resume <thread_id> -
 * All options stay before `resume`: `-s` and `-C` are options of `exec` only and codex rejects
 * them after the subcommand (checked with codex-cli 0.169.0); `--json`, `-o`, `--output-schema`
 * and `--skip-git-repo-check` are accepted on either side in 0.169.0, but `--output-schema` is
 * not global in every codex version, so before `resume` is the order that always parses.
 */
export function codexExecArgs(input: CodexExecArgsInput): string[] {
  const args = [
    "exec",
    "--json",
    "-s", "workspace-write",
    "-C", input.worktreePath,
    "--skip-git-repo-check",
    "--output-schema", input.outputSchemaPath,
    "-o", input.lastMessagePath,
    ...(input.extraArgs ?? []),
  ];
  if (input.resumeThreadId !== undefined) {
    if (!THREAD_ID_PATTERN.test(input.resumeThreadId)) {
      throw new Error(`invalid codex thread id: ${JSON.stringify(input.resumeThreadId)}`);
    }
    args.push("resume", input.resumeThreadId);
  }
  args.push("-");
  return args;
}

/** The runtime files the launcher touches; `workerRuntimePaths(worktree)` (server/panel/machine) fits. */
export interface LauncherPaths {
  taskPath: string;
  resultPath: string;
  logPath: string;
  exitCodePath: string;
  commitPath: string;
  agentEventsPath: string;
  lastMessagePath: string;
  mailboxPath: string;
}

export interface LauncherInput {
  workerId: string;
  role: string;
  label: string;
  runId: string;
  /** 1 for the first launch; > 1 is written into the commit message. */
  attempt: number;
  worktreePath: string;
  paths: LauncherPaths;
  /** The run's stop-requested marker: when it exists at start, the agent is not run. */
  stopFilePath: string;
  outputSchemaPath: string;
  /** Absolute path of the codex binary (LONGTABLE_CODEX_BIN resolved). */
  codexBin: string;
  /** Absolute path of node (process.execPath). Its directory is put first on PATH. */
  nodeBin: string;
  /** Absolute path of server/bridge/worker-finish.mjs. */
  finishScript: string;
  /** Absolute path of pane-view.mjs; defaults to the one next to finishScript. */
  paneViewScript?: string;
  /** Extra environment exported before the agent runs (names must match ENV_NAME_PATTERN). */
  env?: Record<string, string>;
  /** Extra codex exec options (see codexExecArgs). */
  codexArgs?: readonly string[];
  /** Follow-up turn: resume this codex thread with the message file on stdin instead of task.md. */
  resume?: { threadId: string; messagePath: string };
}

function assertAbsolute(value: unknown, what: string): asserts value is string {
  if (typeof value !== "string" || value === "" || !isAbsolute(value)) {
    throw new Error(`${what} must be an absolute path, got ${JSON.stringify(value)}`);
  }
  if (value.includes("\0") || /[\r\n]/.test(value)) throw new Error(`${what} contains a NUL or newline`);
}

function assertText(value: unknown, what: string): asserts value is string {
  if (typeof value !== "string") throw new Error(`${what} must be a string`);
  if (value.includes("\0")) throw new Error(`${what} contains a NUL byte`);
}

function validate(input: LauncherInput): void {
  assertId(WORKER_ID_PATTERN, input.workerId, "worker id");
  assertId(ROLE_ID_PATTERN, input.role, "role id");
  assertId(RUN_ID_PATTERN, input.runId, "run id");
  assertText(input.label, "label");
  if (!Number.isInteger(input.attempt) || input.attempt < 1) {
    throw new Error(`attempt must be a positive integer, got ${JSON.stringify(input.attempt)}`);
  }
  assertAbsolute(input.worktreePath, "worktreePath");
  for (const key of [
    "taskPath", "resultPath", "logPath", "exitCodePath", "commitPath", "agentEventsPath", "lastMessagePath", "mailboxPath",
  ] as const) {
    assertAbsolute(input.paths?.[key], `paths.${key}`);
  }
  assertAbsolute(input.stopFilePath, "stopFilePath");
  assertAbsolute(input.outputSchemaPath, "outputSchemaPath");
  assertAbsolute(input.codexBin, "codexBin");
  assertAbsolute(input.nodeBin, "nodeBin");
  assertAbsolute(input.finishScript, "finishScript");
  if (input.paneViewScript !== undefined) assertAbsolute(input.paneViewScript, "paneViewScript");
  for (const [name, value] of Object.entries(input.env ?? {})) {
    if (!ENV_NAME_PATTERN.test(name)) throw new Error(`invalid environment variable name ${JSON.stringify(name)}`);
    assertText(value, `env.${name}`);
  }
  for (const arg of input.codexArgs ?? []) assertText(arg, "codexArgs entry");
  if (input.resume) {
    if (!THREAD_ID_PATTERN.test(input.resume.threadId)) {
      throw new Error(`invalid codex thread id: ${JSON.stringify(input.resume.threadId)}`);
    }
    assertAbsolute(input.resume.messagePath, "resume.messagePath");
  }
}

/** The text of launch.sh for one agent turn of one worker. Throws on invalid input. */
export function launcherScript(input: LauncherInput): string {
  validate(input);
  const q = shellQuote;
  const p = input.paths;
  const followUp = input.resume !== undefined;
  const agentArgs = codexExecArgs({
    worktreePath: input.worktreePath,
    outputSchemaPath: input.outputSchemaPath,
    lastMessagePath: p.lastMessagePath,
    resumeThreadId: input.resume?.threadId,
    extraArgs: input.codexArgs,
  });
  const paneView = input.paneViewScript ?? join(/*turbopackIgnore: true*/ dirname(input.finishScript), BRIDGE_SCRIPTS.paneView);
  const vars: [string, string][] = [
    ["worker_id", input.workerId],
    ["role", input.role],
    ["label", input.label],
    ["run_id", input.runId],
    ["attempt", String(input.attempt)],
    ["follow_up", followUp ? "1" : "0"],
    ["thread_id", input.resume?.threadId ?? ""],
    ["worktree", input.worktreePath],
    ["runtime_dir", dirname(p.resultPath)],
    ["task_path", p.taskPath],
    ["agent_input", input.resume?.messagePath ?? p.taskPath],
    ["result_path", p.resultPath],
    ["log_path", p.logPath],
    ["exit_path", p.exitCodePath],
    ["commit_path", p.commitPath],
    ["events_path", p.agentEventsPath],
    ["last_message_path", p.lastMessagePath],
    ["mailbox_path", p.mailboxPath],
    ["stop_file", input.stopFilePath],
    ["schema_path", input.outputSchemaPath],
    ["codex_bin", input.codexBin],
    ["node_bin", input.nodeBin],
    ["node_dir", dirname(input.nodeBin)],
    ["finish_script", input.finishScript],
    ["pane_view", paneView],
  ];
  const envLines = Object.entries(input.env ?? {}).map(([name, value]) => `export ${name}=${q(value)}`);

  return [
    "#!/usr/bin/env bash",
    "# LongTable Panel worker launcher (generated by server/bridge/launcher.ts; do not edit).",
    "# Runs one agent turn in this worker's worktree, then worker-finish.mjs writes the result.",
    "set -u",
    "",
    ...vars.map(([name, value]) => `${name}=${q(value)}`),
    `agent_args=(${agentArgs.map(q).join(" ")})`,
    "",
    ...envLines,
    'export PATH="$node_dir:${PATH:-/usr/local/bin:/usr/bin:/bin}"',
    "",
    "log_line() {",
    "  printf '%s %s\\n' \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\" \"$*\" >> \"$log_path\" 2>/dev/null || true",
    "}",
    "",
    'mkdir -p "$runtime_dir"',
    'if [ "$follow_up" = 1 ]; then turn_kind="follow-up (thread $thread_id)"; else turn_kind="new session"; fi',
    'log_line "started worker=$worker_id role=$role run=$run_id attempt=$attempt turn=$turn_kind"',
    "",
    'if [ -e "$stop_file" ]; then',
    '  log_line "stop requested before launch; agent not started"',
    "  printf '%s\\n' \"LongTable panel: stop requested for run $run_id; $worker_id was not started.\"",
    "  exit 0",
    "fi",
    "",
    "# Outputs of a previous turn go first, so a watcher never mixes two turns.",
    'rm -f "$result_path" "$exit_path" "$commit_path" "$last_message_path"',
    "",
    "printf '%s\\n' '━━━ LongTable panel worker ━━━'",
    "printf '  %-10s %s\\n' 'role:' \"$label ($role)\"",
    "printf '  %-10s %s\\n' 'worker:' \"$worker_id (attempt $attempt)\"",
    "printf '  %-10s %s\\n' 'run:' \"$run_id\"",
    "printf '  %-10s %s\\n' 'worktree:' \"$worktree\"",
    "printf '  %-10s %s\\n' 'turn:' \"$turn_kind\"",
    "printf '  %-10s %s\\n\\n' 'started:' \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"",
    "",
    "# Ctrl-C / SIGTERM stop the agent, not the launcher: the finish step still records the turn.",
    "agent_signal=''",
    "trap 'agent_signal=INT' INT",
    "trap 'agent_signal=TERM' TERM",
    "reason=''",
    "agent_code=0",
    'if ! cd "$worktree" 2>/dev/null; then',
    '  reason="worktree is missing: $worktree"',
    "  agent_code=1",
    'elif [ ! -r "$agent_input" ]; then',
    '  reason="agent input file is missing: $agent_input"',
    "  agent_code=1",
    'elif [ ! -x "$codex_bin" ]; then',
    '  reason="agent binary is not executable: $codex_bin"',
    "  agent_code=127",
    "else",
    '  log_line "running codex exec ($turn_kind)"',
    "  # The pane view must never take the agent down: without it the raw events are shown, and",
    "  # GNU tee -p keeps writing the events file if the view dies (no SIGPIPE reaches codex).",
    '  if [ -r "$pane_view" ]; then view=("$node_bin" "$pane_view"); else view=(cat); log_line "pane view missing: $pane_view"; fi',
    "  tee_args=(-a)",
    "  if tee -p /dev/null </dev/null >/dev/null 2>&1; then tee_args=(-a -p); fi",
    "  # JSONL events: appended to the events file and shown in the pane as short lines.",
    "  # stderr: shown in the pane and kept in worker.log. stdin: the task (or follow-up) file.",
    '  "$codex_bin" "${agent_args[@]}" < "$agent_input" 2> >(tee -a "$log_path" >&2) \\',
    '    | tee "${tee_args[@]}" "$events_path" \\',
    '    | "${view[@]}"',
    '  pipe_status=("${PIPESTATUS[@]}")',
    '  agent_code="${pipe_status[0]}"',
    "fi",
    'if [ -n "$reason" ]; then',
    '  log_line "agent not run: $reason"',
    "  printf '%s\\n' \"LongTable panel: $reason\" >&2",
    "fi",
    'log_line "agent exited with code $agent_code${agent_signal:+ (SIG$agent_signal)}"',
    "",
    "finish_args=(",
    '  --worker-id "$worker_id" --role "$role" --label "$label" --run-id "$run_id" --attempt "$attempt"',
    '  --worktree "$worktree" --last-message "$last_message_path" --result "$result_path"',
    '  --exit-file "$exit_path" --commit-file "$commit_path" --log "$log_path"',
    '  --exit-code "$agent_code" --stop-file "$stop_file" --follow-up "$follow_up"',
    ")",
    'if [ -n "$agent_signal" ]; then finish_args+=(--signal "$agent_signal"); fi',
    'if [ -n "$reason" ]; then finish_args+=(--reason "$reason"); fi',
    'printf \'\\n\'',
    '"$node_bin" "$finish_script" "${finish_args[@]}"',
    "finish_code=$?",
    'if [ "$finish_code" -ne 0 ]; then',
    '  log_line "worker-finish failed with code $finish_code"',
    "  printf '%s\\n' \"LongTable panel: recording the result failed (code $finish_code); see $log_path\" >&2",
    "fi",
    'log_line "launcher done (agent exit $agent_code)"',
    "printf '%s\\n' \"━━━ $worker_id finished (agent exit $agent_code) ━━━\"",
    'exit "$agent_code"',
    "",
  ].join("\n");
}
