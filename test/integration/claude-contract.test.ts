/**
 * The contract with the pinned Claude Code (node_modules/.bin/claude): its version, that every
 * flag the worker argv uses (server/agents/claude/args.ts claudeTurnArgs) is still in
 * `claude --help` with the values we pass, that the worker tool list is exactly the tool set
 * claude offers, and the doctor against the real binary. When one of these fails, claude was
 * upgraded or the pin changed: read the message, re-run test/integration/claude-*.test.ts,
 * re-record the fixtures (npx tsx test/fixtures/claude/record.ts) and upgrade deliberately.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CLAUDE_WORKER_TOOLS, claudeTurnArgs } from "@/server/agents/claude/args";
import { CLAUDE_INSTALL_FIX, claudeDoctor } from "@/server/agents/claude/doctor";
import { PANEL_WORKER_OUTPUT_SCHEMA } from "@/server/core/records";
import { startAnthropicServer } from "../support/anthropic-server";
import {
  CLAUDE_BIN, MOCK_ANTHROPIC_KEY, MOCK_CLAUDE_MODEL, PINNED_CLAUDE_VERSION, PROJECT_ROOT, cleanParentEnv, makeClaudeEnv, runClaude,
} from "../support/claude-env";
import { makeRepo, removeDir } from "../support/repo";

const UPGRADE_NOTE =
  "The pinned Claude Code changed. Upgrade deliberately: check `claude --help` against server/agents/claude/args.ts, run " +
  "test/integration/claude-*.test.ts, re-record test/fixtures/claude (npx tsx test/fixtures/claude/record.ts), then update " +
  "PINNED_CLAUDE_VERSION in test/support/claude-env.ts.";

const SESSION = "68373675-305f-4ec8-96d8-a634e82e2196";
const schema = PANEL_WORKER_OUTPUT_SCHEMA as unknown as Record<string, unknown>;

/** Options of a commander help text: every name (long and short) → its whole description (for `choices`). */
function helpOptions(help: string): Map<string, { takesValue: boolean; choices: string[] }> {
  const out = new Map<string, { takesValue: boolean; choices: string[] }>();
  const section = help.split("\nOptions:\n")[1]?.split("\nCommands:\n")[0] ?? "";
  let names: string[] = [];
  let text = "";
  let takesValue = false;
  const flush = () => {
    const choices = /\(choices: (.*?)(?:, default: [^)]*)?\)/.exec(text.replace(/\s+/g, " "))?.[1];
    const list = choices ? [...choices.matchAll(/"([^"]*)"/g)].map((m) => m[1]!) : [];
    for (const n of names) out.set(n, { takesValue, choices: list });
  };
  for (const line of section.split("\n")) {
    const m = /^ {2}(-[A-Za-z], )?(--[A-Za-z][\w-]*)((?:, --[A-Za-z][\w-]*)*)(\s+[<[][^>\]]+[>\]])?/.exec(line);
    if (m) {
      flush();
      names = [m[1]?.slice(0, 2), m[2], ...(m[3] ?? "").split(", ").filter(Boolean)].filter((x): x is string => Boolean(x));
      takesValue = Boolean(m[4]);
      text = line;
    } else text += ` ${line}`;
  }
  flush();
  return out;
}

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
/** A temp HOME / CLAUDE_CONFIG_DIR for claude runs that need no server. */
function bareEnv(options: { noKey?: boolean } = {}) {
  const env = makeClaudeEnv("http://127.0.0.1:9", options);
  cleanups.push(env.cleanup);
  return env;
}

describe("Claude Code contract (pinned binary)", () => {
  it(`is exactly ${PINNED_CLAUDE_VERSION} (Claude Code), the version package.json pins`, async () => {
    const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as { devDependencies?: Record<string, string> };
    expect(pkg.devDependencies?.["@anthropic-ai/claude-code"], `package.json pins another Claude Code. ${UPGRADE_NOTE}`).toBe(PINNED_CLAUDE_VERSION);
    const r = await runClaude(["--version"], { env: bareEnv().env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim(), `node_modules/.bin/claude is not ${PINNED_CLAUDE_VERSION}. ${UPGRADE_NOTE}`).toBe(`${PINNED_CLAUDE_VERSION} (Claude Code)`);
  });

  it("still has every flag claudeTurnArgs passes, with the values it passes", async () => {
    const help = await runClaude(["--help"], { env: bareEnv().env });
    expect(help.code, help.stderr).toBe(0);
    const options = helpOptions(help.stdout);
    expect(options.size, "could not read the options of `claude --help`: did its format change?").toBeGreaterThan(40);
    const argv = [
      ...claudeTurnArgs({ outputSchema: schema }),
      ...claudeTurnArgs({ outputSchema: schema, resumeSessionId: SESSION, model: MOCK_CLAUDE_MODEL, maxBudgetUsd: 1, appendSystemPrompt: "x" }),
    ];
    for (const a of argv) {
      expect(a.startsWith("-"), `${a}: every worker argument is a flag (the prompt comes on stdin)`).toBe(true);
      const eq = a.indexOf("=");
      const flag = eq < 0 ? a : a.slice(0, eq);
      const value = eq < 0 ? undefined : a.slice(eq + 1);
      const known = options.get(flag);
      expect(known, `claude --help no longer lists ${flag} (server/agents/claude/args.ts passes it). ${UPGRADE_NOTE}`).toBeDefined();
      expect(known!.takesValue, `${flag} ${value === undefined ? "now wants a value" : "no longer takes a value"}. ${UPGRADE_NOTE}`).toBe(value !== undefined);
      if (value !== undefined && known!.choices.length > 0) {
        expect(known!.choices, `${flag} no longer accepts ${JSON.stringify(value)}. ${UPGRADE_NOTE}`).toContain(value);
      }
    }
    // The security-relevant choices, spelled out.
    expect(options.get("--setting-sources")).toBeDefined();
    expect(options.get("--permission-mode")!.choices).toContain("acceptEdits");
    expect(options.get("--permission-prompts")!.choices).toEqual(["host", "none"]);
    expect(options.get("--output-format")!.choices).toContain("stream-json");
  });

  it("--json-schema takes the schema itself, not a file path; an empty stdin is refused", async () => {
    const env = bareEnv();
    const file = join(env.home, "schema.json");
    writeFileSync(file, JSON.stringify(schema));
    const prompt = join(env.home, "prompt.md");
    writeFileSync(prompt, "hello");
    const byPath = await runClaude(["-p", `--json-schema=${file}`], { env: env.env, stdinFile: prompt });
    expect(byPath.code).toBe(1);
    expect(byPath.stderr).toContain("--json-schema is not valid JSON");
    const noPrompt = await runClaude(["-p", "--output-format=stream-json", "--verbose"], { env: env.env });
    expect(noPrompt.code).toBe(1);
    expect(noPrompt.stdout).toBe("");
    expect(noPrompt.stderr).toContain("Input must be provided either through stdin or as a prompt argument");
  });

  it("offers the worker exactly CLAUDE_WORKER_TOOLS (plus StructuredOutput for the schema)", async () => {
    const server = await startAnthropicServer({ w: [{ structured: { status: "completed" } }] });
    cleanups.push(() => server.close());
    const env = makeClaudeEnv(server.baseUrl);
    cleanups.push(env.cleanup);
    const repo = makeRepo();
    cleanups.push(() => removeDir(repo));
    const prompt = join(env.home, "prompt.md");
    writeFileSync(prompt, "Role: Worker (w)\nGo.");
    const r = await runClaude(claudeTurnArgs({ outputSchema: { type: "object" }, model: MOCK_CLAUDE_MODEL }), { cwd: repo, env: env.env, stdinFile: prompt });
    expect(r.code, r.stderr).toBe(0);
    const init = r.events.find((e) => e.type === "system" && e.subtype === "init") as { tools: string[]; slash_commands: string[]; mcp_servers: unknown[] };
    expect([...init.tools].sort(), `claude offers another tool set for --tools. ${UPGRADE_NOTE}`).toEqual([...CLAUDE_WORKER_TOOLS, "StructuredOutput"].sort());
    expect(init.slash_commands).toEqual([]);
    expect(init.mcp_servers).toEqual([]);
    const offered = server.requests[0]!.body!.tools!.map((t) => t.name).sort();
    expect(offered).toEqual([...CLAUDE_WORKER_TOOLS, "StructuredOutput"].sort());
    expect(server.violations).toEqual([]);
  });
});

describe("claude doctor against the real binary", () => {
  it("reports the version, and a key in the environment as a login (without printing it)", async () => {
    const env = bareEnv();
    const d = await claudeDoctor({ bin: CLAUDE_BIN, env: { ...cleanParentEnv(), ...env.env } });
    expect(d.check).toMatchObject({ name: "claude", ok: true, version: PINNED_CLAUDE_VERSION });
    expect(d.claude).toEqual({ bin: CLAUDE_BIN, loggedIn: true, loginStatus: "API key from ANTHROPIC_API_KEY", loginFix: undefined });
    expect(JSON.stringify(d)).not.toContain(MOCK_ANTHROPIC_KEY);
  });

  it("without a key or login: not logged in, with the fix in words; a stored login counts", async () => {
    const env = bareEnv({ noKey: true });
    const d = await claudeDoctor({ bin: CLAUDE_BIN, env: { ...cleanParentEnv(), ...env.env } });
    expect(d.check.ok).toBe(true);
    expect(d.claude.loggedIn).toBe(false);
    expect(d.claude.loginStatus).toBe("Not logged in");
    expect(d.claude.loginFix).toContain(`${CLAUDE_BIN} auth login`);
    expect(d.claude.loginFix).toContain("ANTHROPIC_API_KEY");
    // A claude.ai login as `claude auth login` stores it (read offline).
    writeFileSync(join(env.configDir, ".credentials.json"), JSON.stringify({ claudeAiOauth: { accessToken: "sk-ant-oat01-doctor-secret", refreshToken: "r", expiresAt: Date.now() + 3_600_000, scopes: ["user:inference"], subscriptionType: "max" } }));
    const after = await claudeDoctor({ bin: CLAUDE_BIN, env: { ...cleanParentEnv(), ...env.env } });
    expect(after.claude).toMatchObject({ loggedIn: true, loginStatus: "Logged in to claude.ai (max)" });
    expect(JSON.stringify(after)).not.toContain("doctor-secret");
  });

  it("a missing binary: not ok, with the install fix", async () => {
    const d = await claudeDoctor({ bin: "/nonexistent/claude", env: cleanParentEnv() });
    expect(d.check).toMatchObject({ ok: false, fix: CLAUDE_INSTALL_FIX });
    expect(d.check.detail).toContain("/nonexistent/claude was not found or did not run");
    expect(d.claude.loggedIn).toBe(false);
    // Another program in its place is not Claude Code.
    const other = await claudeDoctor({ bin: "/bin/echo", env: cleanParentEnv() });
    expect(other.check.ok).toBe(false);
    expect(other.check.detail).toContain("is not Claude Code");
  });
});
