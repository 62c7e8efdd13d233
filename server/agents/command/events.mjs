/**
 * The command agent's stdout as activity: every non-empty line is a message row, except two
 * marker lines a CLI may print (plain text, so a shell script can):
 *
 *   longtable-session: <id>     the session id the next turn gets back (LONGTABLE_SESSION_ID),
 *                               which makes follow-ups possible; letters, digits and . _ : -
 *   longtable-usage: <json>     {"inputTokens", "cachedInputTokens"?, "outputTokens", "costUsd"?}:
 *                               the session's running total, shown like the other agents' usage
 *
 * Plain Node ESM (the pane view imports it too). Lines are agent data: clipped, never thrown on.
 */

export const COMMAND_SESSION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;
const MAX_TEXT = 4000;
const SESSION = /^longtable-session:\s*(\S+)\s*$/;
const USAGE = /^longtable-usage:\s*(\{.*\})\s*$/;

/** @param {unknown} s @param {number} [n] */
const clip = (s, n = MAX_TEXT) => (typeof s !== "string" ? "" : s.length > n ? `${s.slice(0, n)}…` : s);
/** @param {unknown} v */
const count = (v) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0);

/**
 * @param {string} line
 * @returns {import("../types").ParsedLine}
 */
export function parseCommandLine(line) {
  if (typeof line !== "string") return {};
  const text = line.replace(/\r$/, "");
  if (!text.trim()) return {};
  const session = SESSION.exec(text);
  if (session) {
    const id = session[1];
    if (!COMMAND_SESSION_ID_PATTERN.test(id)) return { item: { kind: "error", text: `ignored an invalid session id: ${clip(id, 80)}` } };
    return { threadId: id, item: { kind: "thread", text: `Session ${id}`, data: { threadId: id } } };
  }
  const usage = USAGE.exec(text);
  if (usage) {
    try {
      const u = JSON.parse(usage[1]);
      if (u && typeof u === "object" && !Array.isArray(u)) {
        /** @type {import("../types").Usage} */
        const out = { inputTokens: count(u.inputTokens), cachedInputTokens: count(u.cachedInputTokens), outputTokens: count(u.outputTokens) };
        if (typeof u.costUsd === "number" && Number.isFinite(u.costUsd) && u.costUsd >= 0) out.costUsd = u.costUsd;
        const cost = out.costUsd === undefined ? "" : `, $${out.costUsd.toFixed(4)}`;
        return { usage: out, item: { kind: "usage", text: `Usage: ${out.inputTokens} in (${out.cachedInputTokens} cached), ${out.outputTokens} out${cost}`, data: { ...out } } };
      }
    } catch {
      // shown as a plain line below
    }
  }
  return { item: { kind: "message", text: clip(text) } };
}
