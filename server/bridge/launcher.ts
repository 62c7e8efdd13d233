/**
 * launch.sh — the script a worker's tmux window runs (ARCHITECTURE.md §5 "A turn").
 *
 * It lives in the worker's runtime folder, outside the worktree, so the agent cannot rewrite it
 * while bash reads it. Every embedded value is single-quoted with `shellQuote` and assigned to a
 * shell variable once; the body only ever uses "$variables", so no value is re-parsed by the
 * shell, and values never appear in comments. Environment values (API keys among them) are NOT
 * embedded: the launcher reads them from a 0600 file in the panel's data dir and deletes it.
 * The script embeds absolute paths (agent, node) because a tmux server keeps the environment of
 * whoever started it, possibly an older server run.
 */
import { dirname, isAbsolute, join } from "node:path";
import { AGENT_IDS, type AgentId } from "../core/enums";
import { ROLE_ID_PATTERN, RUN_ID_PATTERN, WORKER_ID_PATTERN, assertId } from "../core/ids";

export const BRIDGE_SCRIPTS = { finish: "worker-finish.mjs", paneView: "pane-view.mjs" } as const;
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

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

/** The runtime files the launcher touches (see server/bridge/layout.ts workerLayout). */
export interface LauncherPaths {
  /** What the agent reads on stdin: task.md, or the follow-up text. */
  promptPath: string;
  resultPath: string;
  logPath: string;
  exitCodePath: string;
  commitPath: string;
  agentEventsPath: string;
  lastMessagePath: string;
  /** The 0600 environment file (NUL-separated NAME=value) in the panel's data dir; deleted once read. */
  envFile: string;
}

export interface LauncherInput {
  workerId: string;
  role: string;
  label: string;
  runId: string;
  /** 1 for the first launch; > 1 is written into the commit message. */
  attempt: number;
  /** A follow-up turn (resuming `threadId`). */
  followUp?: { threadId: string };
  agent: AgentId;
  worktreePath: string;
  /** The worktree's real git dir (the finish step never reads the worktree's `.git` file). */
  gitDir: string;
  paths: LauncherPaths;
  /** The run's stop-requested marker: when it exists at start, the agent is not run. */
  stopFilePath: string;
  /** Absolute path of the agent binary. */
  agentBin: string;
  /** The agent's argv (from its adapter). */
  agentArgs: readonly string[];
  /** The sandbox command that wraps the agent (bwrap and its arguments, ending with "--"), or none. */
  sandbox?: readonly string[];
  /** Absolute path of node (process.execPath). Its directory is put first on PATH. */
  nodeBin: string;
  /** Absolute path of server/bridge/worker-finish.mjs. */
  finishScript: string;
  /** Absolute path of server/bridge/pane-view.mjs. */
  paneViewScript: string;
  /**
   * The repository config's setup command (ARCHITECTURE.md §10), run in the sandbox before the
   * agent of a new turn (never before a follow-up). A failing setup ends the launcher with its
   * exit code; the agent and the finish step do not run.
   */
  setup?: LauncherSetup;
}

export interface LauncherSetup {
  /** One command line, run with `bash -c` in the worktree (already approved by the operator). */
  command: string;
  /** Where the launcher writes {exitCode, finishedAt} when setup ends (the supervisor reads it). */
  exitPath: string;
  /** Setup's output (also in the pane and worker.log): the failure's last lines come from here. */
  logPath: string;
  /** The worktree's ignored files and folders before setup ran and after it passed (`git ls-files --directory`, NUL-separated). */
  ignoredBeforePath: string;
  ignoredAfterPath: string;
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
  if (!(AGENT_IDS as readonly string[]).includes(input.agent)) throw new Error(`unknown agent ${JSON.stringify(input.agent)}`);
  assertText(input.label, "label");
  if (!Number.isInteger(input.attempt) || input.attempt < 1) {
    throw new Error(`attempt must be a positive integer, got ${JSON.stringify(input.attempt)}`);
  }
  assertAbsolute(input.worktreePath, "worktreePath");
  assertAbsolute(input.gitDir, "gitDir");
  for (const key of ["promptPath", "resultPath", "logPath", "exitCodePath", "commitPath", "agentEventsPath", "lastMessagePath", "envFile"] as const) {
    assertAbsolute(input.paths?.[key], `paths.${key}`);
  }
  assertAbsolute(input.stopFilePath, "stopFilePath");
  assertAbsolute(input.agentBin, "agentBin");
  assertAbsolute(input.nodeBin, "nodeBin");
  assertAbsolute(input.finishScript, "finishScript");
  assertAbsolute(input.paneViewScript, "paneViewScript");
  for (const arg of input.agentArgs) assertText(arg, "agent argument");
  for (const arg of input.sandbox ?? []) assertText(arg, "sandbox argument");
  if (input.sandbox && input.sandbox.length > 0) assertAbsolute(input.sandbox[0], "sandbox binary");
  if (input.setup) {
    assertText(input.setup.command, "setup command");
    if (input.setup.command.trim() === "") throw new Error("setup command is empty");
    for (const key of ["exitPath", "logPath", "ignoredBeforePath", "ignoredAfterPath"] as const) assertAbsolute(input.setup[key], `setup.${key}`);
  }
  if (input.followUp && !/^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/.test(input.followUp.threadId)) {
    throw new Error(`invalid thread id: ${JSON.stringify(input.followUp.threadId)}`);
  }
}

/** The text of the environment file: NUL-separated NAME=value pairs (names checked, values verbatim). */
export function envFileText(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([name, value]) => {
      if (!ENV_NAME_PATTERN.test(name)) throw new Error(`invalid environment variable name ${JSON.stringify(name)}`);
      assertText(value, `env.${name}`);
      return `${name}=${value}\0`;
    })
    .join("");
}

/**
 * The setup phase (ARCHITECTURE.md §10): the repository's approved setup command, in the sandbox
 * the agent will run in, with the agent's environment, stdin empty; its output goes to the pane,
 * worker.log and setup.log. setup.exit.json tells the supervisor how it ended (written last,
 * atomically). The worktree's ignored entries are listed before setup and after it passed, so
 * clean-up knows which ones setup made; on failure the launcher stops there.
 */
const SETUP_PHASE = [
  "# The worktree's ignored entries (hardened git through the real git dir), NUL-separated, capped.",
  "list_ignored() {",
  "  ( unset GIT_INDEX_FILE GIT_CONFIG_PARAMETERS GIT_CONFIG_COUNT GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES GIT_NAMESPACE GIT_COMMON_DIR",
  '    GIT_DIR="$git_dir" GIT_WORK_TREE="$worktree" git -c core.hooksPath=/dev/null -c core.fsmonitor=false -c submodule.recurse=false \\',
  '      ls-files -z --others --ignored --exclude-standard --directory 2>/dev/null | head -c 1048576 ) > "$1.tmp" && mv -f "$1.tmp" "$1"',
  "}",
  'if [ -n "$setup_cmd" ]; then',
  '  rm -f "$setup_exit_path" "$setup_log_path" "$setup_ignored_before" "$setup_ignored_after"',
  "  printf '%s\\n' '━━━ setup (.longtable-panel.json) ━━━'",
  '  log_line "setup started"',
  "  setup_code=0",
  '  if ! cd "$worktree" 2>/dev/null; then',
  '    printf \'%s\\n\' "LongTable panel: worktree is missing: $worktree" | tee -a "$setup_log_path"',
  "    setup_code=1",
  "  else",
  '    list_ignored "$setup_ignored_before"',
  "    # $BASH: this shell's own bash, by absolute path — never one found on the agent's PATH (a",
  "    # relative entry from the config would find a bash the agent left in the worktree).",
  '    ( use_agent_env; exec "${sandbox[@]}" "$BASH" -c "$setup_cmd" ) < /dev/null 2>&1 | tee -a "$log_path" "$setup_log_path"',
  '    setup_code="${PIPESTATUS[0]}"',
  "  fi",
  '  if [ "$setup_code" -eq 0 ]; then list_ignored "$setup_ignored_after"; fi',
  "  printf '{\"exitCode\": %d, \"finishedAt\": \"%s\"}\\n' \"$setup_code\" \"$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)\" > \"$setup_exit_path.tmp\" && mv -f \"$setup_exit_path.tmp\" \"$setup_exit_path\"",
  '  log_line "setup exited with code $setup_code${agent_signal:+ (SIG$agent_signal)}"',
  '  if [ "$setup_code" -ne 0 ]; then',
  '    printf \'%s\\n\' "━━━ setup failed (exit $setup_code): the agent was not started ━━━"',
  '    exit "$setup_code"',
  "  fi",
  "  printf '%s\\n\\n' '━━━ setup passed ━━━'",
  "fi",
  "",
];

/** The text of launch.sh for one agent turn of one worker. Throws on invalid input. */
export function launcherScript(input: LauncherInput): string {
  validate(input);
  const q = shellQuote;
  const p = input.paths;
  const vars: [string, string][] = [
    ["worker_id", input.workerId],
    ["role", input.role],
    ["label", input.label],
    ["run_id", input.runId],
    ["attempt", String(input.attempt)],
    ["agent", input.agent],
    ["follow_up", input.followUp ? "1" : "0"],
    ["thread_id", input.followUp?.threadId ?? ""],
    ["worktree", input.worktreePath],
    ["git_dir", input.gitDir],
    ["agent_input", p.promptPath],
    ["result_path", p.resultPath],
    ["log_path", p.logPath],
    ["exit_path", p.exitCodePath],
    ["commit_path", p.commitPath],
    ["events_path", p.agentEventsPath],
    ["last_message_path", p.lastMessagePath],
    ["env_file", p.envFile],
    ["stop_file", input.stopFilePath],
    ["agent_bin", input.agentBin],
    ["node_bin", input.nodeBin],
    ["node_dir", dirname(input.nodeBin)],
    ["finish_script", input.finishScript],
    ["pane_view", input.paneViewScript],
    ["setup_cmd", input.setup && !input.followUp ? input.setup.command : ""],
    ["setup_exit_path", input.setup?.exitPath ?? ""],
    ["setup_log_path", input.setup?.logPath ?? ""],
    ["setup_ignored_before", input.setup?.ignoredBeforePath ?? ""],
    ["setup_ignored_after", input.setup?.ignoredAfterPath ?? ""],
  ];
  return [
    "#!/usr/bin/env bash",
    "# LongTable Panel worker launcher (generated by server/bridge/launcher.ts; do not edit).",
    "# Runs one agent turn in this worker's worktree, then worker-finish.mjs writes the result.",
    "set -u",
    "",
    ...vars.map(([name, value]) => `${name}=${q(value)}`),
    `agent_args=(${input.agentArgs.map(q).join(" ")})`,
    `sandbox=(${(input.sandbox ?? []).map(q).join(" ")})`,
    "# The launcher's word to the pane view on how the agent ended (beside result.exit.json).",
    'go_path="${exit_path%/*}/finish.go"',
    "",
    "# Times come from bash's own printf (no `date` process per line: bench, launch and finish).",
    "log_line() {",
    "  TZ=UTC0 printf '%(%Y-%m-%dT%H:%M:%SZ)T %s\\n' -1 \"$*\" >> \"$log_path\" 2>/dev/null || true",
    "}",
    "",
    "# The agent's environment comes from a 0600 file in the panel's data dir (never from this",
    "# script, which sits in the repository's run folder); it is deleted once read. It is given",
    "# only to what runs in the sandbox (setup and the agent, in a subshell that calls",
    "# use_agent_env and execs; a subshell, not a function with redirections, so that no saved",
    "# descriptor of this shell leaks into them): this script,",
    "# the pane view and the finish step run outside it and keep the panel's own environment —",
    "# the agent's HOME (writable by it: a ~/.gitconfig with a filter would run in the finish",
    "# step's git), NODE_OPTIONS or a relative PATH from the repository config never reach them.",
    "agent_env=()",
    'if [ -r "$env_file" ]; then',
    "  while IFS= read -r -d '' kv; do agent_env+=(\"$kv\"); done < \"$env_file\"",
    '  rm -f "$env_file"',
    "fi",
    'export PATH="$node_dir:${PATH:-/usr/local/bin:/usr/bin:/bin}"',
    "use_agent_env() {",
    '  if [ ${#agent_env[@]} -gt 0 ]; then export "${agent_env[@]}"; fi',
    '  export PATH="$node_dir:${PATH:-/usr/local/bin:/usr/bin:/bin}"',
    "}",
    "",
    'if [ "$follow_up" = 1 ]; then turn_kind="follow-up (thread $thread_id)"; else turn_kind="new session"; fi',
    'log_line "started worker=$worker_id role=$role run=$run_id attempt=$attempt agent=$agent turn=$turn_kind sandbox=${#sandbox[@]}"',
    "",
    'if [ -e "$stop_file" ]; then',
    '  log_line "stop requested before launch; agent not started"',
    "  printf '%s\\n' \"LongTable panel: stop requested for run $run_id; $worker_id was not started.\"",
    "  exit 0",
    "fi",
    "",
    "# Outputs of a previous turn go first, so a watcher never mixes two turns.",
    "# (The panel removed them when it wrote this turn's files: rm runs only for what is left.)",
    'for f in "$result_path" "$exit_path" "$commit_path" "$last_message_path" "$go_path"; do',
    '  if [ -e "$f" ] || [ -L "$f" ]; then rm -f -- "$f"; fi',
    "done",
    "",
    "printf '%s\\n' '━━━ LongTable panel worker ━━━'",
    "printf '  %-10s %s\\n' 'role:' \"$label ($role)\"",
    "printf '  %-10s %s\\n' 'agent:' \"$agent\"",
    "printf '  %-10s %s\\n' 'worker:' \"$worker_id (attempt $attempt)\"",
    "printf '  %-10s %s\\n' 'run:' \"$run_id\"",
    "printf '  %-10s %s\\n' 'worktree:' \"$worktree\"",
    "if [ ${#sandbox[@]} -gt 0 ]; then printf '  %-10s %s\\n' 'sandbox:' 'bubblewrap (worktree writable, the rest read-only)'; else printf '  %-10s %s\\n' 'sandbox:' \"the agent's own\"; fi",
    "printf '  %-10s %s\\n' 'turn:' \"$turn_kind\"",
    "TZ=UTC0 printf '  %-10s %(%Y-%m-%dT%H:%M:%SZ)T\\n\\n' 'started:' -1",
    "",
    "# Ctrl-C / SIGTERM stop the setup or the agent, not the launcher: what happened is still recorded.",
    "agent_signal=''",
    "trap 'agent_signal=INT' INT",
    "trap 'agent_signal=TERM' TERM",
    ...SETUP_PHASE,
    "reason=''",
    "agent_code=0",
    "warm=0",
    "# What the finish step is told besides how the agent ended (added after it ended).",
    "finish_base=(",
    '  --agent "$agent" --worker-id "$worker_id" --role "$role" --label "$label" --run-id "$run_id" --attempt "$attempt"',
    '  --worktree "$worktree" --git-dir "$git_dir" --last-message "$last_message_path" --events "$events_path"',
    '  --result "$result_path" --exit-file "$exit_path" --commit-file "$commit_path" --log "$log_path"',
    '  --stop-file "$stop_file" --follow-up "$follow_up"',
    ")",
    'if ! cd "$worktree" 2>/dev/null; then',
    '  reason="worktree is missing: $worktree"',
    "  agent_code=1",
    'elif [ ! -r "$agent_input" ]; then',
    '  reason="agent input file is missing: $agent_input"',
    "  agent_code=1",
    'elif [ ! -x "$agent_bin" ]; then',
    '  reason="agent binary is not executable: $agent_bin"',
    "  agent_code=127",
    "else",
    '  log_line "running $agent ($turn_kind)"',
    "  # The pane view must never take the agent down: without it the raw events are shown, and",
    "  # GNU tee -p keeps writing the events file if the view dies (no SIGPIPE reaches the agent).",
    '  if [ -r "$pane_view" ]; then view=("$node_bin" "$pane_view" "$agent"); else view=(cat); log_line "pane view missing: $pane_view"; fi',
    "  tee_args=(-a)",
    "  if tee -p /dev/null </dev/null >/dev/null 2>&1; then tee_args=(-a -p); fi",
    "  # The pane view runs beside the pipeline, started by this shell, so that when the agent ended",
    "  # on its own the view (a Node process already running) can do the finish step: the result",
    "  # then costs no Node start-up (bench: agent exit → completion event). It does so only when",
    "  # this shell says so in $go_path; otherwise, or if it fails, the finish step runs below.",
    '  if [ "${view[0]}" = "$node_bin" ] && [ "${BASH_VERSINFO[0]}" -ge 5 ]; then',
    "    warm=1",
    '    view+=(--finish-on "$go_path" -- "${finish_base[@]}")',
    "  fi",
    '  exec {view_fd}> >(exec "${view[@]}")',
    "  view_pid=$!",
    "  # Events (stdout): appended to the events file and shown in the pane as short lines.",
    "  # stderr: shown in the pane and kept in worker.log. stdin: the task (or follow-up) file.",
    "  # The view's pipe is closed for the agent: it could otherwise write to the pane past the",
    "  # events file, or keep the view from seeing the end of its input.",
    '  ( use_agent_env; exec "${sandbox[@]}" "$agent_bin" "${agent_args[@]}" ) < "$agent_input" {view_fd}>&- 2> >(tee -a "$log_path" >&2) \\',
    '    | tee "${tee_args[@]}" "$events_path" >&"$view_fd"',
    '  pipe_status=("${PIPESTATUS[@]}")',
    '  exec {view_fd}>&-',
    '  agent_code="${pipe_status[0]}"',
    "fi",
    'if [ -n "$reason" ]; then',
    '  log_line "agent not run: $reason"',
    "  printf '%s\\n' \"LongTable panel: $reason\" >&2",
    "fi",
    'log_line "agent exited with code $agent_code${agent_signal:+ (SIG$agent_signal)}"',
    "",
    'finish_args=("${finish_base[@]}" --exit-code "$agent_code")',
    'if [ -n "$agent_signal" ]; then finish_args+=(--signal "$agent_signal"); fi',
    'if [ -n "$reason" ]; then finish_args+=(--reason "$reason"); fi',
    "finish_code=1",
    'if [ "$warm" = 1 ]; then',
    "  # The view does the finish step only for an agent that ended on its own; it is waited for",
    "  # (through signals too) so that two finish steps never run at once.",
    '  if [ -z "$agent_signal" ] && [ -z "$reason" ]; then printf \'%s\\n\' "$agent_code" > "$go_path"; else printf \'cold\\n\' > "$go_path"; fi',
    '  wait "$view_pid"; view_code=$?',
    '  while [ "$view_code" -gt 128 ] && kill -0 "$view_pid" 2>/dev/null; do wait "$view_pid"; view_code=$?; done',
    '  if [ "$view_code" = 0 ] && [ -e "$result_path" ]; then finish_code=0; log_line "finish step done in the pane view"; fi',
    "fi",
    'if [ "$finish_code" -ne 0 ]; then',
    "  printf '\\n'",
    '  "$node_bin" "$finish_script" "${finish_args[@]}"',
    "  finish_code=$?",
    "fi",
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
