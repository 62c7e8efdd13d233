/**
 * The OpenAI Codex CLI (`codex exec`), checked against codex-cli 0.169.0 (ARCHITECTURE.md §5).
 *
 *   new turn:   exec --json -s <sandbox> -C <wt> --skip-git-repo-check --output-schema <f> -o <f> [extra] -
 *   follow-up:  exec --json -s <sandbox> -C <wt> --skip-git-repo-check --output-schema <f> -o <f> [extra] resume <thread_id> -
 *
 * Every option stays before `resume`: `-s` and `-C` are options of `exec` only and codex rejects
 * them after the subcommand; `--output-schema` is not global in every codex version. The prompt
 * comes from stdin ("-"). Inside the panel's sandbox codex runs `-s danger-full-access` (its own
 * sandbox would nest bubblewrap, and fails when CODEX_HOME is under /tmp: openai/codex#24341);
 * without the panel's sandbox it runs `-s workspace-write`, its own.
 */
import { join } from "node:path";
import type { AgentAdapter, AgentCheck, AgentTurn, EnvVars } from "../types";
import { firstLine, probe, statusLine } from "../probe";
import { parseCodexLine } from "./events";

export const CODEX_INSTALL = "npm install -g @openai/codex, or set LONGTABLE_CODEX_BIN to its path";

/** codex thread ids are UUIDs; allow a little more, but never a leading "-" (it would be a flag). */
export const CODEX_THREAD_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;

export interface CodexExecArgsInput {
  worktreePath: string;
  outputSchemaPath: string;
  lastMessagePath: string;
  /** Follow-up turn: `resume <threadId>`. */
  resumeThreadId?: string;
  /** Extra codex exec options (e.g. ["-m", "gpt-5", "-c", "model_provider=…"]), placed before `resume` / `-`. */
  extraArgs?: readonly string[];
  /** codex's own sandbox mode (default workspace-write). */
  sandbox?: "workspace-write" | "danger-full-access";
}

export function codexExecArgs(input: CodexExecArgsInput): string[] {
  const args = [
    "exec",
    "--json",
    "-s", input.sandbox ?? "workspace-write",
    "-C", input.worktreePath,
    "--skip-git-repo-check",
    "--output-schema", input.outputSchemaPath,
    "-o", input.lastMessagePath,
    ...(input.extraArgs ?? []),
  ];
  if (input.resumeThreadId !== undefined) {
    if (!CODEX_THREAD_ID.test(input.resumeThreadId)) {
      throw new Error(`invalid codex thread id: ${JSON.stringify(input.resumeThreadId)}`);
    }
    args.push("resume", input.resumeThreadId);
  }
  args.push("-");
  return args;
}

/** The user's codex home (its config and login), as codex itself finds it. */
export function userCodexHome(env: EnvVars): string {
  return env.CODEX_HOME || join(env.HOME ?? "/", ".codex");
}

export const codexAgent: AgentAdapter = {
  id: "codex",
  label: "Codex",
  install: CODEX_INSTALL,
  binSetting: { env: "LONGTABLE_CODEX_BIN", fallback: "codex" },
  argsSetting: "LONGTABLE_CODEX_ARGS",
  ownSandbox: true,
  threadIdPattern: CODEX_THREAD_ID,
  // Without the panel's sandbox codex uses the user's own home (its login); inside, home() replaces it.
  passEnv: ["CODEX_HOME"],
  args(turn: AgentTurn) {
    return codexExecArgs({
      worktreePath: turn.worktreePath,
      outputSchemaPath: turn.outputSchemaPath,
      lastMessagePath: turn.lastMessagePath,
      resumeThreadId: turn.resumeThreadId,
      extraArgs: [...(turn.model ? ["-m", turn.model] : []), ...turn.extraArgs],
      sandbox: turn.panelSandbox ? "danger-full-access" : "workspace-write",
    });
  },
  home(privateHome, env) {
    // A private CODEX_HOME: codex keeps its sessions there (follow-ups resume from it); only its
    // login and config are copied in, so nothing the agent writes reaches the user's own ~/.codex.
    const from = userCodexHome(env);
    const codexHome = join(privateHome, ".codex");
    return {
      env: { HOME: privateHome, CODEX_HOME: codexHome },
      dirs: [codexHome],
      copy: ["auth.json", "config.toml"].map((name) => ({ from: join(from, name), to: join(codexHome, name) })),
    };
  },
  // codex's JSONL lines stand alone: one stateless parser serves every stream.
  parser: () => parseCodexLine,
  async doctor(bin, env): Promise<AgentCheck> {
    const [version, login] = await Promise.all([probe(bin, ["--version"], env as NodeJS.ProcessEnv), probe(bin, ["login", "status"], env as NodeJS.ProcessEnv)]);
    const loggedIn = version.ok && login.ok && !/not logged in/i.test(login.out);
    return {
      agent: "codex",
      label: "Codex",
      bin,
      installed: version.ok,
      version: version.ok ? statusLine(version.out).replace(/^codex(-cli)?\s*/, "") || firstLine(version.out) : undefined,
      ready: loggedIn,
      status: version.ok ? statusLine(login.out) : undefined,
      fix: !version.ok
        ? CODEX_INSTALL
        : loggedIn ? undefined : `run \`${bin} login\` in a terminal (or set OPENAI_API_KEY and run \`${bin} login --with-api-key\`)`,
    };
  },
};

/**
 * Does codex's own sandbox work here? (Used when the panel's sandbox is not available.) A trial
 * command under `codex sandbox`; with a system bubblewrap and CODEX_HOME under /tmp it fails
 * every command with "bwrap: execvp codex-linux-sandbox".
 */
export async function codexSandboxTrial(bin: string, env: EnvVars): Promise<{ ok: boolean; detail?: string; fix?: string }> {
  const r = await probe(bin, ["sandbox", "--", "true"], env as NodeJS.ProcessEnv, 15_000);
  if (r.ok) return { ok: true };
  const line = r.out.split("\n").map((l) => l.trim()).find((l) => /bwrap|sandbox|denied|error/i.test(l) && !/^WARNING: proceeding/.test(l)) ?? firstLine(r.out);
  const tmpHome = /\/tmp\b/.test(userCodexHome(env));
  return {
    ok: false,
    detail: line || "codex's sandbox could not run a trial command",
    fix: tmpHome
      ? "codex refuses to set up its sandbox helper when CODEX_HOME is under /tmp: set CODEX_HOME to a folder outside /tmp (e.g. ~/.codex), or install bubblewrap so the panel's own sandbox is used (apt-get install -y bubblewrap)"
      : "install bubblewrap so the panel's own sandbox is used (apt-get install -y bubblewrap), or fix codex's sandbox (run `codex sandbox -- true` to see the error)",
  };
}
