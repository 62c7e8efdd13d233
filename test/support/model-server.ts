/**
 * A scripted stand-in for the OpenAI Responses API, for running the real codex binary offline
 * (DESIGN §8 "Real agent"). Binds 127.0.0.1 on a free port.
 *
 *   POST /v1/responses  → SSE: response.created, response.output_item.added / .done,
 *                          response.output_text.delta, response.completed (with usage) — or
 *                          response.failed, an HTTP error, a cut stream, a stall.
 *   GET  /v1/models     → an empty list (harmless; codex 0.169.0 does not ask for it with a known model slug).
 *
 * The script is keyed per worker: `keyOf(request)` (default: the role id from the line
 * `Role: <label> (<role>)` of task.md, found in the request's user messages, which a resumed
 * thread carries in its history too). Each key has a list of turns; every POST for that key plays
 * the next turn:
 *
 *   { tools: [{ exec: "cmd", login?: false, workdir? }, { patch: "*** Begin Patch…" }, { fn: "name", args }] }
 *        one response with these tool calls (exec_command function calls, apply_patch custom-tool calls)
 *   { message: {...} | "text" }   the final assistant message (objects are JSON-stringified), streamed as deltas
 *   { fail: "message" }           response.failed
 *   { http: 500 }                 an HTTP error status with a JSON error body
 *   { cut: true, partial?, tools? } response.created (+ tool calls / a partial message), then the socket is destroyed
 *   { stall: true }               response.created, then nothing until codex hangs up or the server closes
 *
 * Every request is recorded (`requests`), with its key and turn. The server checks the protocol
 * codex speaks and records each problem in `violations` (tests assert it stays empty): every tool
 * call of the previous response must come back as a function_call_output / custom_tool_call_output
 * with the same call_id, no output may name a call that was never made, a tool must be offered in
 * the request's `tools` before the script uses it, and no request may arrive for an unknown key or
 * after a key's script is exhausted. Tool outputs are kept per call (`toolOutputs`).
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { waitFor } from "./wait";

export type ToolCallSpec =
  /** exec_command (a function tool): codex runs `cmd` in a shell inside its sandbox. login:false skips the login profile. */
  | { exec: string; login?: boolean; workdir?: string; callId?: string }
  /** apply_patch, a freeform (custom) tool in codex 0.169.0: the patch text is the raw tool input. */
  | { patch: string; callId?: string }
  /** any other function tool codex offers, with JSON arguments. */
  | { fn: string; args: unknown; callId?: string };

export interface UsageSpec {
  input_tokens: number;
  cached_input_tokens?: number;
  output_tokens: number;
  reasoning_output_tokens?: number;
}

export type ModelTurn =
  | { tools: ToolCallSpec[]; usage?: UsageSpec }
  | { message: unknown; usage?: UsageSpec; chunks?: number }
  | { fail: string; code?: string }
  | { http: number; message?: string }
  | { cut: true; partial?: string; tools?: ToolCallSpec[] }
  | { stall: true };

export type ModelScript = Record<string, ModelTurn[]>;

export interface RecordedRequest {
  seq: number;
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body (POST /v1/responses), else undefined. */
  body?: ResponsesRequest;
  key?: string;
  /** Index of the turn played for this request in its key's script. */
  turn?: number;
  /** What happened to the response: "completed" | "failed" | "http" | "cut" | "stall" | "aborted" | "error". */
  outcome?: string;
}

/** The parts of a Responses API request that tests look at. */
export interface ResponsesRequest {
  model: string;
  stream?: boolean;
  input: InputItem[];
  tools?: Array<{ type: string; name?: string; format?: unknown; parameters?: unknown; [k: string]: unknown }>;
  text?: { format?: { type: string; name?: string; strict?: boolean; schema?: unknown }; [k: string]: unknown };
  [k: string]: unknown;
}

export type InputItem = {
  type: string;
  role?: string;
  content?: Array<{ type: string; text?: string }>;
  call_id?: string;
  name?: string;
  output?: unknown;
  [k: string]: unknown;
};

export interface ToolOutput {
  key: string;
  callId: string;
  name: string;
  kind: "function" | "custom";
  /** The call as the model made it: the exec command or the patch text. */
  call: ToolCallSpec;
  /** codex's output text for it (e.g. "Process exited with code 3\n…" or "Success. Updated the following files: …"). */
  output: string;
}

export interface ModelServerOptions {
  /** Which script a request plays (default: role id from the task's `Role: <label> (<role>)` line). */
  keyOf?: (body: ResponsesRequest) => string | undefined;
  /** Usage reported by response.completed when a turn gives none. */
  defaultUsage?: UsageSpec;
}

export interface ModelServer {
  /** `http://127.0.0.1:<port>/v1` — the provider base_url. */
  readonly baseUrl: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  readonly violations: string[];
  /** Tool outputs codex sent back, by call id. */
  readonly toolOutputs: Map<string, ToolOutput>;
  /** Replace or add a key's script (turns already played are not replayed; the cursor restarts at 0). */
  setScript(key: string, turns: ModelTurn[]): void;
  /** Requests for a key (POST /v1/responses only). */
  requestsFor(key: string): RecordedRequest[];
  /** Sum of the usage the server reported in completed responses for a key (codex reports the thread's running total). */
  usageSent(key: string): { input_tokens: number; cached_input_tokens: number; output_tokens: number };
  /** Poll until a request matching `pred` has been recorded. */
  waitForRequest(pred: (r: RecordedRequest) => boolean, what: string, timeoutMs?: number): Promise<RecordedRequest>;
  /** Stops listening, ends stalled streams and open sockets; resolves when the server is closed. */
  close(): Promise<void>;
}

export const DEFAULT_USAGE: UsageSpec = { input_tokens: 100, cached_input_tokens: 10, output_tokens: 20, reasoning_output_tokens: 0 };

const ROLE_LINE = /^Role: .*\(([a-z][a-z0-9_]*)\)\s*$/gm;

/** The role id of the last `Role: <label> (<role>)` line in the request's user messages. */
export function roleKeyOf(body: ResponsesRequest): string | undefined {
  let found: string | undefined;
  for (const item of body.input ?? []) {
    if (item.type !== "message" || item.role !== "user") continue;
    for (const part of item.content ?? []) {
      if (typeof part.text !== "string") continue;
      for (const m of part.text.matchAll(ROLE_LINE)) found = m[1];
    }
  }
  return found;
}

/** Text of the user messages of a request, in order (the task, a follow-up message, …). */
export function userTexts(body: ResponsesRequest | undefined): string[] {
  const out: string[] = [];
  for (const item of body?.input ?? []) {
    if (item.type !== "message" || item.role !== "user") continue;
    out.push((item.content ?? []).map((p) => (typeof p.text === "string" ? p.text : "")).join(""));
  }
  return out;
}

interface KeyState {
  turns: ModelTurn[];
  cursor: number;
  /** Calls of the last response, still waiting for their output. */
  pending: Map<string, { name: string; kind: "function" | "custom"; call: ToolCallSpec }>;
  /** Every call made for this key. */
  issued: Map<string, { name: string; kind: "function" | "custom"; call: ToolCallSpec }>;
  seenOutputs: Set<string>;
  callSeq: number;
  usage: { input_tokens: number; cached_input_tokens: number; output_tokens: number };
}

export async function startModelServer(script: ModelScript = {}, options: ModelServerOptions = {}): Promise<ModelServer> {
  const keyOf = options.keyOf ?? roleKeyOf;
  const defaultUsage = options.defaultUsage ?? DEFAULT_USAGE;
  const states = new Map<string, KeyState>();
  const requests: RecordedRequest[] = [];
  const violations: string[] = [];
  const toolOutputs = new Map<string, ToolOutput>();
  const sockets = new Set<Socket>();
  const stalled = new Set<ServerResponse>();
  let seq = 0;
  let respSeq = 0;
  let closing = false;

  const stateFor = (key: string): KeyState | undefined => states.get(key);
  const setScript = (key: string, turns: ModelTurn[]) => {
    const prev = states.get(key);
    states.set(key, {
      turns,
      cursor: 0,
      pending: prev?.pending ?? new Map(),
      issued: prev?.issued ?? new Map(),
      seenOutputs: prev?.seenOutputs ?? new Set(),
      callSeq: prev?.callSeq ?? 0,
      usage: prev?.usage ?? { input_tokens: 0, cached_input_tokens: 0, output_tokens: 0 },
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
        violations.push(`model server error: ${(error as Error).stack ?? error}`);
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: "model server error", type: "server_error" } }));
      }
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  // Codex keeps HTTP connections alive; do not let idle ones hold close() up.
  server.keepAliveTimeout = 1000;

  function handle(req: IncomingMessage, res: ServerResponse, raw: string) {
    const path = (req.url ?? "/").split("?")[0]!;
    const rec: RecordedRequest = { seq: ++seq, method: req.method ?? "", path, headers: { ...req.headers } };
    requests.push(rec);
    if (req.method === "GET" && path === "/v1/models") {
      rec.outcome = "completed";
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ object: "list", data: [], models: [] }));
      return;
    }
    if (req.method !== "POST" || path !== "/v1/responses") {
      violations.push(`unexpected request ${req.method} ${req.url}`);
      rec.outcome = "http";
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: `no route for ${req.method} ${path}`, type: "invalid_request_error" } }));
      return;
    }
    let body: ResponsesRequest;
    try {
      body = JSON.parse(raw) as ResponsesRequest;
    } catch {
      violations.push(`request ${rec.seq}: body is not JSON`);
      rec.outcome = "http";
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "body is not JSON", type: "invalid_request_error" } }));
      return;
    }
    rec.body = body;
    const key = keyOf(body);
    rec.key = key;
    const state = key === undefined ? undefined : stateFor(key);
    if (!key || !state) {
      violations.push(`request ${rec.seq}: no script for key ${JSON.stringify(key)}`);
      return httpError(rec, res, 500, `model server: no script for ${JSON.stringify(key)}`);
    }
    checkToolOutputs(key, state, body, rec);
    if (state.cursor >= state.turns.length) {
      violations.push(`request ${rec.seq}: script for ${key} is exhausted after ${state.turns.length} turns`);
      return httpError(rec, res, 500, `model server: script for ${key} is exhausted`);
    }
    rec.turn = state.cursor;
    const turn = state.turns[state.cursor++]!;
    play(key, state, body, turn, rec, res);
  }

  function checkToolOutputs(key: string, state: KeyState, body: ResponsesRequest, rec: RecordedRequest) {
    const outputs = new Map<string, InputItem>();
    for (const item of body.input ?? []) {
      if ((item.type === "function_call_output" || item.type === "custom_tool_call_output") && typeof item.call_id === "string") {
        outputs.set(item.call_id, item);
      }
    }
    for (const [callId, item] of outputs) {
      const issued = state.issued.get(callId);
      if (!issued) {
        violations.push(`request ${rec.seq} (${key}): output for call ${callId}, which the model never made`);
        continue;
      }
      const wantType = issued.kind === "custom" ? "custom_tool_call_output" : "function_call_output";
      if (item.type !== wantType) violations.push(`request ${rec.seq} (${key}): call ${callId} came back as ${item.type}, expected ${wantType}`);
      if (!state.seenOutputs.has(callId)) {
        state.seenOutputs.add(callId);
        toolOutputs.set(callId, { key, callId, name: issued.name, kind: issued.kind, call: issued.call, output: outputText(item.output) });
      }
    }
    for (const [callId, call] of state.pending) {
      if (!outputs.has(callId)) violations.push(`request ${rec.seq} (${key}): no output for ${call.name} call ${callId}`);
    }
    state.pending.clear();
  }

  function toolOffered(body: ResponsesRequest, name: string, type: "function" | "custom"): boolean {
    return (body.tools ?? []).some((t) => t.name === name && t.type === type);
  }

  function toolItems(key: string, state: KeyState, body: ResponsesRequest, calls: ToolCallSpec[], rec: RecordedRequest) {
    return calls.map((call) => {
      const callId = call.callId ?? `call_${key}_${++state.callSeq}`;
      let item: Record<string, unknown>;
      let name: string;
      let kind: "function" | "custom";
      if ("exec" in call) {
        name = "exec_command";
        kind = "function";
        const args: Record<string, unknown> = { cmd: call.exec };
        if (call.login !== undefined) args.login = call.login;
        if (call.workdir !== undefined) args.workdir = call.workdir;
        item = { type: "function_call", id: `fc_${callId}`, status: "completed", name, arguments: JSON.stringify(args), call_id: callId };
      } else if ("patch" in call) {
        name = "apply_patch";
        kind = "custom";
        item = { type: "custom_tool_call", id: `ctc_${callId}`, status: "completed", name, input: call.patch, call_id: callId };
      } else {
        name = call.fn;
        kind = "function";
        item = { type: "function_call", id: `fc_${callId}`, status: "completed", name, arguments: JSON.stringify(call.args), call_id: callId };
      }
      if (!toolOffered(body, name, kind)) {
        violations.push(`request ${rec.seq} (${key}): the script calls ${kind} tool ${name}, which codex did not offer`);
      }
      const entry = { name, kind, call };
      state.issued.set(callId, entry);
      return { item, callId, entry };
    });
  }

  function startStream(res: ServerResponse) {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  }

  function send(res: ServerResponse, type: string, data: Record<string, unknown>) {
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  }

  function responseObject(id: string, model: string, status: string, extra: Record<string, unknown> = {}) {
    return { id, object: "response", created_at: Math.floor(Date.now() / 1000), status, model, output: [], ...extra };
  }

  function play(key: string, state: KeyState, body: ResponsesRequest, turn: ModelTurn, rec: RecordedRequest, res: ServerResponse) {
    const id = `resp_${++respSeq}`;
    const model = body.model;
    res.on("close", () => {
      stalled.delete(res);
      if (!res.writableFinished && rec.outcome !== "cut") rec.outcome = "aborted";
    });

    if ("http" in turn) return httpError(rec, res, turn.http, turn.message ?? "scripted failure");

    startStream(res);
    send(res, "response.created", { response: responseObject(id, model, "in_progress") });
    send(res, "response.in_progress", { response: responseObject(id, model, "in_progress") });

    if ("stall" in turn) {
      rec.outcome = "stall";
      stalled.add(res);
      return;
    }
    if ("fail" in turn) {
      rec.outcome = "failed";
      send(res, "response.failed", {
        response: responseObject(id, model, "failed", { error: { code: turn.code ?? "server_error", message: turn.fail } }),
      });
      res.end();
      return;
    }

    let outputIndex = 0;
    const emitItem = (item: Record<string, unknown>) => {
      const added: Record<string, unknown> = { ...item, status: "in_progress" };
      if (item.type === "function_call") added.arguments = "";
      if (item.type === "custom_tool_call") added.input = "";
      send(res, "response.output_item.added", { output_index: outputIndex, item: added });
      send(res, "response.output_item.done", { output_index: outputIndex, item });
      outputIndex++;
    };

    if ("cut" in turn) {
      for (const { item } of toolItems(key, state, body, turn.tools ?? [], rec)) emitItem(item);
      if (turn.partial !== undefined) {
        const msgId = `msg_${id}`;
        send(res, "response.output_item.added", { output_index: outputIndex, item: { type: "message", id: msgId, role: "assistant", status: "in_progress", content: [] } });
        send(res, "response.output_text.delta", { item_id: msgId, output_index: outputIndex, content_index: 0, delta: turn.partial });
      }
      rec.outcome = "cut";
      // Flush what was written, then hang up mid-body: no response.completed, no final chunk.
      res.socket?.end();
      return;
    }

    if ("tools" in turn) {
      const made = toolItems(key, state, body, turn.tools, rec);
      for (const { item, callId, entry } of made) {
        emitItem(item);
        state.pending.set(callId, entry);
      }
    } else {
      const text = typeof turn.message === "string" ? turn.message : JSON.stringify(turn.message);
      const msgId = `msg_${id}`;
      send(res, "response.output_item.added", { output_index: 0, item: { type: "message", id: msgId, role: "assistant", status: "in_progress", content: [] } });
      send(res, "response.content_part.added", { item_id: msgId, output_index: 0, content_index: 0, part: { type: "output_text", text: "", annotations: [] } });
      const n = Math.max(1, Math.min(turn.chunks ?? 3, text.length || 1));
      const size = Math.ceil(text.length / n);
      for (let i = 0; i < text.length; i += size) {
        send(res, "response.output_text.delta", { item_id: msgId, output_index: 0, content_index: 0, delta: text.slice(i, i + size) });
      }
      send(res, "response.output_text.done", { item_id: msgId, output_index: 0, content_index: 0, text });
      send(res, "response.output_item.done", {
        output_index: 0,
        item: { type: "message", id: msgId, role: "assistant", status: "completed", content: [{ type: "output_text", text, annotations: [] }] },
      });
    }

    const u = turn.usage ?? defaultUsage;
    const cached = u.cached_input_tokens ?? 0;
    const reasoning = u.reasoning_output_tokens ?? 0;
    state.usage.input_tokens += u.input_tokens;
    state.usage.cached_input_tokens += cached;
    state.usage.output_tokens += u.output_tokens;
    send(res, "response.completed", {
      response: responseObject(id, model, "completed", {
        usage: {
          input_tokens: u.input_tokens,
          input_tokens_details: { cached_tokens: cached },
          output_tokens: u.output_tokens,
          output_tokens_details: { reasoning_tokens: reasoning },
          total_tokens: u.input_tokens + u.output_tokens,
        },
      }),
    });
    rec.outcome = "completed";
    res.end();
  }

  function httpError(rec: RecordedRequest, res: ServerResponse, status: number, message: string) {
    rec.outcome = "http";
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: { message, type: status >= 500 ? "server_error" : "invalid_request_error", code: null } }));
  }

  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    violations,
    toolOutputs,
    setScript,
    requestsFor: (key) => requests.filter((r) => r.key === key && r.path === "/v1/responses"),
    usageSent: (key) => ({ ...(states.get(key)?.usage ?? { input_tokens: 0, cached_input_tokens: 0, output_tokens: 0 }) }),
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

function outputText(output: unknown): string {
  if (typeof output === "string") return output;
  if (Array.isArray(output)) {
    return output.map((p) => (p && typeof p === "object" && typeof (p as { text?: unknown }).text === "string" ? (p as { text: string }).text : "")).join("");
  }
  if (output && typeof output === "object" && typeof (output as { content?: unknown }).content === "string") return (output as { content: string }).content;
  return JSON.stringify(output);
}
