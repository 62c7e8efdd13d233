/**
 * The doctor check for Claude Code: is the binary there (its version), and can it reach the
 * model (logged in, or a key in the environment)? Read offline from the binary itself:
 *
 *   claude --version           → "2.1.328 (Claude Code)"
 *   claude auth status --json  → {"loggedIn": bool, "authMethod": "api_key" | "claude.ai" |
 *                                 "oauth_token" | "none", "apiKeySource"?: "ANTHROPIC_API_KEY", …};
 *                                 exit 0 when logged in, 1 when not. It never prints a key.
 *
 * Both run with cwd "/" so that no project's .claude/settings.json (e.g. a worktree's, written
 * by an agent, whose apiKeyHelper would run) is read. Only whitelisted fields of the status are
 * kept, each cleaned, so nothing secret can reach the page. When the status cannot be read, the
 * environment and the credentials file say what they can.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { claudeUserConfigDir } from "./sandbox";
import type { EnvVars } from "../types";

export interface ClaudeToolCheck {
  name: "claude";
  ok: boolean;
  version?: string;
  detail?: string;
  fix?: string;
}

export interface ClaudeDoctor {
  check: ClaudeToolCheck;
  claude: { bin: string; loggedIn: boolean; loginStatus?: string; loginFix?: string };
}

export const CLAUDE_INSTALL_FIX = "npm install -g @anthropic-ai/claude-code, or set LONGTABLE_CLAUDE_BIN to its path";

interface Probe {
  ok: boolean;
  code: number | null;
  stdout: string;
  stderr: string;
}

function probe(bin: string, args: string[], env: EnvVars, timeoutMs: number): Promise<Probe> {
  return new Promise((resolve) => {
    const child = execFile(bin, args, { cwd: "/", env: env as NodeJS.ProcessEnv, timeout: timeoutMs, encoding: "utf8", maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === "number" ? ((error as { code: number }).code) : null) : 0;
      resolve({ ok: !error, code, stdout: String(stdout ?? ""), stderr: String(stderr ?? "") });
    });
    child.stdin?.end();
  });
}

/** "2.1.328" from "2.1.328 (Claude Code)". */
export function parseClaudeVersion(out: string): string | undefined {
  return /^\s*v?(\d+\.\d+\.\d+[0-9A-Za-z.+-]*)\s*\(Claude Code\)/m.exec(out)?.[1];
}

/** A status word from claude, cleaned (letters, digits and a few signs; at most 60 characters). */
const word = (v: unknown): string | undefined =>
  typeof v === "string" && v.trim() ? v.replace(/[^A-Za-z0-9_.:@/ -]/g, "").slice(0, 60) || undefined : undefined;

/** `claude auth status --json` in plain words; undefined when it is not that JSON. */
export function describeAuthStatus(stdout: string): { loggedIn: boolean; status: string } | undefined {
  let v: unknown;
  try {
    v = JSON.parse(stdout);
  } catch {
    return undefined;
  }
  if (!v || typeof v !== "object" || Array.isArray(v) || typeof (v as { loggedIn?: unknown }).loggedIn !== "boolean") return undefined;
  const s = v as Record<string, unknown>;
  if (s.loggedIn !== true) return { loggedIn: false, status: "Not logged in" };
  const method = word(s.authMethod);
  const source = word(s.apiKeySource);
  const plan = word(s.subscriptionType);
  const provider = word(s.apiProvider);
  let status: string;
  if (method === "api_key") status = `API key${source ? ` from ${source}` : ""}`;
  else if (method === "claude.ai") status = `Logged in to claude.ai${plan ? ` (${plan})` : ""}`;
  else if (method === "oauth_token") status = "Auth token from the environment";
  else status = `Logged in${method ? ` (${method})` : ""}`;
  if (provider && provider !== "firstParty") status += ` via ${provider}`;
  return { loggedIn: true, status };
}

/** What the environment and the config dir say, when claude's own status is unreadable. */
function fallbackLogin(env: EnvVars): { loggedIn: boolean; status: string } {
  for (const name of ["ANTHROPIC_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN", "ANTHROPIC_AUTH_TOKEN"]) {
    if (env[name]?.trim()) return { loggedIn: true, status: `${name} is set (claude's own status could not be read)` };
  }
  if (existsSync(join(claudeUserConfigDir(env), ".credentials.json"))) {
    return { loggedIn: true, status: "A stored claude.ai login was found (claude's own status could not be read)" };
  }
  return { loggedIn: false, status: "Not logged in" };
}

/** The doctor's Claude Code check, against `bin` (LONGTABLE_CLAUDE_BIN or `claude`). */
export async function claudeDoctor(options: { bin: string; env?: EnvVars; timeoutMs?: number }): Promise<ClaudeDoctor> {
  const env = options.env ?? process.env;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const version = await probe(options.bin, ["--version"], env, timeoutMs);
  const parsed = version.ok ? parseClaudeVersion(version.stdout) : undefined;
  const check: ClaudeToolCheck = {
    name: "claude",
    ok: parsed !== undefined,
    version: parsed,
    detail: parsed
      ? `binary: ${options.bin}`
      : version.ok
        ? `${options.bin} ran but is not Claude Code (its --version said: ${word(version.stdout.split("\n")[0]) ?? "nothing"})`
        : `${options.bin} was not found or did not run`,
    fix: CLAUDE_INSTALL_FIX,
  };
  if (!check.ok) {
    return { check, claude: { bin: options.bin, loggedIn: false, loginFix: `install Claude Code first: ${CLAUDE_INSTALL_FIX}` } };
  }
  const status = await probe(options.bin, ["auth", "status", "--json"], env, timeoutMs);
  const login = describeAuthStatus(status.stdout) ?? fallbackLogin(env);
  return {
    check,
    claude: {
      bin: options.bin,
      loggedIn: login.loggedIn,
      loginStatus: login.status,
      loginFix: login.loggedIn
        ? undefined
        : `run \`${options.bin} auth login\` in a terminal, or set ANTHROPIC_API_KEY (or a \`claude setup-token\` token as CLAUDE_CODE_OAUTH_TOKEN) in the panel's environment`,
    },
  };
}
