/**
 * The small shapes the Claude Code adapter produces. They are the same as codex's
 * (server/supervisor/activity.ts) so the UI shows both agents the same way; `costUsd` is new
 * (Claude Code reports its own cost). To be unified into server/agents/types.ts.
 */
export interface ActivityItem {
  kind: "thread" | "turn" | "command" | "file_change" | "message" | "todo" | "error" | "usage" | "tool" | "other";
  text: string;
  data?: Record<string, unknown>;
}

/**
 * Token usage of an agent's session (thread) so far, as each agent reports it: codex's
 * turn.completed gives the thread's running total; so does Claude Code's result line
 * (modelUsage and total_cost_usd add up every turn of a resumed session). For Claude Code (whose API counts cached prompt tokens apart
 * from `input_tokens`): inputTokens = input + cache-creation + cache-read tokens (every prompt
 * token, as codex's input_tokens includes its cached ones), cachedInputTokens = cache-read tokens.
 */
export interface Usage {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  /** The agent's own figure (Claude Code's total_cost_usd); codex gives none. */
  costUsd?: number;
}

export interface ParsedLine {
  item?: ActivityItem;
  threadId?: string;
  usage?: Usage;
}

/** Environment variables as read (process.env or a plain object). */
export type EnvVars = Readonly<Record<string, string | undefined>>;
