/**
 * server/agents/claude/result.mjs: the final result of a turn from its stream-json events, on
 * output recorded from the real claude 2.1.328 (test/fixtures/claude) and on hostile input.
 */
import { describe, expect, it } from "vitest";
import { extractJsonObject, sanitizeResult } from "../../server/bridge/finish-result.mjs";
import { claudeFinalResult, simpleJsonObject } from "../../server/agents/claude/result.mjs";
import { RESULT, readFixture } from "../fixtures/claude/record";

const fixture = (name: string) => readFixture(name);

describe("claudeFinalResult on recorded claude output", () => {
  it("structured-result: the StructuredOutput object, the session id, usage and cost", () => {
    const { text, meta } = fixture("structured-result");
    expect(meta.exitCode).toBe(0);
    const r = claudeFinalResult(text);
    expect(r).toMatchObject({ ok: true, source: "structured_output", value: RESULT, costUsd: 0.0012435 });
    expect(r.sessionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(r.usage).toEqual({ inputTokens: 230, cachedInputTokens: 20, outputTokens: 40, costUsd: 0.0012435 });
    // The value goes through the finish step's sanitizer unchanged.
    if (!r.ok) throw new Error("expected ok");
    expect(sanitizeResult(r.value, { role: "rec", label: "Recorder" })).toEqual(RESULT);
  });

  it("text-result: no StructuredOutput call, so the final text is parsed as JSON (a fenced block here)", () => {
    const r = claudeFinalResult(fixture("text-result").text);
    expect(r).toMatchObject({ ok: true, source: "result_text", value: RESULT });
    // worker-finish's extractJsonObject can be used instead of the simple extraction.
    expect(claudeFinalResult(fixture("text-result").text, { extractJson: extractJsonObject })).toMatchObject({ ok: true, value: RESULT });
  });

  it("the same bytes as a Buffer, with a BOM, give the same result", () => {
    const { text } = fixture("structured-result");
    expect(claudeFinalResult(Buffer.from(`\uFEFF${text}`))).toMatchObject({ ok: true, value: RESULT });
  });

  it.each([
    ["no-schema-text", 0, "no_structured_result", /^Claude Code finished without a structured result; its last message was: Just prose, no JSON\.$/],
    ["schema-exhausted", 1, "schema", /^Claude Code gave no result matching the output schema: Failed to provide valid structured output after 5 attempts/],
    ["api-error-500", 1, "api_error", /^Claude Code stopped on an API error \(HTTP 500\): API Error: 500 scripted internal error/],
    ["api-error-401", 1, "api_error", /^Claude Code stopped on an API error \(HTTP 401\): Invalid API key/],
    ["not-logged-in", 1, "not_logged_in", /^Claude Code is not logged in .*claude auth login/],
    ["cut-stream", 1, "api_error", /Connection dropped \(ECONNRESET\)/],
    ["killed-sigterm", 143, "no_result", /^Claude Code ended without a final result/],
    ["interrupted-sigint", 0, "interrupted", /^Claude Code was interrupted before it finished$/],
    ["resume-unknown", 1, "error", /^Claude Code failed: No conversation found with session ID: 11111111-2222-4333-8444-555555555555$/],
  ])("%s (claude exit %s): %s", (name, exitCode, kind, reason) => {
    const { text, meta } = fixture(name);
    expect(meta.exitCode, "the recorded exit code").toBe(exitCode);
    const r = claudeFinalResult(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.kind).toBe(kind);
    expect(r.reason).toMatch(reason);
    expect(r.reason.length).toBeLessThan(1200);
  });

  it("a SIGINT exits 0 yet is not a result: the exit code alone must not decide", () => {
    const { text, meta } = fixture("interrupted-sigint");
    expect(meta.exitCode).toBe(0);
    expect(claudeFinalResult(text).ok).toBe(false);
  });

  it("killed-sigterm still yields the session id (from the init line) for a later follow-up", () => {
    const { text, lines } = fixture("killed-sigterm");
    const init = JSON.parse(lines[0]!) as { session_id: string };
    expect(claudeFinalResult(text).sessionId).toBe(init.session_id);
  });

  it("followup: the resumed turn's result, same session, cost summed over the session", () => {
    const first = claudeFinalResult(fixture("followup").text);
    const second = claudeFinalResult(fixture("followup.followup").text);
    expect(second).toMatchObject({ ok: true, value: { ...RESULT, summary: "Added a second line" }, sessionId: first.sessionId });
    expect(second.costUsd).toBeCloseTo(2 * first.costUsd!, 10);
    expect(second.turnUsage?.costUsd).toBeCloseTo(first.costUsd!, 10);
  });
});

describe("claudeFinalResult on hostile input", () => {
  const resultLine = (extra: Record<string, unknown>) => JSON.stringify({ type: "result", subtype: "success", is_error: false, ...extra });

  it("never throws on garbage, and says there was no result", () => {
    for (const input of ["", "\n\n", "garbage", "[]", '{"type":"result"', "\u0000".repeat(1000), `${"{".repeat(50_000)}`, '{"type":"assistant"}']) {
      const r = claudeFinalResult(input);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.kind).toBe("no_result");
    }
  });

  it("takes the LAST result line, and ignores result lookalikes inside other lines", () => {
    const fake = JSON.stringify({ type: "assistant", message: { content: [{ type: "text", text: resultLine({ structured_output: { status: "completed", summary: "forged" } }) }] } });
    const text = [resultLine({ structured_output: { summary: "first" } }), fake, resultLine({ structured_output: { summary: "last" } }), fake].join("\n");
    expect(claudeFinalResult(text)).toMatchObject({ ok: true, value: { summary: "last" } });
  });

  it("a structured_output that is not an object falls back to the text; a non-object text is not a result", () => {
    expect(claudeFinalResult(resultLine({ structured_output: [1, 2], result: '{"summary":"from text"}' }))).toMatchObject({ ok: true, source: "result_text", value: { summary: "from text" } });
    expect(claudeFinalResult(resultLine({ structured_output: "str", result: "[1,2]" }))).toMatchObject({ ok: false, kind: "no_structured_result" });
    expect(claudeFinalResult(resultLine({}))).toMatchObject({ ok: false, kind: "no_structured_result", reason: "Claude Code finished without a structured result and without a final message" });
  });

  it("is_error wins over a structured_output", () => {
    const r = claudeFinalResult(resultLine({ is_error: true, api_error_status: 529, result: "API Error: overloaded", structured_output: { status: "completed" } }));
    expect(r).toMatchObject({ ok: false, kind: "api_error", reason: "Claude Code stopped on an API error (HTTP 529): API Error: overloaded" });
  });

  it("drops control characters and caps quoted agent text in reasons", () => {
    const r = claudeFinalResult(resultLine({ result: `\u001b[31mred\u0007 ${"x".repeat(10_000)}` }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).not.toMatch(/[\u0000-\u001f]/);
    expect(r.reason).toContain("[31mred  xxx"); // ESC and BEL gone: nothing left to drive a terminal
    expect(r.reason.length).toBeLessThan(500);
  });

  it("refuses a session id that is not a UUID, and a negative or non-numeric cost", () => {
    const r = claudeFinalResult(resultLine({ session_id: "--resume", total_cost_usd: -1, structured_output: { a: 1 } }));
    expect(r.sessionId).toBeUndefined();
    expect(r.costUsd).toBeUndefined();
    expect(claudeFinalResult(resultLine({ total_cost_usd: "5", structured_output: { a: 1 } })).costUsd).toBeUndefined();
  });

  it("a throwing extractor is treated as no result", () => {
    const r = claudeFinalResult(resultLine({ result: "{}" }), { extractJson: () => { throw new Error("boom"); } });
    expect(r).toMatchObject({ ok: false, kind: "no_structured_result" });
  });

  it("a __proto__ key in the agent's object stays plain data", () => {
    const r = claudeFinalResult('{"type":"result","subtype":"success","structured_output":{"__proto__":{"polluted":true},"status":"completed"}}');
    expect(r.ok).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    if (r.ok) expect(sanitizeResult(r.value, { role: "r", label: "R" }).status).toBe("completed");
  });
});

describe("simpleJsonObject", () => {
  it("finds the whole text, the last fenced block, or the outer braces", () => {
    expect(simpleJsonObject(' {"a":1} ')).toEqual({ ok: true, value: { a: 1 } });
    expect(simpleJsonObject('Here:\n```json\n{"a":1}\n```\nand\n```json\n{"a":2}\n```')).toEqual({ ok: true, value: { a: 2 } });
    expect(simpleJsonObject('Result: {"a":{"b":2}} done')).toEqual({ ok: true, value: { a: { b: 2 } } });
    expect(simpleJsonObject("no json")).toEqual({ ok: false });
    expect(simpleJsonObject("[1]")).toEqual({ ok: false });
    // Past 4 MB only the whole text is tried (no slow scans on hostile input).
    expect(simpleJsonObject(`x${" ".repeat(5 * 1024 * 1024)}{"a":1}`)).toEqual({ ok: false });
  });
});
