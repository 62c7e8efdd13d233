import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { RESULT_FIELDS, type WorkerResult } from "../../server/core/records";
import {
  RESULT_LIMITS,
  buildWorkerResult,
  capString,
  decodeAgentOutput,
  describeExit,
  extractJsonObject,
  sanitizeResult,
} from "../../server/bridge/finish-result.mjs";
import { parseFinishArgs, workerCommitMessage } from "../../server/bridge/worker-finish.mjs";
import { FINISH_SCRIPT } from "../support/launcher-fixture";

const worker = { role: "reviewer", label: "Reviewer" };

function build(output: string | Buffer | undefined, exitCode = 0, extra: Record<string, unknown> = {}) {
  return buildWorkerResult({ output, exitCode, worker, ...extra }) as { result: WorkerResult; valid: boolean; problem?: string };
}

const good = {
  role: "reviewer",
  label: "Reviewer",
  status: "completed",
  summary: "Looks fine.",
  claims: ["c1"],
  objections: ["o1"],
  openQuestions: ["q1"],
  evidenceRefs: ["src/app.txt:2"],
  error: "",
};

describe("sanitizeResult", () => {
  it("keeps exactly the result fields, in order, and drops unknown keys", () => {
    const out = sanitizeResult({ ...good, extra: 1, reasoning: "secret chain of thought", __proto__: { x: 1 } }, worker);
    expect(Object.keys(out)).toEqual([...RESULT_FIELDS]);
    expect(out).toEqual(good);
    expect(JSON.stringify(out)).not.toContain("secret");
  });

  it("empties wrong types and keeps only strings in arrays", () => {
    const out = sanitizeResult(
      { status: "blocked", summary: 42, claims: ["a", 1, null, { b: 2 }, "c", ["d"]], objections: "not an array", openQuestions: { 0: "x" }, evidenceRefs: null, error: false },
      worker,
    );
    expect(out).toEqual({
      role: "", label: "", status: "blocked", summary: "", claims: ["a", "c"], objections: [], openQuestions: [], evidenceRefs: [], error: "",
    });
  });

  it("turns an unknown or missing status into error, with a reason when the agent gave none", () => {
    expect(sanitizeResult({ ...good, status: "done" }, worker)).toMatchObject({ status: "error", error: 'agent result had an invalid status: "done"' });
    expect(sanitizeResult({ ...good, status: undefined }, worker)).toMatchObject({ status: "error", error: "agent result had no status" });
    expect(sanitizeResult({ ...good, status: "COMPLETED", error: "own words" }, worker)).toMatchObject({ status: "error", error: "own words" });
  });

  it("keeps the agent's own role and label strings (the supervisor checks them against the worker)", () => {
    expect(sanitizeResult({ ...good, role: "editor", label: "Impostor" }, worker)).toMatchObject({ role: "editor", label: "Impostor" });
    expect(sanitizeResult({ ...good, role: "editor", label: 7 }, undefined)).toMatchObject({ role: "editor", label: "" });
  });

  it("caps strings and arrays", () => {
    const long = "y".repeat(RESULT_LIMITS.maxStringChars * 3);
    const out = sanitizeResult({ ...good, summary: long, claims: Array.from({ length: 1000 }, (_, i) => `claim ${i}`), objections: [long, long, long, long, long, long, long] }, worker);
    expect(out.summary.length).toBeLessThanOrEqual(RESULT_LIMITS.maxStringChars);
    expect(out.summary.endsWith("[truncated]")).toBe(true);
    expect(out.claims).toHaveLength(RESULT_LIMITS.maxArrayItems);
    expect(out.claims[199]).toBe("claim 199");
    expect(out.objections.join("").length).toBeLessThanOrEqual(RESULT_LIMITS.maxArrayChars);
    expect(out.objections.length).toBeGreaterThan(0);
  });

  it("replaces lone surrogates so the result is valid UTF-8, without splitting pairs when truncating", () => {
    const parsed = JSON.parse('{"status":"completed","summary":"a\\ud800b","claims":["\\udc00"]}');
    const out = sanitizeResult(parsed, worker);
    expect(out.summary).toBe("a\uFFFDb");
    expect(out.claims).toEqual(["\uFFFD"]);
    const pairAtEdge = "x".repeat(RESULT_LIMITS.maxStringChars - 14) + "😀".repeat(10);
    const capped = capString(pairAtEdge);
    expect(capped).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
    // The cut fell between the halves of an emoji: it moves back one code unit instead.
    expect(capped).toBe(`${"x".repeat(RESULT_LIMITS.maxStringChars - 14)}… [truncated]`);
    expect(capped).not.toContain("\uFFFD");
  });
});

describe("extractJsonObject", () => {
  it("parses a JSON object with surrounding whitespace", () => {
    expect(extractJsonObject(`\n\n  ${JSON.stringify(good)}  \n`)).toEqual({ ok: true, value: good });
  });

  it("finds the last object inside prose and markdown fences", () => {
    const text = `Here is {an aside}. First draft: {"status":"blocked"}\nFinal:\n\`\`\`json\n${JSON.stringify(good, null, 2)}\n\`\`\`\nThanks!`;
    expect(extractJsonObject(text)).toEqual({ ok: true, value: good });
  });

  it("finds the object after an unbalanced brace and braces inside strings", () => {
    const text = `oops { never closed... ${JSON.stringify({ ...good, summary: "a } b { c" })} trailing`;
    const r = extractJsonObject(text);
    expect(r.ok).toBe(true);
    expect(r.ok && r.value.summary).toBe("a } b { c");
  });

  it("reports empty, non-JSON and non-object text", () => {
    expect(extractJsonObject("   \n")).toEqual({ ok: false, reason: "empty" });
    expect(extractJsonObject("I could not finish the review.")).toEqual({ ok: false, reason: "not_json" });
    expect(extractJsonObject("{not: json}")).toEqual({ ok: false, reason: "not_json" });
    expect(extractJsonObject('"just a string"')).toEqual({ ok: false, reason: "not_object" });
    expect(extractJsonObject("[1, 2]")).toEqual({ ok: false, reason: "not_object" });
  });
});

describe("buildWorkerResult", () => {
  it("not JSON: an error result quoting the first 200 characters", () => {
    const text = `  I refuse to answer in JSON. ${"blah ".repeat(200)}`;
    const { result, valid } = build(text);
    expect(valid).toBe(false);
    expect(result).toMatchObject({ role: "reviewer", label: "Reviewer", status: "error", summary: "", claims: [] });
    expect(result.error).toBe(`agent output was not valid JSON: ${text.trim().slice(0, 200)}`);
  });

  it("a JSON value that is not an object is an error too", () => {
    expect(build('["completed"]').result.error).toBe('agent output was not a JSON object: ["completed"]');
  });

  it("non-zero exit without output: 'codex exec exited N'", () => {
    expect(build(undefined, 3).result).toEqual({
      role: "reviewer", label: "Reviewer", status: "error", summary: "", claims: [], objections: [], openQuestions: [], evidenceRefs: [], error: "codex exec exited 3",
    });
    expect(build("", 3).result.error).toBe("codex exec exited 3");
    expect(build("garbage", 2).result.error).toBe("codex exec exited 2; agent output was not valid JSON: garbage");
  });

  it("non-zero exit with a valid result keeps the agent's result", () => {
    const r = build(JSON.stringify(good), 1);
    expect(r.valid).toBe(true);
    expect(r.result).toEqual(good);
  });

  it("zero exit without a final message is an error", () => {
    expect(build(undefined, 0).result.error).toBe("agent wrote no final message");
    expect(build("  \n", 0).result.error).toBe("agent wrote an empty final message");
  });

  it("explains signals, missing binaries, stops and launcher reasons", () => {
    expect(build(undefined, 130).result.error).toBe("codex exec exited 130 (killed by SIGINT)");
    expect(build(undefined, 127).result.error).toBe("codex exec exited 127 (agent binary not found)");
    expect(build(undefined, 143, { stopRequested: true }).result.error).toBe("stopped on request: codex exec exited 143 (killed by SIGTERM)");
    expect(build(undefined, 1, { reason: "agent input file is missing: /x/task.md" }).result.error).toBe("agent input file is missing: /x/task.md");
    expect(describeExit(1, "TERM")).toBe("codex exec exited 1 (after SIGTERM)");
  });

  it("50 MB of output cannot explode the result", () => {
    const huge = JSON.stringify({
      ...good,
      summary: "s".repeat(20 * 1024 * 1024),
      claims: Array.from({ length: 30_000 }, (_, i) => `claim ${i} ${"c".repeat(1000)}`),
      noise: "n".repeat(1024 * 1024),
    });
    expect(huge.length).toBeGreaterThan(50 * 1024 * 1024);
    const { result, valid } = build(Buffer.from(huge));
    expect(valid).toBe(true);
    expect(result.status).toBe("completed");
    const size = Buffer.byteLength(JSON.stringify(result));
    expect(size).toBeLessThan(150_000);
    expect(result.claims.length).toBeLessThanOrEqual(RESULT_LIMITS.maxArrayItems);

    const garbage = Buffer.alloc(50 * 1024 * 1024, "{");
    const bad = build(garbage, 0);
    expect(bad.result.status).toBe("error");
    expect(bad.result.error.length).toBeLessThan(300);
    expect(bad.result.error.startsWith("agent output was not valid JSON: {{{")).toBe(true);
  });

  it("a file too large to read is reported by size", () => {
    expect(buildWorkerResult({ output: undefined, outputBytes: 99_000_000, exitCode: 0, worker }).result.error).toBe(
      "agent output was too large to parse (99000000 bytes)",
    );
  });

  it("invalid UTF-8 becomes U+FFFD and a BOM is ignored", () => {
    const json = Buffer.from(JSON.stringify({ ...good, summary: "AB" }));
    const at = json.indexOf("AB");
    const broken = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json.subarray(0, at + 1), Buffer.from([0xff, 0xc3]), json.subarray(at + 1)]);
    const { result, valid } = build(broken);
    expect(valid).toBe(true);
    expect(result.summary).toBe("A\uFFFD\uFFFDB");
    expect(decodeAgentOutput(Buffer.from([0x61, 0xed, 0xa0, 0x80, 0x62]))).toBe("a\uFFFD\uFFFD\uFFFDb");
    const garbage = build(Buffer.from([0x80, 0x81, 0x82, 0x20, 0x78]));
    expect(garbage.result.error).toBe("agent output was not valid JSON: \uFFFD\uFFFD\uFFFD x");
  });
});

describe("finish CLI arguments", () => {
  const base = [
    "--worker-id", "worker-1-reviewer", "--role", "reviewer", "--label", "-n 'x' $(y)", "--worktree", "/w", "--git-dir", "/g",
    "--last-message", "/w/l", "--result", "/w/r", "--exit-file", "/w/e", "--commit-file", "/w/c", "--log", "/w/log", "--exit-code", "3",
  ];

  it("takes every value literally, even one that looks like a flag", () => {
    const o = parseFinishArgs([...base, "--attempt", "2", "--follow-up", "1", "--reason", "--exit-code"]);
    expect(o).toMatchObject({ label: "-n 'x' $(y)", exitCode: 3, attempt: 2, followUp: true, reason: "--exit-code" });
  });

  it("rejects unknown flags, missing values and missing required flags", () => {
    expect(() => parseFinishArgs([...base, "--bogus", "1"])).toThrow(/unknown argument/);
    expect(() => parseFinishArgs([...base, "--reason"])).toThrow(/missing value/);
    expect(() => parseFinishArgs(base.slice(2))).toThrow(/missing --worker-id/);
    expect(() => parseFinishArgs([...base.slice(0, -1), "x"])).toThrow(/invalid --exit-code/);
  });

  it("exits 2 with a message when run with bad arguments", () => {
    let status = 0;
    let stderr = "";
    try {
      execFileSync(process.execPath, [FINISH_SCRIPT, "--nope", "1"], { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
    } catch (error) {
      status = (error as { status: number }).status;
      stderr = String((error as { stderr: string }).stderr);
    }
    expect(status).toBe(2);
    expect(stderr).toContain('unknown argument "--nope"');
  });

  it("builds the commit message from worker id, attempt and follow-up", () => {
    expect(workerCommitMessage("worker-1-reviewer", 1, false)).toBe("longtable panel worker worker-1-reviewer");
    expect(workerCommitMessage("worker-1-reviewer", 3, false)).toBe("longtable panel worker worker-1-reviewer (attempt 3)");
    expect(workerCommitMessage("worker-2-editor", 2, true)).toBe("longtable panel worker worker-2-editor (attempt 2, follow-up)");
  });
});
