/**
 * The final result of one Claude Code turn, from the text of its stream-json events file.
 *
 * Plain Node ESM, no dependencies outside this folder: it runs in the worker's finish step,
 * OUTSIDE the sandbox, on a file the agent could have written. Everything in it is data: nothing
 * throws, nothing is executed, strings are capped, the value found is a plain object that the
 * caller still sanitizes to the worker result fields (worker-finish.mjs sanitizeResult).
 *
 * Where the result is (claude 2.1.328): the last line `{"type":"result", …}`:
 *   success        subtype "success", is_error false; `structured_output` = the object the model
 *                  gave the StructuredOutput tool (--json-schema), `result` = the final text (the
 *                  same object as JSON text when structured output was given);
 *   API error      is_error true, subtype "success" (!), api_error_status (e.g. 500, 529, 400,
 *                  401), terminal_reason "api_error" / "prompt_too_long", `result` = claude's
 *                  message ("API Error: 500 …", "Invalid API key · …", "Not logged in · …");
 *   schema         subtype "error_max_structured_output_retries" (5 invalid StructuredOutput
 *                  calls), errors: ["Failed to provide valid structured output after 5 attempts — …"];
 *   turns          subtype "error_max_turns"; budget: "error_max_budget_usd";
 *   other          subtype "error_during_execution": errors[] (e.g. "No conversation found with
 *                  session ID: …"), or terminal_reason "aborted_streaming" after SIGINT.
 * No result line at all: claude was killed (SIGTERM → exit 143, SIGKILL), or never started
 * (bad arguments, no prompt: exit 1 with only stderr).
 */
import { CLAUDE_SESSION_ID_PATTERN } from "./events.mjs";
import { resultUsage } from "./usage.mjs";

/**
 * @typedef {import("../types").Usage} Usage
 * @typedef {"no_result" | "api_error" | "not_logged_in" | "schema" | "max_turns" | "budget" | "interrupted" | "error" | "no_structured_result"} FailureKind
 * @typedef {{sessionId?: string, usage?: Usage, turnUsage?: Usage, costUsd?: number}} ResultMeta
 *   usage / costUsd: the session's running total (codex-like); turnUsage: this turn alone
 * @typedef {{ok: true, value: Record<string, unknown>, source: "structured_output" | "result_text"} & ResultMeta} ClaudeResultOk
 * @typedef {{ok: false, kind: FailureKind, reason: string} & ResultMeta} ClaudeResultFailure
 * @typedef {ClaudeResultOk | ClaudeResultFailure} ClaudeFinalResult
 * @typedef {(text: string) => ({ok: true, value: Record<string, unknown>} | {ok: false, reason?: string})} ExtractJson
 */

export const CLAUDE_RESULT_LIMITS = Object.freeze({
  /** A line longer than this is never parsed (the caller caps the whole file). */
  maxLineChars: 32 * 1024 * 1024,
  /** Characters of agent text quoted in a reason. */
  previewChars: 300,
});

/** @param {unknown} v @returns {v is Record<string, any>} */
function isObject(v) {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** One line of agent text for a reason: control characters out, capped. @param {unknown} s */
function preview(s) {
  if (typeof s !== "string") return "";
  // eslint-disable-next-line no-control-regex
  const flat = s.replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ").trim();
  const chars = Array.from(flat.slice(0, CLAUDE_RESULT_LIMITS.previewChars * 2));
  const cut = chars.slice(0, CLAUDE_RESULT_LIMITS.previewChars).join("");
  return chars.length > CLAUDE_RESULT_LIMITS.previewChars ? `${cut}…` : cut;
}

/**
 * The JSON object in a text answer: the whole text, or the body of its last ```json fence, or
 * the span from its first "{" to its last "}". (The finish step may pass worker-finish.mjs
 * extractJsonObject instead, which also finds an object amid prose.)
 * @type {ExtractJson}
 */
export function simpleJsonObject(text) {
  const candidates = [text.trim()];
  // Past a few MB only the whole text is tried (the fence scan is not linear in the worst case).
  if (text.length > 4 * 1024 * 1024) return parseFirstObject(candidates);
  const fences = [...text.matchAll(/```(?:json)?\s*\n([\s\S]*?)```/g)];
  if (fences.length) candidates.push(fences[fences.length - 1][1].trim());
  const first = text.indexOf("{");
  const last = text.lastIndexOf("}");
  if (first >= 0 && last > first) candidates.push(text.slice(first, last + 1));
  return parseFirstObject(candidates);
}

/** @param {string[]} candidates @returns {{ok: true, value: Record<string, unknown>} | {ok: false}} */
function parseFirstObject(candidates) {
  for (const c of candidates) {
    try {
      const v = JSON.parse(c);
      if (isObject(v)) return { ok: true, value: v };
    } catch {
      // next candidate
    }
  }
  return { ok: false };
}

/** @param {Uint8Array | string} input */
function decode(input) {
  const text = typeof input === "string" ? input : new TextDecoder("utf-8", { fatal: false }).decode(input);
  return text.replace(/^\uFEFF/, "");
}

/** The last JSON object line with this `type`, scanning from the end. @param {string[]} lines @param {string} type */
function lastOfType(lines, type) {
  const marker = `"type":"${type}"`;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i];
    if (line.length > CLAUDE_RESULT_LIMITS.maxLineChars || !line.includes(marker)) continue;
    try {
      const v = JSON.parse(line);
      if (isObject(v) && v.type === type) return v;
    } catch {
      // not a line of claude's
    }
  }
  return undefined;
}

/** @param {string[]} lines @returns {string | undefined} */
function initSessionId(lines) {
  for (const line of lines) {
    if (line.length > 1024 * 1024 || !line.includes('"subtype":"init"')) continue;
    try {
      const v = JSON.parse(line);
      if (isObject(v) && v.type === "system" && v.subtype === "init" && typeof v.session_id === "string" && CLAUDE_SESSION_ID_PATTERN.test(v.session_id)) {
        return v.session_id;
      }
    } catch {
      // skip
    }
  }
  return undefined;
}

/**
 * The final result of a turn. `events` is the stream-json text (or its bytes).
 * @param {Uint8Array | string} events
 * @param {{extractJson?: ExtractJson}} [options]
 * @returns {ClaudeFinalResult}
 */
export function claudeFinalResult(events, options = {}) {
  const extract = options.extractJson ?? simpleJsonObject;
  const lines = decode(events).split("\n");
  const r = lastOfType(lines, "result");
  const fromInit = initSessionId(lines);
  if (!r) {
    const lastError = lastApiError(lines);
    return {
      ok: false,
      kind: "no_result",
      reason: `Claude Code ended without a final result (it was stopped or killed, or its output was cut off)${lastError ? `; last API error: ${lastError}` : ""}`,
      ...(fromInit ? { sessionId: fromInit } : {}),
    };
  }
  /** @type {{sessionId?: string, usage?: Usage, turnUsage?: Usage, costUsd?: number}} */
  const meta = {};
  const sid = typeof r.session_id === "string" && CLAUDE_SESSION_ID_PATTERN.test(r.session_id) ? r.session_id : fromInit;
  if (sid) meta.sessionId = sid;
  const { session, turn } = resultUsage(r);
  meta.usage = session;
  meta.turnUsage = turn;
  if (session.costUsd !== undefined) meta.costUsd = session.costUsd;

  const failure = describeFailure(r);
  if (failure) return { ok: false, ...failure, ...meta };

  if (isObject(r.structured_output)) return { ok: true, value: r.structured_output, source: "structured_output", ...meta };
  if (typeof r.result === "string" && r.result.trim()) {
    let parsed;
    try {
      parsed = extract(r.result);
    } catch {
      parsed = { ok: false };
    }
    if (parsed.ok && isObject(parsed.value)) return { ok: true, value: parsed.value, source: "result_text", ...meta };
    return { ok: false, kind: "no_structured_result", reason: `Claude Code finished without a structured result; its last message was: ${preview(r.result)}`, ...meta };
  }
  return { ok: false, kind: "no_structured_result", reason: "Claude Code finished without a structured result and without a final message", ...meta };
}

/** @param {Record<string, any>} r a result line @returns {{kind: FailureKind, reason: string} | undefined} */
function describeFailure(r) {
  const subtype = typeof r.subtype === "string" ? r.subtype : "";
  if (r.is_error !== true && (subtype === "success" || subtype === "")) return undefined;
  const errors = Array.isArray(r.errors) ? r.errors.filter((x) => typeof x === "string").slice(0, 3).map(preview).filter(Boolean) : [];
  const said = errors.join("; ") || preview(r.result);
  switch (subtype) {
    case "error_max_structured_output_retries":
      return { kind: "schema", reason: `Claude Code gave no result matching the output schema: ${said || "retries exhausted"}` };
    case "error_max_turns":
      return { kind: "max_turns", reason: `Claude Code reached its turn limit${said ? `: ${said}` : ""}` };
    case "error_max_budget_usd":
      return { kind: "budget", reason: `Claude Code reached its spending limit${said ? `: ${said}` : ""}` };
    case "error_during_execution":
      if (r.terminal_reason === "aborted_streaming" || r.terminal_reason === "aborted") {
        return { kind: "interrupted", reason: "Claude Code was interrupted before it finished" };
      }
      return { kind: "error", reason: `Claude Code failed: ${said || "error during execution"}` };
    default:
      break;
  }
  if (typeof r.result === "string" && /^Not logged in\b/.test(r.result)) {
    return { kind: "not_logged_in", reason: `Claude Code is not logged in (${said}): run \`claude auth login\` or set ANTHROPIC_API_KEY` };
  }
  if (typeof r.api_error_status === "number" || r.terminal_reason === "api_error" || r.terminal_reason === "prompt_too_long") {
    const status = typeof r.api_error_status === "number" ? ` (HTTP ${r.api_error_status})` : "";
    return { kind: "api_error", reason: `Claude Code stopped on an API error${status}: ${said || "no details"}` };
  }
  return { kind: "error", reason: `Claude Code failed${subtype && subtype !== "success" ? ` (${preview(subtype)})` : ""}: ${said || "no details"}` };
}

/** The text of the last API-error assistant line (e.g. before a kill). @param {string[]} lines */
function lastApiError(lines) {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i];
    if (line.length > 1024 * 1024 || !line.includes('"is_api_error_message":true')) continue;
    try {
      const v = JSON.parse(line);
      if (!isObject(v) || v.type !== "assistant" || !isObject(v.message) || !Array.isArray(v.message.content)) continue;
      const text = v.message.content.filter(isObject).map((b) => (typeof b.text === "string" ? b.text : "")).join(" ");
      if (text) return preview(text);
    } catch {
      // skip
    }
  }
  return "";
}

/**
 * The finish step's question (worker-finish.mjs readAgentOutput): where is this turn's final
 * answer? For Claude Code, in the result line of the event stream (the last-message file is not
 * used). A failed turn gives the reason in words, which becomes the worker's `error` result.
 * @param {{lastMessage?: Uint8Array, lastMessageProblem?: string, events?: Uint8Array, extractJson?: ExtractJson}} files
 * @returns {{output?: Uint8Array, problem?: string, session?: string}}
 */
export function agentOutput(files) {
  if (!files.events || files.events.length === 0) {
    return { problem: "Claude Code wrote no events (it did not start: see the worker log for what it printed on stderr)" };
  }
  const r = claudeFinalResult(files.events, files.extractJson ? { extractJson: files.extractJson } : {});
  const session = r.sessionId;
  if (!r.ok) return { problem: r.reason, ...(session ? { session } : {}) };
  return { output: new TextEncoder().encode(JSON.stringify(r.value)), ...(session ? { session } : {}) };
}
