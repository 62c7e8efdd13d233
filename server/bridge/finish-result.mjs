/**
 * The worker result (ARCHITECTURE.md §5): an agent's final answer, parsed as JSON (or the last
 * {...} object inside it) and re-serialized to exactly the 9 result fields, size-limited, with a
 * readable `error` when there is no usable answer. Plain Node ESM without dependencies: the finish
 * step (worker-finish.mjs) runs it outside the sandbox, on data the agent wrote.
 */

/**
 * @typedef {{role: string, label: string, status: "completed" | "blocked" | "error", summary: string,
 *   claims: string[], objections: string[], openQuestions: string[], evidenceRefs: string[], error: string}} WorkerResultRecord
 * @typedef {{role?: string, label?: string}} ResultWorker
 */

export const RESULT_STATUSES = ["completed", "blocked", "error"];
export const RESULT_ARRAY_FIELDS = ["claims", "objections", "openQuestions", "evidenceRefs"];

/** Bounds that keep a result small whatever the agent printed. */
export const RESULT_LIMITS = Object.freeze({
  /** Longest string field, in UTF-16 code units (summary, error, each array item). */
  maxStringChars: 20_000,
  /** Most items kept per array field. */
  maxArrayItems: 200,
  /** Total characters kept per array field. */
  maxArrayChars: 100_000,
  /** Largest last-message file that is parsed at all. */
  maxReadBytes: 64 * 1024 * 1024,
  /** Characters of invalid output quoted in the error. */
  previewChars: 200,
});

const TRUNCATION_MARK = "… [truncated]";

// ---------------------------------------------------------------------------------------------
// Text helpers
// ---------------------------------------------------------------------------------------------

/** @param {string} text @returns {string} Replaces lone UTF-16 surrogates (which cannot be encoded as UTF-8) with U+FFFD. */
export function wellFormed(text) {
  if (typeof text.toWellFormed === "function") return text.toWellFormed();
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
}

/** @param {Uint8Array | string} buffer @returns {string} Decodes agent output as UTF-8; invalid byte sequences become U+FFFD, a leading BOM is dropped. */
export function decodeAgentOutput(buffer) {
  if (typeof buffer === "string") return wellFormed(buffer.replace(/^\uFEFF/, ""));
  return new TextDecoder("utf-8", { fatal: false, ignoreBOM: false }).decode(buffer);
}

/**
 * Caps a string at `max` code units (never splitting a surrogate pair) and makes it well-formed.
 * @param {string} text
 * @param {number} [max]
 * @returns {string}
 */
export function capString(text, max = /** @type {number} */ (RESULT_LIMITS.maxStringChars)) {
  const clean = wellFormed(text);
  if (clean.length <= max) return clean;
  let cut = Math.max(0, max - TRUNCATION_MARK.length);
  const code = clean.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return clean.slice(0, cut) + TRUNCATION_MARK;
}

function preview(text) {
  const oneLine = text.trim().slice(0, RESULT_LIMITS.previewChars * 2);
  return capString(Array.from(oneLine).slice(0, RESULT_LIMITS.previewChars).join(""), RESULT_LIMITS.previewChars * 2);
}

function isPlainObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------
// Parsing the agent's last message
// ---------------------------------------------------------------------------------------------

/** Top-level balanced {...} spans of `text`, scanning from `from` (string-aware, linear). */
function objectSpans(text, from) {
  const spans = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  let escaped = false;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (depth === 0) {
      if (c === 0x7b /* { */) {
        depth = 1;
        start = i;
        inString = false;
        escaped = false;
      }
      continue;
    }
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 0x5c /* \ */) escaped = true;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b) depth += 1;
    else if (c === 0x7d /* } */) {
      depth -= 1;
      if (depth === 0) spans.push([start, i + 1]);
    }
  }
  return { spans, unclosedStart: depth > 0 ? start : -1 };
}

/**
 * Finds the agent's JSON object in `text`: the whole text (surrounding whitespace ignored) when it
 * is a JSON object, else the last {...} span inside it that parses as a JSON object (so prose or
 * markdown fences around the object are tolerated).
 * Returns {ok: true, value} or {ok: false, reason: "empty" | "not_json" | "not_object"}.
 * @param {string} text
 * @returns {{ok: true, value: Record<string, unknown>} | {ok: false, reason: "empty" | "not_json" | "not_object"}}
 */
export function extractJsonObject(text) {
  const trimmed = text.trim();
  if (trimmed.length === 0) return { ok: false, reason: "empty" };
  let parsedNonObject = false;
  try {
    const value = JSON.parse(trimmed);
    if (isPlainObject(value)) return { ok: true, value };
    parsedNonObject = true;
  } catch {
    // fall through to the scan
  }
  const candidates = [];
  let from = 0;
  for (let restarts = 0; restarts < 8 && from < trimmed.length; restarts++) {
    const { spans, unclosedStart } = objectSpans(trimmed, from);
    candidates.push(...spans);
    // An unbalanced "{" swallowed the rest: look again just after it (if a "}" follows at all).
    if (unclosedStart < 0 || trimmed.lastIndexOf("}") < unclosedStart) break;
    from = unclosedStart + 1;
  }
  const seen = new Set();
  const ordered = candidates
    .filter(([s, e]) => (seen.has(`${s}:${e}`) ? false : (seen.add(`${s}:${e}`), true)))
    .sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  for (const [start, end] of ordered.slice(0, 32)) {
    try {
      const value = JSON.parse(trimmed.slice(start, end));
      if (isPlainObject(value)) return { ok: true, value };
    } catch {
      // try the previous candidate
    }
  }
  return { ok: false, reason: parsedNonObject ? "not_object" : "not_json" };
}

// ---------------------------------------------------------------------------------------------
// Sanitizing
// ---------------------------------------------------------------------------------------------

function stringField(value) {
  return typeof value === "string" ? capString(value) : "";
}

function stringArray(value) {
  if (!Array.isArray(value)) return [];
  /** @type {string[]} */
  const out = [];
  let budget = RESULT_LIMITS.maxArrayChars;
  for (const entry of value) {
    if (out.length >= RESULT_LIMITS.maxArrayItems || budget < 64) break;
    if (typeof entry !== "string") continue;
    const kept = capString(entry, Math.min(RESULT_LIMITS.maxStringChars, budget));
    out.push(kept);
    budget -= kept.length;
  }
  return out;
}

function own(object, key) {
  return Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined;
}

/**
 * Re-serializes an agent result to exactly the result fields
 * (role, label, status, summary, claims, objections, openQuestions, evidenceRefs, error):
 * unknown keys are dropped, wrong types emptied, strings capped and made well-formed, arrays keep
 * strings only (at most RESULT_LIMITS.maxArrayItems). A status outside completed|blocked|error
 * becomes "error". Role and label are the agent's own strings (checked against the worker later).
 * @param {unknown} value
 * @param {ResultWorker} [worker]
 * @returns {WorkerResultRecord}
 */
export function sanitizeResult(value, worker) {
  const input = isPlainObject(value) ? value : {};
  const rawStatus = own(input, "status");
  const status = RESULT_STATUSES.includes(rawStatus) ? rawStatus : "error";
  let error = stringField(own(input, "error"));
  if (status !== rawStatus && error === "") {
    error = rawStatus === undefined
      ? "agent result had no status"
      : `agent result had an invalid status: ${capString(JSON.stringify(rawStatus) ?? String(rawStatus), 80)}`;
  }
  return {
    // The agent's own role and label are kept: the supervisor fails a result whose role or
    // label does not match the worker's (a worker answering for another member).
    role: stringField(own(input, "role")),
    label: stringField(own(input, "label")),
    status,
    summary: stringField(own(input, "summary")),
    claims: stringArray(own(input, "claims")),
    objections: stringArray(own(input, "objections")),
    openQuestions: stringArray(own(input, "openQuestions")),
    evidenceRefs: stringArray(own(input, "evidenceRefs")),
    error,
  };
}

/** An `error` result for `worker` with a readable reason. @param {ResultWorker | undefined} worker @param {string} reason @returns {WorkerResultRecord} */
export function errorResult(worker, reason) {
  return {
    role: typeof worker?.role === "string" ? worker.role : "",
    label: typeof worker?.label === "string" ? worker.label : "",
    status: "error",
    summary: "",
    claims: [],
    objections: [],
    openQuestions: [],
    evidenceRefs: [],
    error: capString(reason),
  };
}

const SIGNAL_NAMES = { 1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 6: "SIGABRT", 9: "SIGKILL", 13: "SIGPIPE", 15: "SIGTERM" };

/** How each agent is named in an exit message. */
export const AGENT_COMMANDS = { codex: "codex exec", claude: "claude", command: "the agent command" };
export const AGENTS = Object.keys(AGENT_COMMANDS);

/** "codex exec exited 3", with a hint for 126/127 and signal exits (128+n). @param {number} exitCode @param {string} [signal] @param {string} [agent] @returns {string} */
export function describeExit(exitCode, signal, agent = "codex") {
  let text = `${AGENT_COMMANDS[agent] ?? "the agent"} exited ${exitCode}`;
  if (exitCode === 127) text += " (agent binary not found)";
  else if (exitCode === 126) text += " (agent binary not executable)";
  else if (exitCode > 128 && exitCode < 160) text += ` (killed by ${SIGNAL_NAMES[exitCode - 128] ?? `signal ${exitCode - 128}`})`;
  else if (signal) text += ` (after SIG${signal})`;
  return text;
}

/**
 * Turns the agent's last message into the worker result.
 * options: {output: Buffer|string|undefined (undefined = no file), outputBytes?: number (size when
 * the file was too large to read), readError?: string, exitCode: number, worker: {role,label}, reason?: string (set by
 * the launcher when the agent could not even start), stopRequested?: boolean, signal?: string}.
 * Returns {result, valid: boolean (the agent's own result was used), problem?: string}.
 * @param {{output: Uint8Array | string | undefined, outputBytes?: number, readError?: string, outputProblem?: string, exitCode: number,
 *   worker?: ResultWorker, reason?: string, stopRequested?: boolean, signal?: string, agent?: string}} options
 * @returns {{result: WorkerResultRecord, valid: boolean, problem?: string}}
 */
export function buildWorkerResult(options) {
  const { output, exitCode, worker } = options;
  const failed = exitCode !== 0;
  const exitText = options.reason ? options.reason : describeExit(exitCode, options.signal, options.agent);
  const prefix = options.stopRequested && failed ? "stopped on request: " : "";
  let problem;
  if (options.readError !== undefined && output === undefined) {
    problem = `could not read the agent output: ${capString(String(options.readError), 300)}`;
  } else if (options.outputBytes !== undefined && output === undefined) {
    problem = `agent output was too large to parse (${options.outputBytes} bytes)`;
  } else if (output === undefined) {
    problem = options.outputProblem ?? (failed || options.reason ? undefined : "agent wrote no final message");
  } else {
    const text = decodeAgentOutput(output);
    const parsed = extractJsonObject(text);
    if (parsed.ok) {
      return { result: sanitizeResult(parsed.value, worker), valid: true };
    }
    if (parsed.reason === "empty") problem = failed || options.reason ? undefined : "agent wrote an empty final message";
    else if (parsed.reason === "not_object") problem = `agent output was not a JSON object: ${preview(text)}`;
    else problem = `agent output was not valid JSON: ${preview(text)}`;
  }
  const parts = [];
  if (failed || options.reason) parts.push(exitText);
  if (problem) parts.push(problem);
  if (parts.length === 0) parts.push(exitText);
  return { result: errorResult(worker, prefix + parts.join("; ")), valid: false, problem };
}
