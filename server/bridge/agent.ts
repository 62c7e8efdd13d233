import { accessSync, constants, existsSync, statSync } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";

/** Resolve a command to an absolute executable path, the way a shell would (PATH search). */
export function resolveExecutable(cmd: string, pathEnv = process.env.PATH ?? ""): string | undefined {
  const candidates = cmd.includes("/") ? [isAbsolute(cmd) ? cmd : resolve(cmd)] : pathEnv.split(delimiter).filter(Boolean).map((d) => join(d, cmd));
  for (const c of candidates) {
    try {
      if (existsSync(c) && statSync(c).isFile()) {
        accessSync(c, constants.X_OK);
        return c;
      }
    } catch {
      /* not executable */
    }
  }
  return undefined;
}

/** Environment values embedded into launch.sh (tmux may have been started by an older server). */
export function agentEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const names = new Set(["PATH", "HOME", "LANG", "CODEX_HOME"]);
  for (const n of (env.LONGTABLE_AGENT_ENV ?? "").split(",")) if (/^[A-Z_][A-Z0-9_]*$/.test(n.trim())) names.add(n.trim());
  const out: Record<string, string> = {};
  for (const n of names) if (env[n] !== undefined) out[n] = env[n]!;
  return out;
}

/** Extra codex arguments (e.g. `-c model_provider=…`), from LONGTABLE_CODEX_ARGS as a JSON array. */
export function extraAgentArgs(env: NodeJS.ProcessEnv = process.env): string[] {
  const raw = env.LONGTABLE_CODEX_ARGS;
  if (!raw) return [];
  const parsed = JSON.parse(raw) as unknown;
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === "string")) {
    throw new Error("LONGTABLE_CODEX_ARGS must be a JSON array of strings");
  }
  return parsed;
}
