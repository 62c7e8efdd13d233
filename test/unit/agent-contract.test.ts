/**
 * The agent contract (server/agents/types.ts) for each agent: the registry and the plain-node
 * helpers the launcher imports by folder, argv and environment of a turn, a parser per stream,
 * the finish step's answer for Claude Code (on output recorded from the real claude 2.1.328),
 * the pane renderers, and the command agent's stdout markers.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { claudeAgent } from "../../server/agents/claude";
import { claudeTurnArgs } from "../../server/agents/claude/args";
import { renderEventLine as claudePane } from "../../server/agents/claude/pane.mjs";
import { agentOutput as claudeOutput } from "../../server/agents/claude/result.mjs";
import { codexAgent } from "../../server/agents/codex";
import { commandAgent } from "../../server/agents/command";
import { parseCommandLine } from "../../server/agents/command/events.mjs";
import { renderEventLine as commandPane } from "../../server/agents/command/pane.mjs";
import { agentOutput as commandOutput } from "../../server/agents/command/result.mjs";
import { agentFor, agentModuleDir, agentSandboxProblem, availableAgents } from "../../server/agents/registry";
import type { AgentTurn } from "../../server/agents/types";
import { buildWorkerResult, extractJsonObject } from "../../server/bridge/finish-result.mjs";
import { AGENT_IDS } from "../../server/core/enums";
import { PANEL_WORKER_OUTPUT_SCHEMA } from "../../server/core/records";
import { RESULT, readFixture } from "../fixtures/claude/record";

const SESSION = "6611cca6-bb67-4825-94be-8a9ac23a26dc";
const turn = (over: Partial<AgentTurn> = {}): AgentTurn => ({
  worktreePath: "/r/.longtable/panel-runs/x/worktrees/worker-1-reviewer",
  outputSchemaPath: "/r/.longtable/panel-runs/x/panel-worker-output.schema.json",
  outputSchema: PANEL_WORKER_OUTPUT_SCHEMA as unknown as Record<string, unknown>,
  lastMessagePath: "/r/.longtable/panel-runs/x/workers/worker-1-reviewer/outbox/last-message.json",
  panelSandbox: true,
  extraArgs: [],
  ...over,
});
const bytes = (s: string) => new TextEncoder().encode(s);

describe("the registry", () => {
  it("has one adapter per agent id, each with its folder of plain-node helpers", () => {
    expect(availableAgents().map((a) => a.id)).toEqual([...AGENT_IDS]);
    for (const id of AGENT_IDS) {
      const a = agentFor(id);
      expect(a.id).toBe(id);
      expect(a.install.length).toBeGreaterThan(10);
      const dir = agentModuleDir(process.cwd(), id);
      // launch.sh pipes the events through pane-view.mjs <agent>; worker-finish.mjs imports result.mjs.
      expect([existsSync(join(dir, "pane.mjs")), existsSync(join(dir, "result.mjs"))]).toEqual([true, true]);
    }
  });

  it("only codex has a sandbox of its own: the others run only inside the panel's", () => {
    expect(availableAgents().filter((a) => a.ownSandbox).map((a) => a.id)).toEqual(["codex"]);
    expect(agentSandboxProblem(claudeAgent, true)).toBeUndefined();
    expect(agentSandboxProblem(codexAgent, false)).toBeUndefined();
    expect(agentSandboxProblem(claudeAgent, false)).toMatch(/^Claude Code has no sandbox of its own/);
    expect(agentSandboxProblem(commandAgent, false)).toMatch(/^Command has no sandbox of its own/);
  });
});

describe("argv and environment of a turn", () => {
  it("codex: unchanged behind the interface (options before resume, the model as -m)", () => {
    expect(codexAgent.args(turn({ model: "gpt-5", resumeThreadId: "t-1", extraArgs: ["-c", "x=1"] }))).toEqual([
      "exec", "--json", "-s", "danger-full-access", "-C", turn().worktreePath, "--skip-git-repo-check",
      "--output-schema", turn().outputSchemaPath, "-o", turn().lastMessagePath, "-m", "gpt-5", "-c", "x=1", "resume", "t-1", "-",
    ]);
    expect(codexAgent.args(turn({ panelSandbox: false }))).toContain("workspace-write");
  });

  it("Claude Code: the worker flags, the member's model, --resume on a follow-up, LONGTABLE_CLAUDE_ARGS last", () => {
    const base = claudeTurnArgs({ outputSchema: turn().outputSchema, model: "sonnet", resumeSessionId: SESSION });
    expect(claudeAgent.args(turn({ model: "sonnet", resumeThreadId: SESSION, extraArgs: ["--max-budget-usd=1"] }))).toEqual([...base, "--max-budget-usd=1"]);
    expect(base).toContain(`--resume=${SESSION}`);
    expect(base).toContain("--model=sonnet");
    expect(base).toContain(`--json-schema=${JSON.stringify(PANEL_WORKER_OUTPUT_SCHEMA)}`);
    expect(claudeAgent.args(turn()).some((a) => a.startsWith("--resume"))).toBe(false);
    expect(() => claudeAgent.args(turn({ resumeThreadId: "--dangerously-skip-permissions" }))).toThrow(/invalid Claude session id/);
    expect(() => claudeAgent.args(turn({ model: "-x" }))).toThrow(/invalid Claude model/);
    expect(claudeAgent.threadIdPattern.test(SESSION)).toBe(true);
    expect(claudeAgent.threadIdPattern.test("thread-1")).toBe(false);
  });

  it("Claude Code: a private state dir per worker with the user's login and settings copied in; its key and base URL passed", () => {
    const home = claudeAgent.home("/w/agent-home", { HOME: "/home/u", CLAUDE_CONFIG_DIR: "/home/u/.config/claude" });
    expect(home.env).toEqual({
      HOME: "/w/agent-home", CLAUDE_CONFIG_DIR: "/w/agent-home/.claude", DISABLE_AUTOUPDATER: "1", CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    });
    expect(home.dirs).toEqual(["/w/agent-home/.claude"]);
    expect(home.copy).toEqual([
      { from: "/home/u/.config/claude/.credentials.json", to: "/w/agent-home/.claude/.credentials.json" },
      { from: "/home/u/.config/claude/settings.json", to: "/w/agent-home/.claude/settings.json" },
    ]);
    expect(claudeAgent.home("/w/h", { HOME: "/home/u" }).copy[0]!.from).toBe("/home/u/.claude/.credentials.json");
    expect(claudeAgent.passEnv).toEqual(expect.arrayContaining(["ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "CLAUDE_CODE_OAUTH_TOKEN"]));
  });

  it("the command agent: LONGTABLE_COMMAND_ARGS as argv, the result file and the session in its environment", () => {
    expect(commandAgent.args(turn({ extraArgs: ["run", "--fast"] }))).toEqual(["run", "--fast"]);
    expect(commandAgent.turnEnv!(turn())).toEqual({
      LONGTABLE_RESULT_FILE: turn().lastMessagePath, LONGTABLE_OUTPUT_SCHEMA: turn().outputSchemaPath, LONGTABLE_WORKTREE: turn().worktreePath, LONGTABLE_FOLLOW_UP: "0",
    });
    expect(commandAgent.turnEnv!(turn({ resumeThreadId: "s-1", model: "m" }))).toMatchObject({ LONGTABLE_FOLLOW_UP: "1", LONGTABLE_SESSION_ID: "s-1", LONGTABLE_MODEL: "m" });
    expect(() => commandAgent.args(turn({ resumeThreadId: "-rf" }))).toThrow(/invalid command agent session id/);
    expect(commandAgent.home("/w/h", {})).toEqual({ env: { HOME: "/w/h" }, dirs: [], copy: [] });
  });
});

describe("a parser per stream", () => {
  it("Claude Code: each parser remembers its own tool uses (a result names no tool)", () => {
    const { lines } = readFixture("tools");
    const a = claudeAgent.parser();
    const b = claudeAgent.parser();
    const bashUse = lines.findIndex((l) => l.includes('"name":"Bash"') && l.includes("exit 3"));
    const bashResult = lines.findIndex((l) => l.includes('"content":"Exit code 3'));
    a(lines[bashUse]!);
    expect(a(lines[bashResult]!).item).toMatchObject({ kind: "command", text: "$ echo out; echo err >&2; exit 3 → exit 3", data: { exitCode: 3, output: "out\nerr" } });
    // b never saw the tool use: the result is still recognised as a command, without its text.
    expect(b(lines[bashResult]!).item).toMatchObject({ kind: "command", text: "$ (command) → exit 3", data: { exitCode: 3 } });
  });

  it("codex's parser is stateless; the command agent's reads its markers", () => {
    expect(codexAgent.parser()('{"type":"thread.started","thread_id":"t1"}')).toMatchObject({ threadId: "t1" });
    expect(parseCommandLine("longtable-session: abc-1")).toEqual({ threadId: "abc-1", item: { kind: "thread", text: "Session abc-1", data: { threadId: "abc-1" } } });
    expect(parseCommandLine("longtable-session: -rf")).toMatchObject({ item: { kind: "error" } });
    expect(parseCommandLine("longtable-session: -rf").threadId).toBeUndefined();
    expect(parseCommandLine('longtable-usage: {"inputTokens":3,"outputTokens":1,"costUsd":-1}')).toMatchObject({ usage: { inputTokens: 3, cachedInputTokens: 0, outputTokens: 1 } });
    expect(parseCommandLine('longtable-usage: {"inputTokens":3,"outputTokens":1,"costUsd":-1}').usage).not.toHaveProperty("costUsd");
    expect(parseCommandLine("longtable-usage: nope")).toEqual({ item: { kind: "message", text: "longtable-usage: nope" } });
    expect(parseCommandLine("  \r")).toEqual({});
    expect(parseCommandLine("x".repeat(5000)).item!.text).toHaveLength(4001);
  });
});

describe("the finish step's answer for Claude Code (recorded output)", () => {
  const finish = (name: string, exitCode: number) => {
    const { text } = readFixture(name);
    const answer = claudeOutput({ events: bytes(text), extractJson: extractJsonObject });
    return { answer, built: buildWorkerResult({ output: answer.output, outputProblem: answer.problem, exitCode, agent: "claude", worker: { role: "rec", label: "Recorder" } }) };
  };

  it("the StructuredOutput object is the result, with the session for a follow-up", () => {
    const { answer, built } = finish("structured-result", 0);
    expect(answer.session).toMatch(/^[0-9a-f-]{36}$/);
    expect(built).toEqual({ result: RESULT, valid: true });
  });

  it.each([
    ["interrupted-sigint", 0, "Claude Code was interrupted before it finished"],
    ["killed-sigterm", 143, "claude exited 143 (killed by SIGTERM); Claude Code ended without a final result (it was stopped or killed, or its output was cut off)"],
    ["no-schema-text", 0, "Claude Code finished without a structured result; its last message was: Just prose, no JSON."],
    ["api-error-500", 1, "claude exited 1; Claude Code stopped on an API error (HTTP 500): API Error: 500"],
  ])("%s (exit %s) → an error result: %s", (name, exitCode, error) => {
    const { built } = finish(name, exitCode);
    expect(built.valid).toBe(false);
    expect(built.result).toMatchObject({ role: "rec", label: "Recorder", status: "error" });
    expect(built.result.error.startsWith(error)).toBe(true);
  });

  it("no event stream at all (claude did not start) says so", () => {
    expect(claudeOutput({})).toEqual({ problem: expect.stringMatching(/^Claude Code wrote no events/) });
    expect(claudeOutput({ events: bytes("") }).problem).toMatch(/wrote no events/);
  });

  it("the command agent's answer is its result file", () => {
    expect(commandOutput({ lastMessage: bytes("{}") })).toEqual({ output: bytes("{}") });
    expect(commandOutput({}).problem).toMatch(/wrote no result file/);
    expect(commandOutput({ lastMessageProblem: "too big" })).toEqual({ problem: "too big" });
  });
});

describe("pane renderers", () => {
  it("Claude Code: short lines for each step, paths relative to the worktree, no hidden reasoning", () => {
    const { lines } = readFixture("structured-result");
    const shown = lines.flatMap((l) => claudePane(l, "/tmp/ltp-repo-x"));
    expect(shown[0]).toMatch(/^● session [0-9a-f-]{36} \(claude-sonnet-4-5\)$/);
    expect(shown).toContain("… thinking");
    expect(shown.join("\n")).not.toContain("hidden plan");
    expect(shown).toContain("$ printf 'four\\n' >> src/app.txt && wc -l src/app.txt");
    expect(shown.some((l) => /^ {2}✓ exit 0 · 1 line of output — printf/.test(l))).toBe(true);
    expect(shown.some((l) => l.startsWith("» result given: {"))).toBe(true);
    expect(shown.at(-1)).toMatch(/^● Turn completed: \d+ in \(\d+ cached\), \d+ out, \$\d+\.\d{4}$/);
    expect(claudePane("\u001b[31mnot json", "/")).toEqual(["· ?[31mnot json"]);
  });

  it("the command agent: its lines as they are, terminal-safe", () => {
    expect(commandPane("hello \u001b]0;title\u0007")).toEqual(["  hello ?]0;title?"]);
    expect(commandPane("longtable-session: s1")).toEqual(["● Session s1"]);
    expect(commandPane("")).toEqual([]);
  });
});
