/**
 * The agent contract (ARCHITECTURE.md §5): what the panel needs to know about an agent CLI to run
 * one turn of a worker, follow it up, read its result, turn its event stream into activity, and
 * check that it is installed. One folder per agent implements it (codex/, claude/, command/).
 *
 * How a turn runs (server/bridge/launcher.ts): in the worker's tmux window, launch.sh starts
 *   <sandbox> <agent binary> <adapter.args(turn)>  < <prompt file>
 * with the worktree as working directory and the adapter's environment; the agent's stdout (its
 * event stream) is appended to the worker's events file and rendered in the pane by the adapter's
 * `pane.mjs`; after the agent exits, worker-finish.mjs (outside the sandbox) asks the adapter's
 * `result.mjs` for the final answer, sanitizes it to the result fields and commits the worktree.
 */
import type { AgentId } from "../core/enums";
import type { Usage } from "../core/records";

export type { AgentId, Usage };

/** Environment variables as read (process.env or a plain object). */
export type EnvVars = Readonly<Record<string, string | undefined>>;

/** One activity row, as the agent's event stream describes a step (shapes shared by every agent). */
export interface ActivityItem {
  kind: "thread" | "turn" | "command" | "file_change" | "message" | "todo" | "error" | "usage" | "tool" | "other";
  text: string;
  data?: Record<string, unknown>;
}

/** What one line of an agent's event stream tells the supervisor. */
export interface ParsedLine {
  item?: ActivityItem;
  /** The agent's session/thread id (for follow-ups). */
  threadId?: string;
  /**
   * The session's usage so far (a running total, as codex's turn.completed and Claude Code's
   * result line give it). Claude Code: inputTokens = input + cache-creation + cache-read tokens
   * (every prompt token, as codex's input_tokens includes its cached ones), cachedInputTokens =
   * cache-read tokens, costUsd = its total_cost_usd.
   */
  usage?: Usage;
}

/**
 * Reads one event stream, line by line, in order. Some agents need memory across lines (a Claude
 * Code tool result does not name its tool: the parser remembers each tool use), so the supervisor
 * makes one parser per stream it tails (per worker and attempt). Never throws.
 */
export type AgentParser = (line: string) => ParsedLine;

export interface AgentTurn {
  /** The worker's worktree: the agent's working directory and its only writable project folder. */
  worktreePath: string;
  /** The JSON schema of a result (a file, and the same schema as an object). */
  outputSchemaPath: string;
  outputSchema: Record<string, unknown>;
  /** Where the agent may write its final message (inside the worker's outbox). */
  lastMessagePath: string;
  /** Continue this session/thread (a follow-up turn). */
  resumeThreadId?: string;
  /** The member's model, when it names one. */
  model?: string;
  /** The panel's own sandbox (bubblewrap) wraps the agent: its own sandbox can be off. */
  panelSandbox: boolean;
  /** Extra options from the agent's LONGTABLE_<AGENT>_ARGS setting, placed before any subcommand. */
  extraArgs: readonly string[];
}

export interface AgentCheck {
  agent: AgentId;
  label: string;
  bin: string;
  /** The binary was found and answered its version. */
  installed: boolean;
  version?: string;
  /** Credentials found (logged in, or an API key in the environment). */
  ready: boolean;
  /** What was found, in words (never a key). */
  status?: string;
  /** What to do when it is not installed or not ready. */
  fix?: string;
}

/** What the agent needs in its private home (a folder inside the sandbox that the agent may write). */
export interface AgentHome {
  env: Record<string, string>;
  /** Folders to make (inside the private home). */
  dirs: string[];
  /** The user's files to copy in before each turn (absent ones are skipped). */
  copy: Array<{ from: string; to: string }>;
}

export interface AgentAdapter {
  id: AgentId;
  label: string;
  /** How to install it (the doctor, the create-run form and preflight help show this). */
  install: string;
  /** The environment variable naming the binary, and the default. */
  binSetting: { env: string; fallback: string };
  /** The environment variable with extra arguments (a JSON array of strings). */
  argsSetting: string;
  /** argv (without the binary) of one turn. Throws on invalid input (e.g. a thread id that could be read as a flag). */
  args(turn: AgentTurn): string[];
  /**
   * Environment for the agent process inside the panel's sandbox, given its private home (a
   * folder the sandbox makes writable, the same for every turn of a worker) and the user's
   * environment. Also names what to copy into that home first.
   */
  home(privateHome: string, env: EnvVars): AgentHome;
  /**
   * Names of the panel's environment variables the agent gets (when set), besides PATH, HOME,
   * LANG and those listed in LONGTABLE_AGENT_ENV: its key, base URL, provider switches.
   */
  passEnv?: readonly string[];
  /** Environment of one turn (e.g. where the command agent writes its result). */
  turnEnv?(turn: AgentTurn): Record<string, string>;
  /** A new parser for one event stream (see AgentParser). */
  parser(): AgentParser;
  /** Version and readiness of the installed binary. */
  doctor(bin: string, env: EnvVars): Promise<AgentCheck>;
  /**
   * The agent has an OS sandbox of its own that the panel uses when bubblewrap is unavailable.
   * An agent without one is only launched inside the panel's sandbox (preflight refuses it
   * otherwise, with the reason `<agent>:sandbox-required`).
   */
  ownSandbox: boolean;
  /** The thread id pattern of this agent (validated before it reaches argv). */
  threadIdPattern: RegExp;
}
