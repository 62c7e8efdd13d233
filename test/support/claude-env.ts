/**
 * Running the pinned real Claude Code (node_modules/.bin/claude, @anthropic-ai/claude-code
 * 2.1.328) offline against the scripted Messages API (anthropic-server.ts):
 *
 *  - `makeClaudeEnv(baseUrl)`: a temp HOME and CLAUDE_CONFIG_DIR (claude keeps its whole state
 *    there: .claude.json, sessions under projects/, backups), the variables that point it at the
 *    server with a dummy key, switch off what would reach the network (telemetry, auto-update),
 *    make failures fast (no retries), and proxy variables that send any stray HTTP(S) request to
 *    a closed local port.
 *  - `runClaude(args, {cwd, stdinFile})`: one claude invocation with stdin from a file or
 *    /dev/null (never an open pipe: `claude -p` without a prompt argument reads stdin to its end).
 *  - `claudeFixture(script)`: the server, the environment and a temp git repo together.
 *
 * Measured on the 2-core test machine: one claude start + one scripted turn takes ~0.7 s.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startAnthropicServer, type AnthropicServer, type AnthropicServerOptions, type ClaudeScript } from "./anthropic-server";
import { makeRepo, removeDir, tempDir } from "./repo";

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The pinned claude: absolute, so a launch script works whatever PATH tmux has. */
export const CLAUDE_BIN = join(PROJECT_ROOT, "node_modules", ".bin", "claude");
/** Must match package.json devDependencies["@anthropic-ai/claude-code"]; claude-contract.test.ts checks both. */
export const PINNED_CLAUDE_VERSION = "2.1.328";
/**
 * The model name sent to the server. A name claude knows, so it prices the usage (total_cost_usd
 * comes from its own price table: claude-sonnet-4-5 is $3 / $15 per million input / output tokens).
 */
export const MOCK_CLAUDE_MODEL = "claude-sonnet-4-5";
export const MOCK_ANTHROPIC_KEY = "sk-ant-longtable-mock-key";
/** Any HTTP(S) request that is not for 127.0.0.1 goes here and is refused at once. */
export const DEAD_PROXY = "http://127.0.0.1:9";

export interface ClaudeEnvOptions {
  /** Leave ANTHROPIC_API_KEY out (doctor tests). */
  noKey?: boolean;
  /** CLAUDE_STREAM_IDLE_TIMEOUT_MS, for stall tests (claude's own default is minutes). */
  streamIdleTimeoutMs?: number;
}

export interface ClaudeEnv {
  /** The temp HOME. */
  home: string;
  /** The temp CLAUDE_CONFIG_DIR (inside home): where claude keeps its state and sessions. */
  configDir: string;
  baseUrl: string;
  /** Environment claude needs (added to process.env by runClaude). */
  env: Record<string, string>;
  cleanup(): void;
}

export function makeClaudeEnv(baseUrl: string, options: ClaudeEnvOptions = {}): ClaudeEnv {
  const home = tempDir("ltp-claude-home-");
  const configDir = join(home, ".claude");
  mkdirSync(configDir, { recursive: true });
  mkdirSync(join(home, "tmp"));
  const env: Record<string, string> = {
    HOME: home,
    CLAUDE_CONFIG_DIR: configDir,
    ANTHROPIC_BASE_URL: baseUrl,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_AUTOUPDATER: "1",
    // A scripted error must end the turn at once, not after claude's backoff-and-retry loop.
    CLAUDE_CODE_MAX_RETRIES: "0",
    // claude's own temp files (Bash output under claude-<uid>/, its socket under cc-socks/) go
    // here instead of /tmp, so cleanup() removes them.
    CLAUDE_CODE_TMPDIR: join(home, "tmp"),
    HTTPS_PROXY: DEAD_PROXY,
    HTTP_PROXY: DEAD_PROXY,
    ALL_PROXY: DEAD_PROXY,
    NO_PROXY: "127.0.0.1,localhost",
  };
  if (!options.noKey) env.ANTHROPIC_API_KEY = MOCK_ANTHROPIC_KEY;
  if (options.streamIdleTimeoutMs !== undefined) env.CLAUDE_STREAM_IDLE_TIMEOUT_MS = String(options.streamIdleTimeoutMs);
  return { home, configDir, baseUrl, env, cleanup: () => removeDir(home) };
}

/**
 * Variables of the parent environment that would change how claude runs (a developer's real key,
 * base URL, config dir, model, an enclosing Claude Code session): runClaude removes them before
 * adding the test's own.
 */
export const CLAUDE_ENV_PREFIXES = ["ANTHROPIC_", "CLAUDE_", "CLAUDECODE"];

export function cleanParentEnv(parent: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(parent)) {
    if (value === undefined || CLAUDE_ENV_PREFIXES.some((p) => name.startsWith(p))) continue;
    out[name] = value;
  }
  return out;
}

export interface ClaudeRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSONL (lines that are not JSON objects are skipped). */
  events: Array<Record<string, unknown>>;
  ms: number;
}

export interface RunClaudeOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** stdin: this file, else /dev/null. */
  stdinFile?: string;
  timeoutMs?: number;
  bin?: string;
  /** Called with the child once spawned (e.g. to signal it). */
  onSpawn?: (child: ChildProcess) => void;
}

/** Runs claude once; killed (by its pid, SIGKILL) after `timeoutMs`. Environment: process.env without claude's own variables, plus `env`. */
export function runClaude(args: readonly string[], options: RunClaudeOptions = {}): Promise<ClaudeRun> {
  const stdinFd = openSync(options.stdinFile ?? "/dev/null", "r");
  const started = Date.now();
  return new Promise<ClaudeRun>((resolvePromise, reject) => {
    const child = spawn(options.bin ?? CLAUDE_BIN, args, {
      cwd: options.cwd,
      env: { ...cleanParentEnv(), ...options.env } as NodeJS.ProcessEnv,
      stdio: [stdinFd, "pipe", "pipe"],
    });
    closeSync(stdinFd);
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr!.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, "SIGKILL");
    }, options.timeoutMs ?? 30_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    options.onSpawn?.(child);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr, events: jsonLines(stdout), ms: Date.now() - started });
    });
  });
}

/** JSON-object lines of a JSONL text (others skipped). */
export function jsonLines(text: string): Array<Record<string, unknown>> {
  return text.split("\n").flatMap((line) => {
    try {
      const v = JSON.parse(line) as unknown;
      return v && typeof v === "object" && !Array.isArray(v) ? [v as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });
}

export interface ClaudeFixture {
  server: AnthropicServer;
  env: ClaudeEnv;
  /** A temp git repo (README.md, src/app.txt) standing in for a worker's worktree. */
  repo: string;
  /** Writes a prompt file (outside the repo) and returns its path. */
  prompt(text: string): string;
  /** runClaude in the repo with the fixture's environment. */
  run(args: readonly string[], options?: RunClaudeOptions): Promise<ClaudeRun>;
  cleanup(): Promise<void>;
}

/** A scripted server, an offline claude environment and a temp repo, torn down by cleanup(). */
export async function claudeFixture(script: ClaudeScript, options: ClaudeEnvOptions & { server?: AnthropicServerOptions } = {}): Promise<ClaudeFixture> {
  const server = await startAnthropicServer(script, options.server);
  const env = makeClaudeEnv(server.baseUrl, options);
  const repo = makeRepo();
  let n = 0;
  return {
    server,
    env,
    repo,
    prompt(text) {
      const path = join(env.home, `prompt-${++n}.md`);
      writeFileSync(path, text);
      return path;
    },
    run: (args, runOptions = {}) => runClaude(args, { cwd: repo, ...runOptions, env: { ...env.env, ...runOptions.env } }),
    async cleanup() {
      await server.close();
      env.cleanup();
      removeDir(repo);
    },
  };
}

/**
 * What a panel's process.env needs so that launch.sh runs the real claude against `baseUrl`
 * inside the panel's sandbox (the claude adapter passes ANTHROPIC_BASE_URL / ANTHROPIC_API_KEY
 * itself: server/agents/claude/sandbox.ts CLAUDE_PASSTHROUGH_ENV). `configDir` stands in for the
 * user's ~/.claude (the doctor reads it; the launch copies its login and settings from it). No
 * CLAUDE_CODE_TMPDIR: inside the sandbox /tmp is a private tmpfs. Variables of the developer's
 * own claude setup are removed (undefined) for the test.
 */
export function claudePanelEnv(baseUrl: string, configDir: string): { env: Record<string, string | undefined>; agentEnvNames: string[] } {
  const env: Record<string, string | undefined> = {
    ANTHROPIC_BASE_URL: baseUrl,
    ANTHROPIC_API_KEY: MOCK_ANTHROPIC_KEY,
    CLAUDE_CONFIG_DIR: configDir,
    CLAUDE_CODE_MAX_RETRIES: "0",
    HTTPS_PROXY: DEAD_PROXY,
    HTTP_PROXY: DEAD_PROXY,
    ALL_PROXY: DEAD_PROXY,
    NO_PROXY: "127.0.0.1,localhost",
    ANTHROPIC_AUTH_TOKEN: undefined,
    ANTHROPIC_MODEL: undefined,
    CLAUDE_CODE_OAUTH_TOKEN: undefined,
    CLAUDE_CODE_USE_BEDROCK: undefined,
    CLAUDE_CODE_USE_VERTEX: undefined,
    CLAUDE_CODE_TMPDIR: undefined,
    CLAUDECODE: undefined,
  };
  return { env, agentEnvNames: ["CLAUDE_CODE_MAX_RETRIES", "HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY"] };
}
