/**
 * The command agent's stdout in the worker's tmux pane: its lines as they are (terminal-safe),
 * the marker lines (events.mjs) in words.
 */
import { paneText } from "../pane-text.mjs";
import { parseCommandLine } from "./events.mjs";

export { paneText };

/** @param {string} line @returns {string[]} */
export function renderEventLine(line) {
  const parsed = parseCommandLine(line);
  if (!parsed.item) return [];
  if (parsed.item.kind === "thread") return [`● ${paneText(parsed.item.text)}`];
  if (parsed.item.kind === "usage") return [`● ${paneText(parsed.item.text)}`];
  if (parsed.item.kind === "error") return [`! ${paneText(parsed.item.text)}`];
  return [`  ${paneText(parsed.item.text, 400)}`];
}
