/**
 * A scripted stand-in for the Anthropic Messages API, for running the real Claude Code binary
 * (node_modules/.bin/claude, pinned in claude-env.ts) offline. Binds 127.0.0.1 on a free port.
 *
 *   POST /v1/messages[?beta=true]       → SSE: message_start, content_block_start / _delta / _stop
 *                                           (text, thinking, tool_use with input_json_delta),
 *                                           message_delta (stop_reason, usage), message_stop — or an
 *                                           HTTP error, an `error` event, a cut stream, a stall.
 *   POST /v1/messages/count_tokens       → {input_tokens} (claude 2.1.328 does not call it offline)
 *   GET  /v1/models                      → an empty list  (claude 2.1.328 does not call it offline)
 *
 * The script is keyed per worker like model-server.ts: `keyOf(request)` (default: the role id of
 * the last `Role: <label> (<role>)` line in the text blocks of the request's user messages; a
 * resumed session carries the task in its history, so follow-ups find it too). Each key has a list
 * of turns; every POST for that key plays the next turn:
 *
 *   { text: "…" | {...} }                 an assistant text answer (objects JSON-stringified), stop_reason end_turn
 *   { tools: [{ bash: "cmd" }, { edit: {...} }, { write: {...} }, { tool: "Name", input }] }
 *                                         tool_use blocks (optionally after `text`), stop_reason tool_use
 *   { structured: {...} }                 a StructuredOutput tool_use (what --json-schema offers) with the result object
 *   { http: 529, errorType?, message? }   an HTTP error status with Anthropic's error JSON
 *   { sseError: "message", errorType? }   message_start (+ `partial` text), then an `error` event and the end of the body
 *   { cut: true, partial?, tools? }       message_start (+ a partial text / tool_use), then the socket is destroyed
 *   { stall: true }                       message_start, then nothing until claude hangs up or the server closes
 * Every turn but the failures may carry `thinking` (a thinking block before the rest: what the
 * adapter must never store) and `usage`.
 *
 * Every request is recorded (`requests`) with its key and turn. The server checks the protocol
 * claude speaks and records each problem in `violations` (tests assert it stays empty): every
 * tool_use of the previous response must come back as a tool_result with the same id, no
 * tool_result may name a tool_use that was never made, a tool must be offered in the request's
 * `tools` before the script uses it, and no request may arrive for an unknown key, after a key's
 * script is exhausted, or on another route. Tool results are kept by id (`toolResults`).
 *
 * Streaming: claude asks for a stream. After a cut stream (or an `error` event without partial
 * text) it repeats the request once WITHOUT streaming; the server plays the next turn as one
 * JSON message then (`stream` is recorded per request). A stall or cut on that request hangs up
 * the same way; an sseError turn becomes an HTTP error of its type.
 *
 * claude 2.1.328 (with CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1) sends nothing but POST
 * /v1/messages?beta=true: one per model call, none at start-up.
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { waitFor } from "./wait";

export type ClaudeToolSpec =
  /** Bash: claude runs `command` in a shell in its cwd. */
  | { bash: string; description?: string; timeout?: number; id?: string }
  /** Edit: replace old_string by new_string in file_path (claude insists the file was Read first). */
  | { edit: { file_path: string; old_string: string; new_string: string; replace_all?: boolean }; id?: string }
  /** Write: create or overwrite file_path (an existing file must have been Read first). */
  | { write: { file_path: string; content: string }; id?: string }
  /** Any other tool claude offers, by name, with its input object. */
  | { tool: string; input: Record<string, unknown>; id?: string };

export interface AnthropicUsageSpec {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

interface TurnExtras {
  usage?: AnthropicUsageSpec;
  /** A hidden-reasoning block streamed before the rest. */
  thinking?: string;
}

export type ClaudeTurn =
  | ({ text: unknown; chunks?: number } & TurnExtras)
  | ({ tools: ClaudeToolSpec[]; text?: string } & TurnExtras)
  | ({ structured: Record<string, unknown>; text?: string } & TurnExtras)
  | { http: number; errorType?: string; message?: string }
  | { sseError: string; errorType?: string; partial?: string }
  | { cut: true; partial?: string; tools?: ClaudeToolSpec[] }
  | { stall: true };

export type ClaudeScript = Record<string, ClaudeTurn[]>;

/** The turns that end in a complete message. */
type CompletingTurn = Extract<ClaudeTurn, { text: unknown } | { tools: ClaudeToolSpec[]; text?: string } | { structured: Record<string, unknown> }>;

/** The parts of a Messages API request that tests look at. */
export interface MessagesRequest {
  model: string;
  stream?: boolean;
  max_tokens?: number;
  system?: string | Array<{ type: string; text?: string }>;
  messages: MessageParam[];
  tools?: Array<{ name: string; input_schema?: unknown; [k: string]: unknown }>;
  [k: string]: unknown;
}

export interface MessageParam {
  role: "user" | "assistant";
  content: string | ContentBlock[];
}

export type ContentBlock = {
  type: string;
  text?: string;
  id?: string;
  name?: string;
  input?: unknown;
  tool_use_id?: string;
  content?: unknown;
  is_error?: boolean;
  [k: string]: unknown;
};

export interface RecordedRequest {
  seq: number;
  method: string;
  /** Path without the query (claude adds `?beta=true`). */
  path: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body?: MessagesRequest;
  key?: string;
  turn?: number;
  /** "completed" | "http" | "sse_error" | "cut" | "stall" | "aborted" */
  outcome?: string;
  /**
   * Whether claude asked for a stream. After a cut stream claude 2.1.328 repeats the request
   * without streaming (its "non-streaming fallback"); the server answers that with one JSON message.
   */
  stream?: boolean;
}

export interface ToolResult {
  key: string;
  id: string;
  name: string;
  call: ClaudeToolSpec | { structured: Record<string, unknown> };
  /** claude's tool_result content as text (a Bash result is the command's output, plus an exit note on failure). */
  output: string;
  isError: boolean;
}

export interface AnthropicServerOptions {
  keyOf?: (body: MessagesRequest) => string | undefined;
  defaultUsage?: AnthropicUsageSpec;
}

export interface AnthropicServer {
  /** `http://127.0.0.1:<port>` — ANTHROPIC_BASE_URL (claude appends /v1/messages). */
  readonly baseUrl: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  readonly violations: string[];
  readonly toolResults: Map<string, ToolResult>;
  setScript(key: string, turns: ClaudeTurn[]): void;
  /** POST /v1/messages requests for a key. */
  requestsFor(key: string): RecordedRequest[];
  /** Sum of the usage the server reported for a key. */
  usageSent(key: string): Required<AnthropicUsageSpec>;
  waitForRequest(pred: (r: RecordedRequest) => boolean, what: string, timeoutMs?: number): Promise<RecordedRequest>;
  close(): Promise<void>;
}

export const DEFAULT_ANTHROPIC_USAGE: AnthropicUsageSpec = { input_tokens: 100, output_tokens: 20, cache_read_input_tokens: 10, cache_creation_input_tokens: 5 };
/** The tool claude 2.1.328 offers for --json-schema; its input is the structured result. */
export const STRUCTURED_OUTPUT_TOOL = "StructuredOutput";

/** HTTP statuses of Anthropic's error types (a non-streamed request gets its error as a status). */
const ERROR_STATUS: Record<string, number> = {
  invalid_request_error: 400, authentication_error: 401, permission_error: 403, not_found_error: 404,
  request_too_large: 413, rate_limit_error: 429, api_error: 500, overloaded_error: 529,
};

const ROLE_LINE = /^Role: .*\(([a-z][a-z0-9_]*)\)\s*$/gm;

/** Text blocks (and string contents) of the user messages of a request, in order. Tool results are not user text. */
export function userTexts(body: MessagesRequest | undefined): string[] {
  const out: string[] = [];
  for (const m of body?.messages ?? []) {
    if (m.role !== "user") continue;
    if (typeof m.content === "string") out.push(m.content);
    else for (const b of m.content ?? []) if (b.type === "text" && typeof b.text === "string") out.push(b.text);
  }
  return out;
}

/** The role id of the last `Role: <label> (<role>)` line in the request's user text. */
export function roleKeyOf(body: MessagesRequest): string | undefined {
  let found: string | undefined;
  for (const text of userTexts(body)) for (const m of text.matchAll(ROLE_LINE)) found = m[1];
  return found;
}

/** All tool_result blocks of a request, in order. */
export function toolResultBlocks(body: MessagesRequest | undefined): ContentBlock[] {
  const out: ContentBlock[] = [];
  for (const m of body?.messages ?? []) {
    if (m.role !== "user" || typeof m.content === "string") continue;
    for (const b of m.content ?? []) if (b.type === "tool_result") out.push(b);
  }
  return out;
}

interface Issued {
  name: string;
  call: ToolResult["call"];
}

interface KeyState {
  turns: ClaudeTurn[];
  cursor: number;
  pending: Map<string, Issued>;
  issued: Map<string, Issued>;
  seen: Set<string>;
  toolSeq: number;
  usage: Required<AnthropicUsageSpec>;
}

export async function startAnthropicServer(script: ClaudeScript = {}, options: AnthropicServerOptions = {}): Promise<AnthropicServer> {
  const keyOf = options.keyOf ?? roleKeyOf;
  const defaultUsage = options.defaultUsage ?? DEFAULT_ANTHROPIC_USAGE;
  const states = new Map<string, KeyState>();
  const requests: RecordedRequest[] = [];
  const violations: string[] = [];
  const toolResults = new Map<string, ToolResult>();
  const sockets = new Set<Socket>();
  const stalled = new Set<ServerResponse>();
  let seq = 0;
  let msgSeq = 0;
  let closing = false;

  const setScript = (key: string, turns: ClaudeTurn[]) => {
    const prev = states.get(key);
    states.set(key, {
      turns,
      cursor: 0,
      pending: prev?.pending ?? new Map(),
      issued: prev?.issued ?? new Map(),
      seen: prev?.seen ?? new Set(),
      toolSeq: prev?.toolSeq ?? 0,
      usage: prev?.usage ?? { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
    });
  };
  for (const [key, turns] of Object.entries(script)) setScript(key, turns);

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      try {
        handle(req, res, Buffer.concat(chunks).toString("utf8"));
      } catch (error) {
        violations.push(`anthropic server error: ${(error as Error).stack ?? error}`);
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ type: "error", error: { type: "api_error", message: "anthropic server error" } }));
      }
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.keepAliveTimeout = 1000;

  function handle(req: IncomingMessage, res: ServerResponse, raw: string) {
    const url = req.url ?? "/";
    const path = url.split("?")[0]!;
    const rec: RecordedRequest = { seq: ++seq, method: req.method ?? "", path, url, headers: { ...req.headers } };
    requests.push(rec);
    if (req.method === "GET" && path === "/v1/models") {
      rec.outcome = "completed";
      return json(res, 200, { data: [], has_more: false, first_id: null, last_id: null });
    }
    if (req.method === "POST" && path === "/v1/messages/count_tokens") {
      rec.outcome = "completed";
      return json(res, 200, { input_tokens: Math.max(1, Math.ceil(raw.length / 4)) });
    }
    if (req.method !== "POST" || path !== "/v1/messages") {
      violations.push(`unexpected request ${req.method} ${url}`);
      return httpError(rec, res, 404, "not_found_error", `no route for ${req.method} ${path}`);
    }
    let body: MessagesRequest;
    try {
      body = JSON.parse(raw) as MessagesRequest;
    } catch {
      violations.push(`request ${rec.seq}: body is not JSON`);
      return httpError(rec, res, 400, "invalid_request_error", "body is not JSON");
    }
    rec.body = body;
    rec.stream = body.stream === true;
    const key = keyOf(body);
    rec.key = key;
    const state = key === undefined ? undefined : states.get(key);
    if (!key || !state) {
      violations.push(`request ${rec.seq}: no script for key ${JSON.stringify(key)}`);
      return httpError(rec, res, 500, "api_error", `anthropic server: no script for ${JSON.stringify(key)}`);
    }
    checkToolResults(key, state, body, rec);
    if (state.cursor >= state.turns.length) {
      violations.push(`request ${rec.seq}: script for ${key} is exhausted after ${state.turns.length} turns`);
      return httpError(rec, res, 500, "api_error", `anthropic server: script for ${key} is exhausted`);
    }
    rec.turn = state.cursor;
    play(key, state, body, state.turns[state.cursor++]!, rec, res);
  }

  function checkToolResults(key: string, state: KeyState, body: MessagesRequest, rec: RecordedRequest) {
    const results = new Map<string, ContentBlock>();
    for (const b of toolResultBlocks(body)) if (typeof b.tool_use_id === "string") results.set(b.tool_use_id, b);
    for (const [id, block] of results) {
      const issued = state.issued.get(id);
      if (!issued) {
        violations.push(`request ${rec.seq} (${key}): tool_result for ${id}, which the model never asked for`);
        continue;
      }
      if (!state.seen.has(id)) {
        state.seen.add(id);
        toolResults.set(id, { key, id, name: issued.name, call: issued.call, output: resultText(block.content), isError: block.is_error === true });
      }
    }
    for (const [id, call] of state.pending) {
      if (!results.has(id)) violations.push(`request ${rec.seq} (${key}): no tool_result for ${call.name} ${id}`);
    }
    state.pending.clear();
  }

  function toolBlocks(key: string, state: KeyState, body: MessagesRequest, calls: Array<ClaudeToolSpec | { structured: Record<string, unknown> }>, rec: RecordedRequest) {
    return calls.map((call) => {
      const id = ("id" in call && typeof call.id === "string" ? call.id : undefined) ?? `toolu_${key}_${++state.toolSeq}`;
      let name: string;
      let input: Record<string, unknown>;
      if ("bash" in call) {
        name = "Bash";
        input = { command: call.bash, description: call.description ?? "Run a command" };
        if (call.timeout !== undefined) input.timeout = call.timeout;
      } else if ("edit" in call) {
        name = "Edit";
        input = { ...call.edit };
      } else if ("write" in call) {
        name = "Write";
        input = { ...call.write };
      } else if ("structured" in call) {
        name = STRUCTURED_OUTPUT_TOOL;
        input = call.structured;
      } else {
        name = call.tool;
        input = call.input;
      }
      if (!(body.tools ?? []).some((t) => t.name === name)) {
        violations.push(`request ${rec.seq} (${key}): the script calls tool ${name}, which claude did not offer`);
      }
      const entry: Issued = { name, call };
      state.issued.set(id, entry);
      return { id, name, input, entry };
    });
  }

  function send(res: ServerResponse, type: string, data: Record<string, unknown>) {
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  }

  function play(key: string, state: KeyState, body: MessagesRequest, turn: ClaudeTurn, rec: RecordedRequest, res: ServerResponse) {
    const id = `msg_mock_${++msgSeq}`;
    res.on("close", () => {
      stalled.delete(res);
      if (!res.writableFinished && rec.outcome !== "cut") rec.outcome = "aborted";
    });
    if ("http" in turn) {
      const type = turn.errorType ?? Object.entries(ERROR_STATUS).find(([, status]) => status === turn.http)?.[0] ?? (turn.http >= 500 ? "api_error" : "invalid_request_error");
      return httpError(rec, res, turn.http, type, turn.message ?? "scripted failure");
    }
    const usage = ("usage" in turn && turn.usage) || defaultUsage;
    const startUsage = { input_tokens: usage.input_tokens, cache_read_input_tokens: usage.cache_read_input_tokens ?? 0, cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0 };
    const thinking = "thinking" in turn && turn.thinking !== undefined ? [{ type: "thinking", thinking: turn.thinking, signature: "c2lnbmF0dXJl" }] : [];

    if (!rec.stream) {
      // The non-streaming fallback: the whole message as JSON (a stall or cut hangs up the same way).
      if ("stall" in turn) {
        rec.outcome = "stall";
        stalled.add(res);
        return;
      }
      if ("sseError" in turn) {
        const type = turn.errorType ?? "overloaded_error";
        return httpError(rec, res, ERROR_STATUS[type] ?? 500, type, turn.sseError);
      }
      if ("cut" in turn) {
        rec.outcome = "cut";
        res.socket?.destroy();
        return;
      }
      const { blocks, stopReason } = finalBlocks(key, state, body, turn, rec);
      countUsage(state, usage);
      rec.outcome = "completed";
      return json(res, 200, {
        id, type: "message", role: "assistant", model: body.model, content: [...thinking, ...blocks], stop_reason: stopReason, stop_sequence: null,
        usage: { ...startUsage, output_tokens: usage.output_tokens },
      });
    }

    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive", "request-id": `req_mock_${rec.seq}` });
    send(res, "message_start", {
      message: { id, type: "message", role: "assistant", model: body.model, content: [], stop_reason: null, stop_sequence: null, usage: { ...startUsage, output_tokens: 1 } },
    });
    let index = 0;
    const streamBlock = (block: Record<string, unknown>, complete = true) => {
      if (block.type === "text") {
        const text = String(block.text);
        const chunks = Number(block.chunks ?? 3);
        send(res, "content_block_start", { index, content_block: { type: "text", text: "" } });
        const n = Math.max(1, Math.min(chunks, text.length || 1));
        const size = Math.max(1, Math.ceil(text.length / n));
        for (let i = 0; i < text.length; i += size) send(res, "content_block_delta", { index, delta: { type: "text_delta", text: text.slice(i, i + size) } });
      } else if (block.type === "thinking") {
        send(res, "content_block_start", { index, content_block: { type: "thinking", thinking: "", signature: "" } });
        send(res, "content_block_delta", { index, delta: { type: "thinking_delta", thinking: block.thinking } });
        send(res, "content_block_delta", { index, delta: { type: "signature_delta", signature: block.signature } });
      } else {
        send(res, "content_block_start", { index, content_block: { type: "tool_use", id: block.id, name: block.name, input: {} } });
        const jsonText = JSON.stringify(block.input);
        const half = Math.ceil(jsonText.length / 2);
        send(res, "content_block_delta", { index, delta: { type: "input_json_delta", partial_json: jsonText.slice(0, complete ? half : Math.min(half, 5)) } });
        if (complete) send(res, "content_block_delta", { index, delta: { type: "input_json_delta", partial_json: jsonText.slice(half) } });
      }
      if (!complete) return;
      send(res, "content_block_stop", { index });
      index++;
    };
    for (const b of thinking) streamBlock(b);

    if ("stall" in turn) {
      rec.outcome = "stall";
      stalled.add(res);
      return;
    }
    if ("sseError" in turn) {
      if (turn.partial !== undefined) streamBlock({ type: "text", text: turn.partial, chunks: 1 });
      send(res, "error", { error: { type: turn.errorType ?? "overloaded_error", message: turn.sseError } });
      rec.outcome = "sse_error";
      res.end();
      return;
    }
    if ("cut" in turn) {
      if (turn.partial !== undefined) streamBlock({ type: "text", text: turn.partial, chunks: 1 }, false);
      else if (turn.tools?.length) {
        // A tool_use whose input JSON is cut off: never complete, so never pending.
        const [t] = toolBlocks(key, state, body, turn.tools.slice(0, 1), rec);
        streamBlock({ type: "tool_use", id: t!.id, name: t!.name, input: t!.input }, false);
      }
      rec.outcome = "cut";
      // Flush what was written, then hang up mid-body: no message_stop, no final chunk.
      res.socket?.end();
      return;
    }

    const { blocks, stopReason } = finalBlocks(key, state, body, turn, rec);
    for (const b of blocks) streamBlock(b);
    countUsage(state, usage);
    send(res, "message_delta", { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { ...startUsage, output_tokens: usage.output_tokens } });
    send(res, "message_stop", {});
    rec.outcome = "completed";
    res.end();
  }

  /** The content blocks of a turn that completes (text, or tool_use blocks made pending). */
  function finalBlocks(key: string, state: KeyState, body: MessagesRequest, turn: CompletingTurn, rec: RecordedRequest) {
    const blocks: Array<Record<string, unknown>> = [];
    if ("tools" in turn || "structured" in turn) {
      if (turn.text !== undefined) blocks.push({ type: "text", text: turn.text, chunks: 1 });
      const calls = "tools" in turn ? turn.tools : [{ structured: turn.structured }];
      for (const t of toolBlocks(key, state, body, calls, rec)) {
        blocks.push({ type: "tool_use", id: t.id, name: t.name, input: t.input });
        state.pending.set(t.id, t.entry);
      }
      return { blocks, stopReason: "tool_use" };
    }
    if ("text" in turn) {
      blocks.push({ type: "text", text: typeof turn.text === "string" ? turn.text : JSON.stringify(turn.text), chunks: turn.chunks });
    }
    return { blocks, stopReason: "end_turn" };
  }

  function countUsage(state: KeyState, usage: AnthropicUsageSpec) {
    state.usage.input_tokens += usage.input_tokens;
    state.usage.output_tokens += usage.output_tokens;
    state.usage.cache_read_input_tokens += usage.cache_read_input_tokens ?? 0;
    state.usage.cache_creation_input_tokens += usage.cache_creation_input_tokens ?? 0;
  }

  function json(res: ServerResponse, status: number, value: unknown) {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(value));
  }

  function httpError(rec: RecordedRequest, res: ServerResponse, status: number, type: string, message: string) {
    rec.outcome = "http";
    res.writeHead(status, { "content-type": "application/json", "request-id": `req_mock_${rec.seq}` });
    res.end(JSON.stringify({ type: "error", error: { type, message }, request_id: `req_mock_${rec.seq}` }));
  }

  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    requests,
    violations,
    toolResults,
    setScript,
    requestsFor: (key) => requests.filter((r) => r.key === key && r.path === "/v1/messages"),
    usageSent: (key) => ({ ...(states.get(key)?.usage ?? { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 }) }),
    waitForRequest: (pred, what, timeoutMs = 30_000) => waitFor(() => requests.find(pred), what, timeoutMs),
    async close() {
      if (closing) return;
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const res of stalled) res.destroy();
      stalled.clear();
      server.closeIdleConnections?.();
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

/** A tool_result's content as text: a string, or the text blocks of an array. */
export function resultText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content.map((p) => (p && typeof p === "object" && typeof (p as { text?: unknown }).text === "string" ? (p as { text: string }).text : "")).join("");
  }
  return content === undefined ? "" : JSON.stringify(content);
}
