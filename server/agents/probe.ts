/** Running an agent binary for the doctor: argv only, stdin closed, a timeout. */
import { execFile } from "node:child_process";

export function probe(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 5000): Promise<{ ok: boolean; code: number; out: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: timeoutMs, encoding: "utf8", env }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === "number" ? (error as { code: number }).code : 127) : 0;
      resolve({ ok: !error, code, out: `${stdout}\n${stderr}`.trim() });
    });
    child.stdin?.end();
  });
}

export const firstLine = (s: string) => s.split("\n").find((l) => l.trim())?.trim() ?? "";

/**
 * First line that says something: codex prints environment warnings first on stderr (e.g.
 * "WARNING: proceeding, even though we could not create PATH aliases: …" when CODEX_HOME is under
 * /tmp), before "Not logged in" or "API key configured - sk-…".
 */
export const statusLine = (s: string) => s.split("\n").map((l) => l.trim()).find((l) => l !== "" && !/^WARNING: /.test(l)) ?? "";
