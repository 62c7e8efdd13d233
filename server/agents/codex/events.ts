/**
 * The agent's own step events (codex `exec --json` JSONL) turned into activity rows. Hidden
 * reasoning is never stored. Unknown or malformed lines become a short "other" row at most.
 */
import type { ParsedLine } from "../types";

const MAX_TEXT = 4000;
const MAX_OUTPUT = 16_000;
const clip = (s: unknown, n = MAX_TEXT) => (typeof s === "string" ? (s.length > n ? `${s.slice(0, n)}…` : s) : "");
const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);

export function parseCodexLine(line: string): ParsedLine {
  let e: Record<string, unknown>;
  try {
    const v = JSON.parse(line) as unknown;
    if (!v || typeof v !== "object" || Array.isArray(v)) return { item: { kind: "other", text: clip(line, 300) } };
    e = v as Record<string, unknown>;
  } catch {
    return line.trim() ? { item: { kind: "other", text: clip(line, 300) } } : {};
  }
  switch (e.type) {
    case "thread.started":
      return typeof e.thread_id === "string"
        ? { threadId: e.thread_id, item: { kind: "thread", text: `Thread ${e.thread_id} started`, data: { threadId: e.thread_id } } }
        : {};
    case "turn.started":
      return { item: { kind: "turn", text: "Turn started" } };
    case "turn.completed": {
      const u = (e.usage ?? {}) as Record<string, unknown>;
      const usage = { inputTokens: num(u.input_tokens), cachedInputTokens: num(u.cached_input_tokens), outputTokens: num(u.output_tokens) };
      return { usage, item: { kind: "usage", text: `Turn completed: ${usage.inputTokens} in (${usage.cachedInputTokens} cached), ${usage.outputTokens} out`, data: usage } };
    }
    case "turn.failed": {
      const err = (e.error ?? {}) as Record<string, unknown>;
      return { item: { kind: "error", text: `Turn failed: ${clip(err.message) || "unknown error"}` } };
    }
    case "error":
      return { item: { kind: "error", text: clip(e.message) || "error" } };
    case "item.started":
    case "item.updated":
    case "item.completed":
      return parseItem(e.type, (e.item ?? {}) as Record<string, unknown>);
    default:
      return {};
  }
}

function parseItem(phase: string, item: Record<string, unknown>): ParsedLine {
  const id = typeof item.id === "string" ? item.id : undefined;
  const done = phase === "item.completed";
  switch (item.type) {
    case "reasoning":
      return {}; // hidden reasoning is never persisted
    case "command_execution": {
      if (phase === "item.updated") return {};
      const exitCode = typeof item.exit_code === "number" ? item.exit_code : null;
      const command = clip(item.command, 2000);
      return {
        item: {
          kind: "command",
          text: done ? `$ ${command} → exit ${exitCode ?? "?"}` : `$ ${command}`,
          data: { id, phase: done ? "completed" : "started", command, exitCode, status: item.status, output: done ? clip(item.aggregated_output, MAX_OUTPUT) : undefined },
        },
      };
    }
    case "file_change": {
      if (!done) return {};
      const changes = Array.isArray(item.changes)
        ? (item.changes as Record<string, unknown>[]).map((c) => ({ path: clip(c.path, 1000), kind: clip(c.kind, 20) }))
        : [];
      return { item: { kind: "file_change", text: changes.map((c) => `${c.kind} ${c.path}`).join(", ") || "file change", data: { id, changes, status: item.status } } };
    }
    case "agent_message":
      return done ? { item: { kind: "message", text: clip(item.text), data: { id } } } : {};
    case "todo_list": {
      const items = Array.isArray(item.items) ? (item.items as Record<string, unknown>[]).map((t) => ({ text: clip(t.text, 500), completed: t.completed === true })) : [];
      return { item: { kind: "todo", text: `Plan: ${items.filter((t) => t.completed).length}/${items.length} done`, data: { id, items } } };
    }
    case "error":
      return { item: { kind: "error", text: clip(item.message) || "error", data: { id } } };
    case "mcp_tool_call":
    case "web_search":
      return done ? { item: { kind: "tool", text: `${item.type}: ${clip(item.tool ?? item.query, 300)}`, data: { id } } } : {};
    default:
      return {};
  }
}
