/**
 * codex `exec --json` JSONL as short human lines for the worker's tmux pane (driven by
 * server/bridge/pane-view.mjs). Text that came from the agent is made terminal-safe (paneText).
 */
import { lineCount, paneText } from "../pane-text.mjs";

export { paneText };

const CHANGE_MARK = { add: "+", delete: "-", update: "~" };

function displayPath(path, cwd) {
  if (typeof path !== "string") return path;
  const prefix = cwd.endsWith("/") ? cwd : `${cwd}/`;
  return cwd && path.startsWith(prefix) ? path.slice(prefix.length) : path;
}

function renderItem(phase, item, cwd) {
  if (!item || typeof item !== "object") return [];
  switch (item.type) {
    case "command_execution": {
      if (phase === "item.started") return [`$ ${paneText(item.command)}`];
      if (phase !== "item.completed") return [];
      const code = typeof item.exit_code === "number" ? item.exit_code : "?";
      const mark = code === 0 ? "✓" : "✗";
      const lines = lineCount(item.aggregated_output);
      const status = item.status && item.status !== "completed" && item.status !== "failed" ? `, ${paneText(item.status, 20)}` : "";
      return [`  ${mark} exit ${code}${status}${lines ? ` · ${lines} line${lines === 1 ? "" : "s"} of output` : ""} — ${paneText(item.command, 80)}`];
    }
    case "file_change": {
      if (phase !== "item.completed") return [];
      const changes = Array.isArray(item.changes) ? item.changes : [];
      const failed = item.status === "failed" ? " (failed)" : "";
      if (changes.length === 0) return [`  file change${failed}`];
      const shown = changes.slice(0, 20).map((c) => `  ${CHANGE_MARK[c?.kind] ?? "?"} ${paneText(displayPath(c?.path, cwd))}${failed}`);
      if (changes.length > 20) shown.push(`  … ${changes.length - 20} more file changes`);
      return shown;
    }
    case "agent_message":
      return phase === "item.completed" ? [`» ${paneText(item.text)}`] : [];
    case "reasoning":
      return phase === "item.completed" ? [`… ${paneText(item.text)}`] : [];
    case "mcp_tool_call":
      if (phase === "item.started") return [`⚙ ${paneText(item.server, 40)}.${paneText(item.tool, 60)}`];
      return phase === "item.completed" ? [`  ⚙ ${paneText(item.server, 40)}.${paneText(item.tool, 60)} ${paneText(item.status, 20)}`] : [];
    case "web_search":
      return phase === "item.started" ? [`⌕ ${paneText(item.query)}`] : [];
    case "todo_list": {
      if (phase === "item.updated") return [];
      const items = Array.isArray(item.items) ? item.items : [];
      const done = items.filter((t) => t && t.completed === true).length;
      return [`☰ plan ${done}/${items.length} done`];
    }
    case "error":
      return [`! ${paneText(item.message)}`];
    default:
      return phase === "item.completed" ? [`· ${paneText(item.type, 40)}`] : [];
  }
}

/**
 * The pane lines for one line of codex JSONL (possibly none). Non-JSON lines are shown as is.
 * File paths under `cwd` (the worktree; launch.sh runs in it) are shown relative to it.
 */
export function renderEventLine(line, cwd = process.cwd()) {
  const raw = line.trim();
  if (raw === "") return [];
  let event;
  try {
    event = JSON.parse(raw);
  } catch {
    return [`  ${paneText(raw)}`];
  }
  if (!event || typeof event !== "object" || Array.isArray(event)) return [`  ${paneText(raw)}`];
  switch (event.type) {
    case "thread.started":
      return [`● session ${paneText(event.thread_id, 80)}`];
    case "turn.started":
      return ["● turn started"];
    case "turn.completed": {
      const u = event.usage && typeof event.usage === "object" ? event.usage : {};
      const n = (v) => (typeof v === "number" && Number.isFinite(v) ? v : 0);
      return [`● turn completed — tokens: ${n(u.input_tokens)} in (${n(u.cached_input_tokens)} cached), ${n(u.output_tokens)} out`];
    }
    case "turn.failed":
      return [`✗ turn failed: ${paneText(event.error?.message)}`];
    case "error":
      return [`! ${paneText(event.message)}`];
    case "item.started":
    case "item.updated":
    case "item.completed":
      return renderItem(event.type, event.item, cwd);
    default:
      return [];
  }
}
