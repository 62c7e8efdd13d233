/** Agent-provided text made safe for a terminal (the worker's tmux pane). Plain Node ESM. */

const MAX_LINE = 200;

/** One line of agent-provided text: control characters and escapes replaced, shortened. */
export function paneText(value, max = MAX_LINE) {
  const text = typeof value === "string" ? value : value === undefined || value === null ? "" : String(value);
  const firstLine = text.replace(/^\s+/, "").split(/\r?\n/, 1)[0] ?? "";
  // eslint-disable-next-line no-control-regex
  const clean = firstLine.slice(0, max * 2).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, "?");
  const chars = Array.from(clean);
  return chars.length > max ? `${chars.slice(0, max - 1).join("")}…` : clean;
}

/** Lines in a block of output (a trailing newline does not start a line). */
export function lineCount(text) {
  if (typeof text !== "string" || text.length === 0) return 0;
  let n = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < text.length - 1; i = text.indexOf("\n", i + 1)) n += 1;
  return n;
}
