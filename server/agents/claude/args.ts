/**
 * argv (without the binary) of one Claude Code worker turn. The launcher runs, in the worker's
 * worktree as cwd, inside the panel's sandbox:
 *
 *   <claude> <claudeTurnArgs(…)> < <prompt file>  > (tee <events file>)  2>> <log>
 *
 * The prompt comes from stdin: `claude -p` without a prompt argument reads stdin to its end (a
 * file or /dev/null, never an open pipe; empty stdin → exit 1 "Input must be provided…"). The
 * stream-json lines on stdout are the activity (events.mjs) and end with the result line the
 * finish step reads (result.mjs). Checked with claude 2.1.328; claude-contract.test.ts pins
 * every flag against `claude --help`.
 *
 * Values are passed as `--flag=value`, so a value can never be read as another flag.
 */
import { CLAUDE_SESSION_ID_PATTERN } from "./events.mjs";
import type { EnvVars } from "../types";

export { CLAUDE_SESSION_ID_PATTERN };

/** Environment variable naming the claude binary (default: `claude` on PATH). */
export const CLAUDE_BIN_ENV = "LONGTABLE_CLAUDE_BIN";

/**
 * The built-in tools a worker gets (`--tools`: nothing else exists in its session):
 *  - Bash, Read, Edit, Write, Glob, Grep, NotebookEdit: read and change files in the worktree,
 *    run its build and tests;
 *  - TaskCreate/TaskGet/TaskList/TaskUpdate: claude 2.1.328's plan list (its TodoWrite; the UI
 *    shows it as the plan). They have no effect outside claude's own state.
 * Left out: WebFetch/WebSearch (a worker reviews a repository, and fetched pages are a way in
 * for instructions that nobody reads), Agent/Task (sub-agents multiply cost and nest their
 * activity), Skill, Workflow, the Cron tools, ScheduleWakeup/Monitor/SendMessage/ListAgents/ReportFindings
 * (background and cross-session features), EnterWorktree/ExitWorktree (would make worktrees of
 * their own). Unknown names are ignored by claude (2.1.328 has no MultiEdit; TodoWrite only with
 * CLAUDE_CODE_ENABLE_TASKS=0), so the list names only tools that exist.
 */
export const CLAUDE_WORKER_TOOLS = [
  "Bash", "Read", "Edit", "Write", "Glob", "Grep", "NotebookEdit", "TaskCreate", "TaskGet", "TaskList", "TaskUpdate",
] as const;

/**
 * Tools allowed without asking (`--allowedTools`). Only Bash needs it: in `acceptEdits` mode
 * reads, edits and writes inside the working directory are accepted anyway, and outside it they
 * are refused ("Claude requested permissions to write to …, but you haven't granted it yet"),
 * which is what a worker should get. Naming Read/Edit/Write here would allow them everywhere.
 * Bash runs any command: the panel's sandbox is what fences it (claude has no OS sandbox of its
 * own by default).
 */
export const CLAUDE_PREAPPROVED_TOOLS = ["Bash"] as const;

/**
 * Appended to claude's system prompt: a worker turn has nobody to answer questions, and its
 * result goes through the StructuredOutput tool that --json-schema adds. (claude records the
 * system prompt at the first request of a session and reuses it on --resume.)
 */
export const CLAUDE_WORKER_SYSTEM_PROMPT = [
  "You are one member of a LongTable panel, working on your own: nobody will answer questions during this turn.",
  "Work only inside the current directory, your own git worktree; what you change there is committed when you finish.",
  "When you are done, give your result once through the StructuredOutput tool, with exactly the fields of its schema.",
].join(" ");

/** Model names and aliases ("sonnet", "claude-sonnet-4-5", "us.anthropic.claude-…-v1:0", "opus[1m]"). */
export const CLAUDE_MODEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/@[\]-]{0,199}$/;

export interface ClaudeTurnArgsInput {
  /** The worker output schema. Passed inline: --json-schema takes JSON text, not a file path. */
  outputSchema: Record<string, unknown>;
  /** Follow-up turn: continue this session (`--resume <session_id>`, same cwd as the first turn). */
  resumeSessionId?: string;
  model?: string;
  /** Default CLAUDE_WORKER_SYSTEM_PROMPT; "" for none. */
  appendSystemPrompt?: string;
  /** Stop the turn once claude's own cost estimate passes this (result subtype error_max_budget_usd). */
  maxBudgetUsd?: number;
}

/**
 * New turn:  -p --output-format=stream-json --verbose --permission-mode=acceptEdits
 *            --permission-prompts=none --tools=<CLAUDE_WORKER_TOOLS> --allowedTools=Bash
 *            --setting-sources=user --strict-mcp-config --disable-slash-commands
 *            --json-schema=<schema> --append-system-prompt=<text> [--model=<m>] [--max-budget-usd=<n>]
 * Follow-up: the same, then --resume=<session_id>.
 *
 * --setting-sources=user: the worktree's own .claude/settings.json and .claude/settings.local.json
 * (which an agent can write in one turn) are NOT loaded on the next; with the default sources they
 * are, in -p mode without any trust prompt: their hooks run, their `env` reaches every command,
 * their `apiKeyHelper` runs, and CLAUDE.md is read (checked with 2.1.328). "user" is the private
 * state dir the panel gives the worker (sandbox.ts). --strict-mcp-config: no MCP servers from
 * .mcp.json either. --disable-slash-commands: no skills or custom commands.
 * --permission-prompts=none: anything that would ask is denied at once (nobody is there to answer).
 */
export function claudeTurnArgs(input: ClaudeTurnArgsInput): string[] {
  let schema: string;
  try {
    schema = JSON.stringify(input.outputSchema);
  } catch (error) {
    throw new Error(`the output schema cannot be written as JSON: ${(error as Error).message}`);
  }
  if (!schema || !schema.startsWith("{")) throw new Error("the output schema must be a JSON object");
  const args = [
    "-p",
    "--output-format=stream-json",
    "--verbose",
    "--permission-mode=acceptEdits",
    "--permission-prompts=none",
    `--tools=${CLAUDE_WORKER_TOOLS.join(",")}`,
    `--allowedTools=${CLAUDE_PREAPPROVED_TOOLS.join(",")}`,
    "--setting-sources=user",
    "--strict-mcp-config",
    "--disable-slash-commands",
    `--json-schema=${schema}`,
  ];
  const append = input.appendSystemPrompt ?? CLAUDE_WORKER_SYSTEM_PROMPT;
  if (append.includes("\0")) throw new Error("the system prompt addition contains a NUL byte");
  if (append !== "") args.push(`--append-system-prompt=${append}`);
  if (input.model !== undefined) {
    if (!CLAUDE_MODEL_PATTERN.test(input.model)) {
      throw new Error(`invalid Claude model name ${JSON.stringify(input.model)}: use a name like "sonnet" or "claude-sonnet-4-5"`);
    }
    args.push(`--model=${input.model}`);
  }
  if (input.maxBudgetUsd !== undefined) {
    if (!Number.isFinite(input.maxBudgetUsd) || input.maxBudgetUsd <= 0) {
      throw new Error(`the Claude budget must be a positive number of dollars, got ${JSON.stringify(input.maxBudgetUsd)}`);
    }
    args.push(`--max-budget-usd=${input.maxBudgetUsd}`);
  }
  if (input.resumeSessionId !== undefined) {
    if (!CLAUDE_SESSION_ID_PATTERN.test(input.resumeSessionId)) {
      throw new Error(`invalid Claude session id ${JSON.stringify(input.resumeSessionId)}: expected the UUID from the worker's first turn`);
    }
    args.push(`--resume=${input.resumeSessionId}`);
  }
  return args;
}

/** The claude binary to run: LONGTABLE_CLAUDE_BIN, else `claude` (resolved on PATH by the caller). */
export function claudeBin(env: EnvVars = process.env): string {
  const v = env[CLAUDE_BIN_ENV];
  return v && v.trim() ? v : "claude";
}
