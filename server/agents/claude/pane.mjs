/**
 * Claude Code's stream-json as short human lines for the worker's tmux pane (driven by
 * server/bridge/pane-view.mjs, one process per turn). The lines are read with the same parser
 * as the activity (events.mjs), so the pane and the activity tab say the same thing; text that
 * came from the agent is made terminal-safe (paneText). Hidden reasoning is shown only as a mark.
 */
import { lineCount, paneText } from "../pane-text.mjs";
import { createClaudeParseState, parseClaudeLineItems } from "./events.mjs";

export { paneText };

/** The pane view renders one stream per process: one parse state for it. */
const state = createClaudeParseState();

const CHANGE_MARK = { add: "+", delete: "-", update: "~" };

/** @param {unknown} path @param {string} cwd */
function displayPath(path, cwd) {
  if (typeof path !== "string") return path;
  const prefix = cwd.endsWith("/") ? cwd : `${cwd}/`;
  return cwd && path.startsWith(prefix) ? path.slice(prefix.length) : path;
}

/** @param {import("../types").ActivityItem} item @param {string} cwd @returns {string[]} */
function renderItem(item, cwd) {
  const d = /** @type {Record<string, any>} */ (item.data ?? {});
  switch (item.kind) {
    case "thread":
      return [`● session ${paneText(d.threadId, 80)}${d.model ? ` (${paneText(d.model, 60)})` : ""}`];
    case "command": {
      if (d.phase !== "completed") return [`$ ${paneText(d.command)}`];
      if (d.status === "declined") return [`  ✗ declined — ${paneText(d.command, 80)}`];
      const code = typeof d.exitCode === "number" ? d.exitCode : "?";
      const lines = lineCount(d.output);
      return [`  ${code === 0 ? "✓" : "✗"} exit ${code}${lines ? ` · ${lines} line${lines === 1 ? "" : "s"} of output` : ""} — ${paneText(d.command, 80)}`];
    }
    case "file_change": {
      const changes = Array.isArray(d.changes) ? d.changes : [];
      if (changes.length === 0) return ["  file change"];
      return changes.slice(0, 20).map((c) => `  ${CHANGE_MARK[/** @type {keyof typeof CHANGE_MARK} */ (c?.kind)] ?? "?"} ${paneText(displayPath(c?.path, cwd))}`);
    }
    case "message":
      return [d.structured ? `» result given: ${paneText(item.text, 160)}` : `» ${paneText(item.text)}`];
    case "todo":
      return [`☰ ${paneText(item.text)}`];
    case "error":
      return [`! ${paneText(item.text)}`];
    case "usage":
      return [`● ${paneText(item.text)}`];
    case "tool":
      return [`⚙ ${paneText(item.text)}`];
    default:
      return [`· ${paneText(item.text)}`];
  }
}

/**
 * The pane lines for one stream-json line (possibly none). Non-JSON lines are shown as is.
 * File paths under `cwd` (the worktree; launch.sh runs in it) are shown relative to it.
 * @param {string} line @param {string} [cwd] @returns {string[]}
 */
export function renderEventLine(line, cwd = process.cwd()) {
  const raw = line.trim();
  if (raw === "") return [];
  if (raw.includes('"type":"thinking"')) {
    try {
      const e = JSON.parse(raw);
      if (e?.type === "assistant" && Array.isArray(e.message?.content) && e.message.content.some((b) => b?.type === "thinking")) return ["… thinking"];
    } catch {
      // shown below as a plain line
    }
  }
  return parseClaudeLineItems(raw, state).items.flatMap((item) => renderItem(item, cwd));
}
