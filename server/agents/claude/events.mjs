/**
 * Claude Code's `--output-format stream-json --verbose` lines turned into activity rows, in the
 * same shapes as codex's (server/agents/types.ts ActivityItem), so the UI shows both agents alike.
 *
 * Plain Node ESM, no dependencies: imported by the TS server and by plain-node helper scripts.
 * Every line is data from an agent: malformed or hostile lines never throw, strings are clipped,
 * hidden reasoning (thinking blocks, thinking-token counts) is never kept.
 *
 * Line shapes of claude 2.1.328 (one JSON object per line; one content block per assistant line):
 *   {type:"system", subtype:"init", session_id, tools, model, …}            → thread
 *   {type:"system", subtype:"api_retry", attempt, max_retries, error_status} → other
 *   {type:"system", subtype:"permission_denied" | "thinking_tokens" | "hook_…"} → nothing
 *   {type:"assistant", message:{id, content:[{type:"text"}]}}              → message
 *   {type:"assistant", message:{content:[{type:"thinking"}]}}              → nothing (hidden reasoning)
 *   {type:"assistant", message:{content:[{type:"tool_use", id, name, input}]}}
 *        Bash → command (started); StructuredOutput → message (the result JSON, shown as the
 *        final result); Edit/Write/NotebookEdit/Task* → remembered for their result; others → tool
 *   {type:"assistant", is_api_error_message:true, error, api_error_status, message:{content:[text]}} → error
 *   {type:"user", message:{content:[{type:"tool_result", tool_use_id, content, is_error}]}, tool_use_result}
 *        Bash → command (completed: exit code, output); Edit/Write/NotebookEdit → file_change;
 *        TaskCreate/TaskUpdate/TaskList → todo; a failed other tool → error
 *   {type:"user", isSynthetic:true, message:{content:[{type:"text"}]}}    → other (claude's own nudges)
 *   {type:"result", subtype, is_error, result, usage, modelUsage, total_cost_usd, session_id} → usage (or error);
 *        the Usage is the session's running total (usage.mjs resultUsage), data.turn this turn's share
 *
 * A tool_result line does not name its tool: `createClaudeParseState()` remembers each tool_use
 * (by id) for its result. Without that memory (e.g. a tail that starts mid-file) the tool is
 * inferred from the result's shape where possible.
 */
import { resultUsage, usageText } from "./usage.mjs";

/**
 * @typedef {import("../types").ActivityItem} ActivityItem
 * @typedef {import("../types").Usage} Usage
 * @typedef {import("../types").ParsedLine} ParsedLine
 * @typedef {{name: string, command?: string, path?: string}} RememberedTool
 * @typedef {{tools: Map<string, RememberedTool>}} ClaudeParseState
 * @typedef {{items: ActivityItem[], threadId?: string, usage?: Usage}} ParsedLineItems
 */

/** Same limits as codex's activity rows, plus a bound on what a parse state remembers. */
export const CLAUDE_ACTIVITY_LIMITS = Object.freeze({
  maxText: 4000,
  maxOutput: 16_000,
  maxCommand: 2000,
  maxPath: 1000,
  maxOther: 300,
  /** Lines longer than this are not parsed at all. */
  maxLineChars: 8 * 1024 * 1024,
  /** Tool uses remembered per state (oldest forgotten first). */
  maxRemembered: 5000,
});

/** Claude Code session ids are UUIDs. Anything else (and never a leading "-") is refused. */
export const CLAUDE_SESSION_ID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** Tools whose results are file changes, and the input field that names the file. */
const FILE_TOOLS = { Edit: "file_path", Write: "file_path", NotebookEdit: "notebook_path", MultiEdit: "file_path" };
const TODO_TOOLS = new Set(["TaskCreate", "TaskUpdate", "TaskList", "TaskGet", "TodoWrite"]);
export const STRUCTURED_OUTPUT_TOOL = "StructuredOutput";

const L = CLAUDE_ACTIVITY_LIMITS;

/** @param {unknown} v @returns {v is Record<string, any>} */
function isObject(v) {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Clips a string (never splitting a surrogate pair); anything else becomes "". @param {unknown} s @param {number} [n] */
export function clip(s, n = L.maxText) {
  if (typeof s !== "string") return "";
  if (s.length <= n) return s;
  let cut = n;
  const code = s.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return `${s.slice(0, cut)}…`;
}

/** A non-negative finite number, else 0. @param {unknown} v */
const count = (v) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0);

/** @returns {ClaudeParseState} */
export function createClaudeParseState() {
  return { tools: new Map() };
}

/**
 * One stream-json line → at most one activity item (the first of parseClaudeLineItems; claude
 * 2.1.328 writes one content block per line, so there is never more than one there).
 * @param {string} line
 * @param {ClaudeParseState} [state]
 * @returns {ParsedLine}
 */
export function parseClaudeLine(line, state) {
  const { items, threadId, usage } = parseClaudeLineItems(line, state);
  /** @type {ParsedLine} */
  const out = {};
  if (items[0]) out.item = items[0];
  if (threadId !== undefined) out.threadId = threadId;
  if (usage !== undefined) out.usage = usage;
  return out;
}

/**
 * One stream-json line → every activity item in it.
 * @param {string} line
 * @param {ClaudeParseState} [state]
 * @returns {ParsedLineItems}
 */
export function parseClaudeLineItems(line, state) {
  if (typeof line !== "string") return { items: [] };
  if (line.length > L.maxLineChars) return { items: [{ kind: "other", text: `(an agent output line of ${line.length} characters was skipped)` }] };
  let e;
  try {
    e = JSON.parse(line);
  } catch {
    return line.trim() ? { items: [{ kind: "other", text: clip(line, L.maxOther) }] } : { items: [] };
  }
  if (!isObject(e)) return { items: [{ kind: "other", text: clip(line, L.maxOther) }] };
  try {
    switch (e.type) {
      case "system":
        return parseSystem(e);
      case "assistant":
        return { items: parseAssistant(e, state) };
      case "user":
        return { items: parseUser(e, state) };
      case "result":
        return parseResult(e);
      default:
        return { items: [] };
    }
  } catch {
    // A shape no branch expected (e.g. a getter-free but deeply odd object): never throw.
    return { items: [{ kind: "other", text: clip(line, L.maxOther) }] };
  }
}

/** @param {Record<string, any>} e @returns {ParsedLineItems} */
function parseSystem(e) {
  switch (e.subtype) {
    case "init": {
      const id = e.session_id;
      if (typeof id !== "string" || !CLAUDE_SESSION_ID_PATTERN.test(id)) return { items: [] };
      /** @type {Record<string, unknown>} */
      const data = { threadId: id };
      if (typeof e.model === "string") data.model = clip(e.model, 200);
      return { threadId: id, items: [{ kind: "thread", text: `Session ${id} started`, data }] };
    }
    case "api_retry": {
      const status = typeof e.error_status === "number" ? `API error ${e.error_status}` : "API error";
      const why = typeof e.error === "string" ? ` (${clip(e.error, 100)})` : "";
      const delay = typeof e.retry_delay_ms === "number" ? ` in ${(count(e.retry_delay_ms) / 1000).toFixed(1)} s` : "";
      return { items: [{ kind: "other", text: `${status}${why}; retry ${count(e.attempt)}/${count(e.max_retries)}${delay}` }] };
    }
    case "compact_boundary":
      return { items: [{ kind: "other", text: "Conversation compacted" }] };
    default:
      // thinking_tokens (hidden reasoning), hook events, status lines; permission_denied comes
      // again as the denied tool's result, which says it on its row.
      return { items: [] };
  }
}

/** @param {unknown} content @returns {Record<string, any>[]} */
function blocksOf(content) {
  return Array.isArray(content) ? content.filter(isObject) : [];
}

/** @param {Record<string, any>} e @param {ClaudeParseState | undefined} state @returns {ActivityItem[]} */
function parseAssistant(e, state) {
  const message = isObject(e.message) ? e.message : {};
  const blocks = blocksOf(message.content);
  if (e.is_api_error_message === true || (typeof e.error === "string" && e.error !== "")) {
    const text = blocks.filter((b) => b.type === "text").map((b) => (typeof b.text === "string" ? b.text : "")).join("\n");
    /** @type {Record<string, unknown>} */
    const data = {};
    if (typeof e.api_error_status === "number") data.status = e.api_error_status;
    if (typeof e.error === "string") data.error = clip(e.error, 100);
    return [{ kind: "error", text: clip(text) || clip(e.error) || "API error", data }];
  }
  const id = typeof message.id === "string" ? clip(message.id, 200) : undefined;
  /** @type {ActivityItem[]} */
  const items = [];
  for (const b of blocks) {
    if (b.type === "text") {
      if (typeof b.text === "string" && b.text.trim()) items.push({ kind: "message", text: clip(b.text), data: { id } });
    } else if (b.type === "tool_use") {
      const item = toolUse(b, state);
      if (item) items.push(item);
    }
    // "thinking" / "redacted_thinking": hidden reasoning is never stored.
  }
  return items;
}

/** @param {Record<string, any>} b @param {ClaudeParseState | undefined} state @returns {ActivityItem | undefined} */
function toolUse(b, state) {
  const id = typeof b.id === "string" ? clip(b.id, 200) : undefined;
  const name = typeof b.name === "string" ? clip(b.name, 100) : "tool";
  const input = isObject(b.input) ? b.input : {};
  if (name === "Bash") {
    const command = clip(input.command, L.maxCommand);
    remember(state, id, { name, command });
    return { kind: "command", text: `$ ${command}`, data: { id, phase: "started", command, exitCode: null, status: "in_progress" } };
  }
  if (name === STRUCTURED_OUTPUT_TOOL) {
    remember(state, id, { name });
    // The agent's result object: a message row, which the UI shows as the final result (as codex's last message).
    let text = "";
    try {
      text = JSON.stringify(input);
    } catch {
      text = "";
    }
    return { kind: "message", text: clip(text), data: { id, structured: true } };
  }
  if (Object.prototype.hasOwnProperty.call(FILE_TOOLS, name)) {
    remember(state, id, { name, path: clip(input[FILE_TOOLS[/** @type {keyof typeof FILE_TOOLS} */ (name)]], L.maxPath) });
    return undefined; // a file_change row comes with the result, as codex's does on completion
  }
  if (name === "TodoWrite") {
    // The older plan tool (CLAUDE_CODE_ENABLE_TASKS=0): the whole list in its input, like codex's todo_list.
    remember(state, id, { name });
    const todos = Array.isArray(input.todos) ? input.todos.filter(isObject).slice(0, 200) : [];
    const items = todos.map((t) => ({ text: clip(t.content, 500), completed: t.status === "completed" }));
    return { kind: "todo", text: `Plan: ${items.filter((t) => t.completed).length}/${items.length} done`, data: { id, items } };
  }
  if (TODO_TOOLS.has(name)) {
    remember(state, id, { name });
    return undefined; // the plan row comes with the result (it carries the task ids)
  }
  remember(state, id, { name });
  const what = clip(input.file_path ?? input.pattern ?? input.path ?? input.url ?? input.query ?? input.description ?? input.skill, 300);
  return { kind: "tool", text: what ? `${name}: ${what}` : name, data: { id, name } };
}

/** @param {ClaudeParseState | undefined} state @param {string | undefined} id @param {RememberedTool} tool */
function remember(state, id, tool) {
  if (!state || !id) return;
  state.tools.set(id, tool);
  if (state.tools.size > L.maxRemembered) {
    const oldest = state.tools.keys().next().value;
    if (oldest !== undefined) state.tools.delete(oldest);
  }
}

/** A tool_result's content as text. @param {unknown} content */
function resultText(content) {
  if (typeof content === "string") return content;
  return blocksOf(content).map((p) => (p.type === "text" && typeof p.text === "string" ? p.text : "")).join("");
}

/**
 * A tool error in few words: without claude's <tool_use_error> wrapper, and for a permission
 * denial only what was asked ("Claude requested permissions to write to …").
 * @param {string} text
 */
function plainError(text) {
  const bare = text.replace(/^\s*<tool_use_error>([\s\S]*?)<\/tool_use_error>\s*$/, "$1").trim();
  const asked = /What required approval: ([\s\S]*)$/.exec(bare);
  return asked ? asked[1].trim() : bare;
}

/** @param {Record<string, any>} e @param {ClaudeParseState | undefined} state @returns {ActivityItem[]} */
function parseUser(e, state) {
  const message = isObject(e.message) ? e.message : {};
  const blocks = blocksOf(message.content);
  /** @type {ActivityItem[]} */
  const items = [];
  for (const b of blocks) {
    if (b.type === "tool_result") {
      const item = toolResult(b, e, state);
      if (item) items.push(item);
    } else if (b.type === "text" && (e.isSynthetic === true || /^\[Request interrupted/.test(String(b.text)))) {
      // claude's own nudges ("[structured-output-enforce] …", "…cut off mid-stream…") and interruptions.
      const text = clip(typeof b.text === "string" ? b.text.trim() : "", L.maxOther);
      if (text) items.push({ kind: "other", text });
    }
  }
  return items;
}

/** Whether claude refused the tool for lack of permission. @param {Record<string, any>} e @param {string | undefined} id */
function denied(e, id) {
  const meta = Array.isArray(e.tool_result_meta) ? e.tool_result_meta.filter(isObject) : [];
  return meta.some((m) => m.id === id && isObject(m.permission_decision) && m.permission_decision.decision === "reject");
}

/**
 * @param {Record<string, any>} b the tool_result block
 * @param {Record<string, any>} e its line (tool_use_result holds the tool's structured output)
 * @param {ClaudeParseState | undefined} state
 * @returns {ActivityItem | undefined}
 */
function toolResult(b, e, state) {
  const id = typeof b.tool_use_id === "string" ? clip(b.tool_use_id, 200) : undefined;
  const known = id && state ? state.tools.get(id) : undefined;
  const structured = e.tool_use_result;
  const text = resultText(b.content);
  const isError = b.is_error === true;
  const name = known?.name ?? inferTool(structured, text, isError);
  if (id && state) state.tools.delete(id);

  const wasDenied = isError && denied(e, id);
  const failed = wasDenied ? "denied" : "failed";
  if (name === "Bash") return commandCompleted(id, known?.command ?? "", structured, text, isError, wasDenied);
  if (name === STRUCTURED_OUTPUT_TOOL) {
    return isError ? { kind: "error", text: `Result rejected: ${clip(plainError(text))}`, data: { id, tool: name } } : undefined;
  }
  if (name && Object.prototype.hasOwnProperty.call(FILE_TOOLS, name)) {
    const path = clip(isObject(structured) && typeof structured.filePath === "string" ? structured.filePath : known?.path ?? "", L.maxPath);
    if (isError) return { kind: "error", text: `${name} ${path || "(file)"} ${failed}: ${clip(plainError(text))}`, data: { id, tool: name } };
    const kind = name === "Write" && isObject(structured) && structured.type === "create" ? "add" : "update";
    const changes = path ? [{ path, kind }] : [];
    return { kind: "file_change", text: changes.map((c) => `${c.kind} ${c.path}`).join(", ") || "file change", data: { id, changes, status: "completed" } };
  }
  if (name && TODO_TOOLS.has(name) && !isError) return todo(id, structured);
  if (isError) {
    return { kind: "error", text: `${name ?? "A tool"} ${failed}: ${clip(plainError(text))}`, data: { id, tool: name ?? null } };
  }
  return undefined;
}

/**
 * Which tool a result came from, when no tool_use was seen for it (by the shape of its output).
 * @param {unknown} structured @param {string} text @param {boolean} isError @returns {string | undefined}
 */
function inferTool(structured, text, isError) {
  if (isObject(structured)) {
    if (typeof structured.stdout === "string" && "interrupted" in structured) return "Bash";
    if (typeof structured.filePath === "string" && ("structuredPatch" in structured || structured.type === "create")) {
      return structured.type === "create" || structured.type === "update" ? "Write" : "Edit";
    }
    if (isObject(structured.task) || Array.isArray(structured.tasks) || isObject(structured.statusChange)) return "TaskList";
  }
  if (isError && /^Exit code \d+/.test(text)) return "Bash";
  return undefined;
}

/**
 * @param {string | undefined} id @param {string} command @param {unknown} structured @param {string} text
 * @param {boolean} isError @param {boolean} wasDenied
 * @returns {ActivityItem}
 */
function commandCompleted(id, command, structured, text, isError, wasDenied) {
  let exitCode = /** @type {number | null} */ (isError ? null : 0);
  let output = text;
  if (isError) {
    // A failed command's result starts "Exit code N" (143 after claude's own timeout; 137 when killed).
    const m = /^Exit code (\d{1,3})\b\n?/.exec(text);
    if (m) {
      exitCode = Number(m[1]);
      output = text.slice(m[0].length);
    } else output = plainError(text);
  } else if (isObject(structured) && typeof structured.stdout === "string") {
    const err = typeof structured.stderr === "string" && structured.stderr ? `\n${structured.stderr}` : "";
    output = structured.stdout + err;
  } else if (/^\(Bash completed with no output\)$/.test(text.trim())) output = "";
  const status = wasDenied ? "declined" : exitCode === 0 ? "completed" : "failed";
  const shown = command || "(command)";
  return {
    kind: "command",
    text: wasDenied ? `$ ${shown} → declined` : `$ ${shown} → exit ${exitCode ?? "?"}`,
    data: { id, phase: "completed", command, exitCode, status, output: clip(output, L.maxOutput) },
  };
}

/** A plan row from a task tool's structured output. @param {string | undefined} id @param {unknown} s @returns {ActivityItem | undefined} */
function todo(id, s) {
  if (!isObject(s)) return undefined;
  if (Array.isArray(s.tasks)) {
    const items = s.tasks.filter(isObject).slice(0, 200).map((t) => ({ text: clip(t.subject, 500), completed: t.status === "completed" }));
    return { kind: "todo", text: `Plan: ${items.filter((t) => t.completed).length}/${items.length} done`, data: { id, items } };
  }
  if (isObject(s.task)) {
    const subject = clip(s.task.subject, 500);
    return { kind: "todo", text: `Task #${clip(String(s.task.id ?? "?"), 40)} added: ${subject}`, data: { id, items: [{ text: subject, completed: false }] } };
  }
  if (isObject(s.statusChange)) {
    const from = clip(String(s.statusChange.from ?? "?"), 40);
    const to = clip(String(s.statusChange.to ?? "?"), 40);
    return { kind: "todo", text: `Task #${clip(String(s.taskId ?? "?"), 40)}: ${from} → ${to}`, data: { id, items: [] } };
  }
  return undefined;
}

/** @param {Record<string, any>} e @returns {ParsedLineItems} */
function parseResult(e) {
  const { session: usage, turn } = resultUsage(e);
  /** @type {ParsedLineItems} */
  const out = { usage, items: [] };
  const sessionId = e.session_id;
  if (typeof sessionId === "string" && CLAUDE_SESSION_ID_PATTERN.test(sessionId)) out.threadId = sessionId;
  if (e.is_error === true || (typeof e.subtype === "string" && e.subtype !== "success")) {
    const errors = Array.isArray(e.errors) ? e.errors.filter((x) => typeof x === "string").slice(0, 5) : [];
    const why = clip(errors.join("; ")) || clip(e.result) || clip(e.subtype, 100) || "unknown error";
    out.items.push({ kind: "error", text: `Turn failed: ${why}`, data: { subtype: clip(e.subtype, 100), ...usage, turn } });
  } else {
    out.items.push({ kind: "usage", text: usageText(usage), data: { ...usage, turn } });
  }
  return out;
}
