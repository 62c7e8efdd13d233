/**
 * The pinned real Claude Code (node_modules/.bin/claude 2.1.328) running worker turns offline:
 * the worker argv of server/agents/claude/args.ts, the prompt on stdin, in a temp git repo, against
 * the scripted Messages API (test/support/anthropic-server.ts). Assertions are on what claude
 * really did: files changed, what it sent back to the model, its stream-json read by events.mjs,
 * and the final result read by result.mjs — in each documented end state.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CLAUDE_WORKER_SYSTEM_PROMPT, claudeTurnArgs } from "@/server/agents/claude/args";
import { createClaudeParseState, parseClaudeLineItems } from "@/server/agents/claude/events.mjs";
import { claudeFinalResult } from "@/server/agents/claude/result.mjs";
import type { ActivityItem } from "@/server/agents/types";
import { PANEL_WORKER_OUTPUT_SCHEMA } from "@/server/core/records";
import { resultText, toolResultBlocks, userTexts, type ClaudeScript, type MessagesRequest } from "../support/anthropic-server";
import { MOCK_CLAUDE_MODEL, claudeFixture, type ClaudeFixture, type ClaudeRun } from "../support/claude-env";
import { sh } from "../support/repo";
import { waitFor } from "../support/wait";

const KEY = "critic";
const TASK = `LongTable native panel worker\n\nRole: Critic (${KEY})\nMode: review\n\nResearch object:\nCheck src/app.txt.\n`;
const RESULT = {
  role: KEY, label: "Critic", status: "completed", summary: "Checked src/app.txt", claims: ["three lines"], objections: [],
  openQuestions: [], evidenceRefs: ["src/app.txt:1"], error: "",
};
const args = (resume?: string) => claudeTurnArgs({ outputSchema: PANEL_WORKER_OUTPUT_SCHEMA, model: MOCK_CLAUDE_MODEL, resumeSessionId: resume });

let f: ClaudeFixture | undefined;
afterEach(async () => {
  await f?.cleanup();
  f = undefined;
});
async function fixture(script: ClaudeScript, options: Parameters<typeof claudeFixture>[1] = {}) {
  f = await claudeFixture(script, options);
  return f;
}

function activity(run: ClaudeRun): ActivityItem[] {
  const state = createClaudeParseState();
  return run.stdout.split("\n").flatMap((line) => parseClaudeLineItems(line, state).items);
}
const sessionOf = (run: ClaudeRun) => run.events.find((e) => e.type === "system" && e.subtype === "init")?.session_id as string | undefined;
const lastUserText = (body: MessagesRequest | undefined) => userTexts(body).at(-1) ?? "";
const commit = (repo: string, message: string) => {
  sh(repo, "git", ["add", "-A"]);
  sh(repo, "git", ["commit", "-qm", message]);
  return sh(repo, "git", ["rev-parse", "HEAD"]).trim();
};

describe("real claude 2.1.328 worker turns against the scripted Messages API", () => {
  it("a new turn: the prompt from stdin, a Bash edit that really runs, the result through StructuredOutput", async () => {
    const { server, repo, prompt, run } = await fixture({
      [KEY]: [
        { thinking: "private reasoning", tools: [{ bash: "printf 'four\\n' >> src/app.txt && cat src/app.txt" }] },
        { structured: RESULT },
      ],
    });
    const r = await run(args(), { stdinFile: prompt(TASK) });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(repo, "src/app.txt"), "utf8")).toBe("one\ntwo\nthree\nfour\n");

    const posts = server.requestsFor(KEY);
    expect(posts).toHaveLength(2);
    // The task arrives verbatim as the last user text of the first request; our addition ends the system prompt.
    expect(lastUserText(posts[0]!.body)).toBe(TASK);
    const system = posts[0]!.body!.system as Array<{ text?: string }>;
    expect(system.at(-1)!.text).toContain(CLAUDE_WORKER_SYSTEM_PROMPT);
    // The second request answers the tool_use with its output.
    const [bash] = [...server.toolResults.values()];
    // (claude may append a <system-reminder> to what it sends the model)
    expect(bash).toMatchObject({ name: "Bash", isError: false, output: expect.stringMatching(/^one\ntwo\nthree\nfour(\n\n<system-reminder>[\s\S]*)?$/) });
    expect(toolResultBlocks(posts[1]!.body).map((b) => b.tool_use_id)).toEqual([bash!.id]);
    expect(server.violations).toEqual([]);
    // Nothing else is asked of the API offline (no models list, no token counting).
    expect(server.requests.map((q) => `${q.method} ${q.url}`)).toEqual(["POST /v1/messages?beta=true", "POST /v1/messages?beta=true"]);

    const session = sessionOf(r);
    expect(posts[0]!.headers["x-claude-code-session-id"]).toBe(session);
    expect(claudeFinalResult(r.stdout)).toMatchObject({ ok: true, source: "structured_output", value: RESULT, sessionId: session });

    const items = activity(r);
    expect(JSON.stringify(items)).not.toContain("private reasoning");
    expect(items.map((i) => i.kind)).toEqual(["thread", "command", "command", "message", "usage"]);
    expect(items[2]!.data).toMatchObject({ phase: "completed", exitCode: 0, output: "one\ntwo\nthree\nfour" });
    expect(items[4]!.data).toMatchObject({ inputTokens: 230, cachedInputTokens: 20, outputTokens: 40, costUsd: 0.0012435 });
    console.log(`one claude worker turn (2 model requests, 1 command): ${r.ms} ms`);
  });

  it("a follow-up through --resume: same session, the history sent again, a second commit", async () => {
    const { server, repo, prompt, run } = await fixture({
      [KEY]: [
        { tools: [{ bash: "echo first >> src/app.txt" }] },
        { structured: RESULT },
        { tools: [{ bash: "echo second >> src/app.txt" }] },
        { structured: { ...RESULT, summary: "Added the second line" } },
      ],
    });
    const base = sh(repo, "git", ["rev-parse", "HEAD"]).trim();
    const first = await run(args(), { stdinFile: prompt(TASK) });
    expect(first.code, first.stderr).toBe(0);
    const c1 = commit(repo, "worker turn 1");
    const session = sessionOf(first)!;

    const followUp = "Follow-up from the panel: also add a second line.";
    const second = await run(args(session), { stdinFile: prompt(followUp) });
    expect(second.code, second.stderr).toBe(0);
    const c2 = commit(repo, "worker turn 2");
    expect(sh(repo, "git", ["rev-list", "--count", `${base}..${c2}`]).trim()).toBe("2");
    expect(sh(repo, "git", ["show", "--format=", c2, "--", "src/app.txt"])).toContain("+second");
    expect(c1).not.toBe(c2);

    expect(sessionOf(second)).toBe(session);
    const resumed = server.requestsFor(KEY)[2]!;
    expect(resumed.headers["x-claude-code-session-id"]).toBe(session);
    // The whole first turn comes back: the task, the tool call and its result, then the follow-up.
    const texts = userTexts(resumed.body);
    expect(texts).toContain(TASK);
    expect(texts.at(-1)).toBe(followUp);
    const kinds = resumed.body!.messages.flatMap((m) => (typeof m.content === "string" ? [] : m.content.map((b) => `${m.role}:${b.type}`)));
    expect(kinds.filter((k) => k === "assistant:tool_use")).toHaveLength(2); // Bash + StructuredOutput of turn 1
    expect(server.violations).toEqual([]);

    const r2 = claudeFinalResult(second.stdout);
    expect(r2).toMatchObject({ ok: true, value: { summary: "Added the second line" }, sessionId: session });
    const r1 = claudeFinalResult(first.stdout);
    // Session totals, like codex's thread totals: the second turn's figures include the first's.
    expect(r2.usage!.inputTokens).toBe(2 * r1.usage!.inputTokens);
    expect(r2.costUsd).toBeCloseTo(2 * r1.costUsd!, 10);
  });

  it("an API error response (529, no retries): exit 1, one request, an api_error result", async () => {
    const { server, prompt, run } = await fixture({ [KEY]: [{ http: 529, message: "Overloaded" }] });
    const r = await run(args(), { stdinFile: prompt(TASK) });
    expect(r.code).toBe(1);
    expect(server.requestsFor(KEY)).toHaveLength(1);
    const result = claudeFinalResult(r.stdout);
    expect(result).toMatchObject({ ok: false, kind: "api_error" });
    expect(!result.ok && result.reason).toMatch(/^Claude Code stopped on an API error \(HTTP 529\): API Error: 529 Overloaded/);
    expect(activity(r).filter((i) => i.kind === "error")).toHaveLength(2);
  });

  it("a cut stream is retried once without streaming; cut twice, the turn fails", async () => {
    const { server, prompt, run } = await fixture({ [KEY]: [{ cut: true, partial: "I was in the mid" }, { structured: RESULT }] });
    const ok = await run(args(), { stdinFile: prompt(TASK) });
    expect(ok.code, ok.stderr).toBe(0);
    expect(server.requestsFor(KEY).map((q) => [q.stream, q.outcome])).toEqual([[true, "cut"], [false, "completed"]]);
    expect(claudeFinalResult(ok.stdout)).toMatchObject({ ok: true, value: RESULT });

    server.setScript(KEY, [{ cut: true, tools: [{ bash: "echo never" }] }, { cut: true }]);
    const failed = await run(args(), { stdinFile: prompt(TASK) });
    expect(failed.code).toBe(1);
    const result = claudeFinalResult(failed.stdout);
    expect(result).toMatchObject({ ok: false, kind: "api_error" });
    expect(!result.ok && result.reason).toContain("Connection dropped (ECONNRESET)");
    expect(server.toolResults.size, "a tool_use whose input was cut off never runs").toBe(0);
  });

  it("an `error` event mid-stream: claude keeps the partial text and continues in a new request", async () => {
    const { server, prompt, run } = await fixture({ [KEY]: [{ sseError: "Overloaded", partial: "Half of my" }, { structured: RESULT }] });
    const r = await run(args(), { stdinFile: prompt(TASK) });
    expect(r.code, r.stderr).toBe(0);
    const again = server.requestsFor(KEY)[1]!;
    expect(lastUserText(again.body)).toMatch(/cut off mid-stream/);
    expect(claudeFinalResult(r.stdout)).toMatchObject({ ok: true, value: RESULT });
  });

  it("a stall ended by SIGTERM: exit 143, only the init line, no result", async () => {
    const { server, prompt, run } = await fixture({ [KEY]: [{ stall: true }] });
    let killedAt = 0;
    const r = await run(args(), {
      stdinFile: prompt(TASK),
      onSpawn: (child) => {
        void server.waitForRequest((q) => q.outcome === "stall", "the stalled request").then(() => {
          killedAt = Date.now();
          process.kill(child.pid!, "SIGTERM");
        });
      },
    });
    expect(r.code).toBe(143);
    expect(r.signal).toBeNull();
    expect(r.events.map((e) => `${e.type}/${e.subtype}`)).toEqual(["system/init"]);
    expect(claudeFinalResult(r.stdout)).toMatchObject({ ok: false, kind: "no_result", sessionId: sessionOf(r) });
    await waitFor(() => server.requestsFor(KEY)[0]!.outcome === "aborted", "claude to hang up", 5000);
    console.log(`claude exited ${Date.now() - killedAt} ms after SIGTERM`);
  });

  it("SIGTERM during a Bash command: the command is killed with claude, nothing is left running", async () => {
    const { prompt, run, repo } = await fixture({
      [KEY]: [{ tools: [{ bash: "echo $$ > cmd.pid; exec tail -f /dev/null" }] }],
    });
    const pidFile = join(repo, "cmd.pid");
    const r = await run(args(), {
      stdinFile: prompt(TASK),
      onSpawn: (child) => {
        void waitFor(() => existsSync(pidFile) && readFileSync(pidFile, "utf8").trim(), "the command to start", 20_000).then(() => process.kill(child.pid!, "SIGTERM"));
      },
    });
    expect(r.code).toBe(143);
    const pid = Number(readFileSync(pidFile, "utf8").trim());
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await waitFor(() => !alive(), `command pid ${pid} to be gone`, 5000);
    const result = r.events.find((e) => e.type === "user");
    expect(JSON.stringify(result)).toContain("Exit code 137");
    expect(claudeFinalResult(r.stdout).ok).toBe(false);
    expect(execFileSync("git", ["status", "--porcelain"], { cwd: repo, encoding: "utf8" })).toContain("cmd.pid");
  });
});
