/**
 * server/agents/claude/events.mjs on stream-json lines recorded from the real claude 2.1.328
 * (test/fixtures/claude/*.jsonl, made by test/fixtures/claude/record.ts), and on malformed and
 * hostile lines.
 */
import { describe, expect, it } from "vitest";
import { parseCodexLine as parseAgentLine } from "../../server/agents/codex/events";
import {
  CLAUDE_ACTIVITY_LIMITS, createClaudeParseState, parseClaudeLine, parseClaudeLineItems,
} from "../../server/agents/claude/events.mjs";
import { resultUsage } from "../../server/agents/claude/usage.mjs";
import type { ActivityItem } from "../../server/agents/types";
import { RESULT, readFixture } from "../fixtures/claude/record";
import { PINNED_CLAUDE_VERSION } from "../support/claude-env";

/** Every item of a recorded fixture, parsed in order with one state (as the supervisor will). */
function itemsOf(name: string) {
  const { lines, meta } = readFixture(name);
  expect(meta.claudeVersion, `${name} was recorded with another claude; re-record it (npx tsx test/fixtures/claude/record.ts)`).toBe(PINNED_CLAUDE_VERSION);
  const state = createClaudeParseState();
  const items: ActivityItem[] = [];
  let threadId: string | undefined;
  let usage: unknown;
  for (const line of lines) {
    const p = parseClaudeLineItems(line, state);
    items.push(...p.items);
    if (p.threadId) threadId = p.threadId;
    if (p.usage) usage = p.usage;
  }
  return { items, threadId, usage, lines, state };
}

const kinds = (items: ActivityItem[]) => items.map((i) => i.kind);

describe("parseClaudeLine on recorded claude output", () => {
  it("structured-result: session, the command started and completed with its exit code, messages, usage; never the thinking", () => {
    const { items, threadId, usage, lines } = itemsOf("structured-result");
    expect(lines.some((l) => l.includes("hidden plan: never stored")), "the fixture has a thinking block").toBe(true);
    expect(JSON.stringify(items)).not.toContain("hidden plan");
    expect(kinds(items)).toEqual(["thread", "command", "command", "message", "message", "usage"]);
    expect(items[0]).toMatchObject({ text: `Session ${threadId} started`, data: { threadId, model: "claude-sonnet-4-5" } });
    expect(threadId).toMatch(/^[0-9a-f-]{36}$/);
    const [started, done] = [items[1]!, items[2]!];
    expect(started.data).toMatchObject({ phase: "started", exitCode: null, status: "in_progress", command: "printf 'four\\n' >> src/app.txt && wc -l src/app.txt" });
    expect(done.data).toMatchObject({ id: started.data!.id, phase: "completed", exitCode: 0, status: "completed", output: "4 src/app.txt" });
    expect(done.text).toBe("$ printf 'four\\n' >> src/app.txt && wc -l src/app.txt → exit 0");
    expect(items[3]).toMatchObject({ kind: "message", text: "Done. Reporting." });
    // The StructuredOutput call becomes the final message, as codex's last message does.
    expect(JSON.parse(items[4]!.text)).toEqual(RESULT);
    expect(items[4]!.data).toMatchObject({ structured: true });
    // 2 requests of 100 in + 5 cache-creation + 10 cache-read, 20 out; claude prices sonnet-4-5 itself.
    expect(usage).toEqual({ inputTokens: 230, cachedInputTokens: 20, outputTokens: 40, costUsd: 0.0012435 });
    expect(items[5]!.text).toBe("Turn completed: 230 in (20 cached), 40 out, $0.0012");
  });

  it("tools: file changes (add/update), failed and denied tools, the plan, reads as tool rows", () => {
    const { items } = itemsOf("tools");
    const byKind = (k: string) => items.filter((i) => i.kind === k);
    expect(byKind("tool").map((i) => i.text)).toEqual(["Read: src/app.txt", "Glob: **/*.txt", "Grep: two"]);
    expect(byKind("file_change").map((i) => i.data)).toEqual([
      { id: "toolu_rec_2", changes: [{ path: "notes.md", kind: "add" }], status: "completed" },
      { id: "toolu_rec_5", changes: [{ path: "src/app.txt", kind: "update" }], status: "completed" },
    ]);
    const completed = byKind("command").filter((i) => i.data?.phase === "completed");
    expect(completed.map((i) => [i.data?.command, i.data?.exitCode, i.data?.status, i.data?.output])).toEqual([
      ["echo out; echo err >&2; exit 3", 3, "failed", "out\nerr"],
      ["true", 0, "completed", ""],
    ]);
    expect(byKind("todo").map((i) => i.text)).toEqual(["Task #1 added: Check the file", "Task #1: pending → completed", "Plan: 1/1 done"]);
    expect(byKind("todo")[2]!.data).toMatchObject({ items: [{ text: "Check the file", completed: true }] });
    const errors = byKind("error").map((i) => i.text);
    expect(errors[0]).toBe("Write /etc/longtable-denied.txt denied: Claude requested permissions to write to /etc/longtable-denied.txt, but you haven't granted it yet. Path is outside allowed working directories");
    expect(errors[1]).toBe("Edit README.md failed: File has not been read yet. Read it first before writing to it.");
    expect(errors).toHaveLength(2);
    expect(items.at(-1)!.kind).toBe("usage");
  });

  it("text-result: claude's structured-output nudge is an `other` row; both text answers are messages", () => {
    const { items } = itemsOf("text-result");
    expect(kinds(items)).toEqual(["thread", "message", "other", "message", "usage"]);
    expect(items[2]!.text).toMatch(/^\[structured-output-enforce\]/);
  });

  it("schema-exhausted: each rejected result is an error row; the turn fails", () => {
    const { items } = itemsOf("schema-exhausted");
    expect(items.filter((i) => i.text.startsWith("Result rejected: Output does not match required schema"))).toHaveLength(5);
    expect(items.at(-1)).toMatchObject({ kind: "error", data: { subtype: "error_max_structured_output_retries" } });
    expect(items.at(-1)!.text).toMatch(/^Turn failed: Failed to provide valid structured output after 5 attempts/);
  });

  it.each([
    ["api-error-500", 500, /^API Error: 500 scripted internal error/],
    ["api-error-401", 401, /^Invalid API key/],
  ])("%s: the API error and the failed turn are error rows", (name, status, text) => {
    const { items, usage } = itemsOf(name);
    expect(kinds(items)).toEqual(["thread", "error", "error"]);
    expect(items[1]).toMatchObject({ data: { status } });
    expect(items[1]!.text).toMatch(text);
    expect(items[2]!.text).toMatch(/^Turn failed: /);
    expect(usage).toEqual({ inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, costUsd: 0 });
  });

  it("not-logged-in, cut-stream: error rows with claude's own words", () => {
    expect(itemsOf("not-logged-in").items[1]!.text).toBe("Not logged in · Please run /login");
    expect(itemsOf("cut-stream").items[1]!.text).toMatch(/Connection dropped \(ECONNRESET\)/);
  });

  it("retry-then-ok, sse-error-recovered: retries and resumptions are `other` rows, then the result", () => {
    const retry = itemsOf("retry-then-ok").items;
    expect(retry[1]).toEqual({ kind: "other", text: "API error 529 (overloaded); retry 1/2 in 0.5 s" });
    expect(retry.at(-1)!.kind).toBe("usage");
    const sse = itemsOf("sse-error-recovered").items;
    expect(kinds(sse)).toEqual(["thread", "message", "other", "message", "usage"]);
    expect(sse[2]!.text).toMatch(/cut off mid-stream/);
  });

  it("killed-sigterm leaves only the session row; interrupted-sigint ends in a failed turn", () => {
    expect(kinds(itemsOf("killed-sigterm").items)).toEqual(["thread"]);
    const int = itemsOf("interrupted-sigint").items;
    expect(kinds(int)).toEqual(["thread", "other", "error"]);
    expect(int[1]!.text).toBe("[Request interrupted by user]");
  });

  it("followup: the resumed turn keeps the session id, and usage is the session's running total", () => {
    const first = itemsOf("followup");
    const second = itemsOf("followup.followup");
    expect(second.threadId).toBe(first.threadId);
    const u1 = first.usage as { inputTokens: number; outputTokens: number; costUsd: number };
    const u2 = second.usage as { inputTokens: number; outputTokens: number; costUsd: number };
    expect(u2.inputTokens).toBe(2 * u1.inputTokens);
    expect(u2.outputTokens).toBe(2 * u1.outputTokens);
    expect(u2.costUsd).toBeCloseTo(2 * u1.costUsd, 10);
    // …and the turn's own share is in data.turn.
    expect(second.items.at(-1)!.data).toMatchObject({ turn: { inputTokens: u1.inputTokens, outputTokens: u1.outputTokens } });
  });

  it("without a parse state, a command result is still recognised by its shape", () => {
    const { lines } = readFixture("tools");
    const failed = lines.find((l) => l.includes('"content":"Exit code 3'))!;
    const ok = lines.find((l) => l.includes("(Bash completed with no output)"))!;
    expect(parseClaudeLine(failed).item).toMatchObject({ kind: "command", text: "$ (command) → exit 3", data: { exitCode: 3, status: "failed", command: "" } });
    expect(parseClaudeLine(ok).item).toMatchObject({ kind: "command", data: { exitCode: 0, output: "" } });
    const write = lines.find((l) => l.includes('"type":"create"') && l.includes("tool_result"))!;
    expect(parseClaudeLine(write).item).toMatchObject({ kind: "file_change", data: { changes: [{ path: "notes.md", kind: "add" }] } });
  });

  it("the usage row has codex's usage shape (plus costUsd), so the UI shows both agents alike", () => {
    const codex = parseAgentLine(JSON.stringify({ type: "turn.completed", usage: { input_tokens: 5, cached_input_tokens: 1, output_tokens: 2 } }));
    const { items } = itemsOf("structured-result");
    const claude = items.at(-1)!;
    expect(claude.kind).toBe(codex.item!.kind);
    for (const key of Object.keys(codex.usage!)) expect(typeof (claude.data as Record<string, unknown>)[key]).toBe("number");
    expect(claude.text.startsWith("Turn completed: ")).toBe(codex.item!.text.startsWith("Turn completed: "));
  });
});

describe("parseClaudeLine on malformed and hostile input", () => {
  it("never throws, and keeps at most a short `other` row", () => {
    const inputs = [
      "", "   ", "not json", "[1,2]", "null", "42", '"str"', "{", '{"type":"assistant"}', '{"type":"assistant","message":null}',
      '{"type":"assistant","message":{"content":"str"}}', '{"type":"user","message":{"content":[null,1,"x",{"type":"tool_result"}]}}',
      '{"type":"result"}', '{"type":"result","usage":"x","modelUsage":[1],"total_cost_usd":-5}', '{"type":"system","subtype":"init","session_id":"--resume"}',
      '{"type":"system","subtype":"init","session_id":{"toString":1}}', '{"type":"unknown-type"}', '{"__proto__":{"polluted":1},"type":"result"}',
      `${"[".repeat(100_000)}`, "\u0000\u0001garbage",
    ];
    for (const line of inputs) {
      const p = parseClaudeLine(line, createClaudeParseState());
      if (p.item) expect(p.item.text.length).toBeLessThanOrEqual(CLAUDE_ACTIVITY_LIMITS.maxText + 1);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(parseClaudeLine("not json").item).toEqual({ kind: "other", text: "not json" });
    expect(parseClaudeLine("").item).toBeUndefined();
    expect(parseClaudeLine('{"type":"result"}').item).toMatchObject({ kind: "usage", data: { inputTokens: 0, outputTokens: 0 } });
    expect(parseClaudeLine('{"type":"result","total_cost_usd":-5}').usage?.costUsd).toBeUndefined();
  });

  it("refuses a session id that is not a UUID (it would become a --resume argument)", () => {
    for (const id of ["--dangerously-skip-permissions", "-x", "../../etc", "abc", "11111111-2222-4333-8444-555555555555\n--x"]) {
      const p = parseClaudeLine(JSON.stringify({ type: "system", subtype: "init", session_id: id }));
      expect(p.threadId).toBeUndefined();
      expect(p.item).toBeUndefined();
      expect(parseClaudeLine(JSON.stringify({ type: "result", subtype: "success", session_id: id })).threadId).toBeUndefined();
    }
  });

  it("clips huge strings and skips a giant line", () => {
    const big = "x".repeat(100_000);
    const cmd = parseClaudeLine(JSON.stringify({ type: "assistant", message: { content: [{ type: "tool_use", id: "t1", name: "Bash", input: { command: big } }] } })).item!;
    expect((cmd.data!.command as string).length).toBeLessThanOrEqual(CLAUDE_ACTIVITY_LIMITS.maxCommand + 1);
    const out = parseClaudeLine(JSON.stringify({ type: "user", message: { content: [{ type: "tool_result", tool_use_id: "t1", content: big }] }, tool_use_result: { stdout: big, stderr: "", interrupted: false } })).item!;
    expect((out.data!.output as string).length).toBeLessThanOrEqual(CLAUDE_ACTIVITY_LIMITS.maxOutput + 1);
    const msg = parseClaudeLine(JSON.stringify({ type: "assistant", message: { content: [{ type: "text", text: big }] } })).item!;
    expect(msg.text.length).toBe(CLAUDE_ACTIVITY_LIMITS.maxText + 1);
    expect(msg.text.endsWith("…")).toBe(true);
    // A surrogate pair is never split by the clip.
    const emoji = parseClaudeLine(JSON.stringify({ type: "assistant", message: { content: [{ type: "text", text: `${"a".repeat(CLAUDE_ACTIVITY_LIMITS.maxText - 1)}😀😀` }] } })).item!;
    expect(emoji.text).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    const giant = parseClaudeLine(`{"type":"assistant","x":"${"y".repeat(CLAUDE_ACTIVITY_LIMITS.maxLineChars)}"}`).item!;
    expect(giant.kind).toBe("other");
    expect(giant.text).toMatch(/was skipped/);
  });

  it("drops thinking and redacted thinking in any position, and thinking-token lines", () => {
    const line = JSON.stringify({ type: "assistant", message: { id: "m", content: [{ type: "thinking", thinking: "SECRET-1" }, { type: "redacted_thinking", data: "SECRET-2" }, { type: "text", text: "visible" }] } });
    const p = parseClaudeLineItems(line);
    expect(p.items).toEqual([{ kind: "message", text: "visible", data: { id: "m" } }]);
    expect(parseClaudeLineItems(JSON.stringify({ type: "system", subtype: "thinking_tokens", estimated_tokens: 3 })).items).toEqual([]);
  });

  it("TodoWrite (the older plan tool) gives the whole plan, like codex's todo list", () => {
    const line = JSON.stringify({ type: "assistant", message: { content: [{ type: "tool_use", id: "t9", name: "TodoWrite", input: { todos: [{ content: "read", status: "completed" }, { content: "fix", status: "in_progress" }, "junk"] } }] } });
    expect(parseClaudeLine(line).item).toEqual({ kind: "todo", text: "Plan: 1/2 done", data: { id: "t9", items: [{ text: "read", completed: true }, { text: "fix", completed: false }] } });
  });

  it("a parse state forgets the oldest tool uses beyond its bound", () => {
    const state = createClaudeParseState();
    for (let i = 0; i < CLAUDE_ACTIVITY_LIMITS.maxRemembered + 10; i++) {
      parseClaudeLine(JSON.stringify({ type: "assistant", message: { content: [{ type: "tool_use", id: `t${i}`, name: "Bash", input: { command: `c${i}` } }] } }), state);
    }
    expect(state.tools.size).toBe(CLAUDE_ACTIVITY_LIMITS.maxRemembered);
    expect(state.tools.has("t0")).toBe(false);
  });

  it("resultUsage caps the models it sums and ignores negative or non-numeric figures", () => {
    const modelUsage: Record<string, unknown> = {};
    for (let i = 0; i < 1000; i++) modelUsage[`m${i}`] = { inputTokens: 1, outputTokens: 1, costUSD: 1 };
    const { session } = resultUsage({ modelUsage, total_cost_usd: 3 });
    expect(session.inputTokens).toBe(50);
    expect(session.costUsd).toBe(3);
    const odd = resultUsage({ modelUsage: { a: { inputTokens: -5, outputTokens: "7", cacheReadInputTokens: Number.NaN } }, total_cost_usd: "1" });
    expect(odd.session).toEqual({ inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 });
  });
});
