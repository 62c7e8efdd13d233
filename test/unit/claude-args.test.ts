/**
 * server/agents/claude/args.ts (worker argv), sandbox.ts (private state dir) and doctor.ts's
 * parsing, without running claude (the contract and real-binary tests do that).
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  CLAUDE_WORKER_SYSTEM_PROMPT, CLAUDE_WORKER_TOOLS, claudeBin, claudeTurnArgs,
} from "../../server/agents/claude/args";
import { describeAuthStatus, parseClaudeVersion } from "../../server/agents/claude/doctor";
import {
  CLAUDE_FILES_TO_COPY, claudeSandboxPaths, claudeUserConfigDir, claudeWorkerEnv, prepareClaudeStateDir,
} from "../../server/agents/claude/sandbox";
import { PANEL_WORKER_OUTPUT_SCHEMA } from "../../server/core/records";
import { removeDir, tempDir } from "../support/repo";

const SESSION = "68373675-305f-4ec8-96d8-a634e82e2196";
const schema = PANEL_WORKER_OUTPUT_SCHEMA as unknown as Record<string, unknown>;

describe("claudeTurnArgs", () => {
  it("a new turn: print mode, stream-json, the worker tools, project settings off, the schema inline", () => {
    const args = claudeTurnArgs({ outputSchema: schema });
    expect(args).toEqual([
      "-p",
      "--output-format=stream-json",
      "--verbose",
      "--permission-mode=acceptEdits",
      "--permission-prompts=none",
      `--tools=${CLAUDE_WORKER_TOOLS.join(",")}`,
      "--allowedTools=Bash",
      "--setting-sources=user",
      "--strict-mcp-config",
      "--disable-slash-commands",
      `--json-schema=${JSON.stringify(PANEL_WORKER_OUTPUT_SCHEMA)}`,
      `--append-system-prompt=${CLAUDE_WORKER_SYSTEM_PROMPT}`,
    ]);
    expect(args.some((a) => a.startsWith("--resume"))).toBe(false);
    expect(CLAUDE_WORKER_TOOLS).not.toContain("WebFetch");
    expect(CLAUDE_WORKER_TOOLS).not.toContain("Agent");
  });

  it("a follow-up resumes the session last; model, budget and prompt are options", () => {
    const args = claudeTurnArgs({ outputSchema: schema, resumeSessionId: SESSION, model: "claude-sonnet-4-5", maxBudgetUsd: 2.5, appendSystemPrompt: "" });
    expect(args.at(-1)).toBe(`--resume=${SESSION}`);
    expect(args).toContain("--model=claude-sonnet-4-5");
    expect(args).toContain("--max-budget-usd=2.5");
    expect(args.some((a) => a.startsWith("--append-system-prompt"))).toBe(false);
    // A value that starts with "-" stays a value: every value is joined to its flag with "=".
    expect(claudeTurnArgs({ outputSchema: schema, appendSystemPrompt: "-p --dangerously-skip-permissions" })).toContain("--append-system-prompt=-p --dangerously-skip-permissions");
  });

  it("refuses bad input with a message that says what is expected", () => {
    for (const id of ["-x", "--help", "not-a-uuid", `${SESSION} `, `${SESSION}\n`, ""]) {
      expect(() => claudeTurnArgs({ outputSchema: schema, resumeSessionId: id })).toThrow(/invalid Claude session id .*expected the UUID/);
    }
    for (const model of ["-m", "", "a b", "x;rm", "m\n"]) expect(() => claudeTurnArgs({ outputSchema: schema, model })).toThrow(/invalid Claude model name/);
    for (const maxBudgetUsd of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => claudeTurnArgs({ outputSchema: schema, maxBudgetUsd })).toThrow(/positive number of dollars/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => claudeTurnArgs({ outputSchema: cyclic })).toThrow(/cannot be written as JSON/);
    expect(() => claudeTurnArgs({ outputSchema: schema, appendSystemPrompt: "a\0b" })).toThrow(/NUL/);
  });

  it("the binary comes from LONGTABLE_CLAUDE_BIN, else `claude`", () => {
    expect(claudeBin({ LONGTABLE_CLAUDE_BIN: "/opt/claude/bin/claude" })).toBe("/opt/claude/bin/claude");
    expect(claudeBin({ LONGTABLE_CLAUDE_BIN: "  " })).toBe("claude");
    expect(claudeBin({})).toBe("claude");
  });
});

describe("the private state dir", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) removeDir(d);
  });
  const dir = () => {
    const d = tempDir("ltp-claude-state-test-");
    dirs.push(d);
    return d;
  };

  it("copies the login and the user's settings (0600) into a fresh 0700 dir, nothing else", () => {
    const user = dir();
    writeFileSync(join(user, ".credentials.json"), '{"claudeAiOauth":{"accessToken":"t"}}');
    writeFileSync(join(user, "settings.json"), '{"model":"opus"}');
    writeFileSync(join(user, ".claude.json"), '{"projects":{"/secret":{}}}');
    mkdirSync(join(user, "projects"));
    const state = join(dir(), "state");
    const out = prepareClaudeStateDir(state, { userConfigDir: user });
    expect(out.copied).toEqual([...CLAUDE_FILES_TO_COPY]);
    expect(statSync(state).mode & 0o777).toBe(0o700);
    expect(statSync(join(state, ".credentials.json")).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(state, "settings.json"), "utf8")).toBe('{"model":"opus"}');
    expect(existsSync(join(state, ".claude.json"))).toBe(false);
    expect(existsSync(join(state, "projects"))).toBe(false);
  });

  it("never writes through a symlink an agent planted in its state dir, and never reads one from the user's dir", () => {
    const user = dir();
    writeFileSync(join(user, ".credentials.json"), "login");
    const outside = join(dir(), "victim.txt");
    writeFileSync(outside, "untouched");
    symlinkSync(outside, join(user, "settings.json"));
    const state = dir();
    symlinkSync(outside, join(state, ".credentials.json")); // planted by the agent in an earlier turn
    const out = prepareClaudeStateDir(state, { userConfigDir: user });
    expect(readFileSync(outside, "utf8")).toBe("untouched");
    expect(lstatSync(join(state, ".credentials.json")).isSymbolicLink()).toBe(false);
    expect(readFileSync(join(state, ".credentials.json"), "utf8")).toBe("login");
    expect(out.skipped).toEqual([{ file: "settings.json", reason: "a symlink (not followed)" }]);
  });

  it("refuses a state dir that is a symlink, and reports absent files as skipped", () => {
    const real = dir();
    const link = join(dir(), "link");
    symlinkSync(real, link);
    expect(() => prepareClaudeStateDir(link, { userConfigDir: dir() })).toThrow(/is not a directory; remove it/);
    expect(readlinkSync(link)).toBe(real);
    const empty = prepareClaudeStateDir(join(dir(), "s"), { userConfigDir: dir() });
    expect(empty.copied).toEqual([]);
    expect(empty.skipped.map((s) => s.reason)).toEqual(["absent", "absent"]);
    expect(() => prepareClaudeStateDir("relative/dir", { userConfigDir: dir() })).toThrow(/absolute path/);
  });

  it("env and sandbox paths", () => {
    expect(claudeWorkerEnv("/s")).toEqual({ CLAUDE_CONFIG_DIR: "/s", DISABLE_AUTOUPDATER: "1", CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1" });
    expect(claudeSandboxPaths({ worktree: "/w", stateDir: "/s" })).toEqual({ writable: ["/w", "/s"], tmpfs: ["/tmp"] });
    expect(() => claudeSandboxPaths({ worktree: "w", stateDir: "/s" })).toThrow(/absolute/);
    expect(claudeUserConfigDir({ HOME: "/home/u" })).toBe("/home/u/.claude");
    expect(claudeUserConfigDir({ HOME: "/home/u", CLAUDE_CONFIG_DIR: "/cfg" })).toBe("/cfg");
  });
});

describe("doctor parsing", () => {
  it("reads the version line", () => {
    expect(parseClaudeVersion("2.1.328 (Claude Code)\n")).toBe("2.1.328");
    expect(parseClaudeVersion("codex-cli 0.169.0")).toBeUndefined();
  });

  it("describes `auth status --json` in words, keeping only cleaned whitelisted fields", () => {
    expect(describeAuthStatus('{"loggedIn":false,"authMethod":"none"}')).toEqual({ loggedIn: false, status: "Not logged in" });
    expect(describeAuthStatus('{"loggedIn":true,"authMethod":"api_key","apiKeySource":"ANTHROPIC_API_KEY"}')).toEqual({ loggedIn: true, status: "API key from ANTHROPIC_API_KEY" });
    expect(describeAuthStatus('{"loggedIn":true,"authMethod":"claude.ai","subscriptionType":"pro","email":"a@b.c"}')).toEqual({ loggedIn: true, status: "Logged in to claude.ai (pro)" });
    expect(describeAuthStatus('{"loggedIn":true,"authMethod":"oauth_token"}')!.status).toBe("Auth token from the environment");
    const hostile = describeAuthStatus('{"loggedIn":true,"authMethod":"api_key","apiKeySource":"sk-ant-<script>\\u001b[31m"}')!;
    expect(hostile.status).not.toMatch(/[<>\u001b[\]]/);
    expect(describeAuthStatus("not json")).toBeUndefined();
    expect(describeAuthStatus('{"loggedIn":"yes"}')).toBeUndefined();
  });
});
