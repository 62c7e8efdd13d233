import { execFile } from "node:child_process";
import type { Panel } from "./panel";

export interface ToolCheck {
  name: string;
  ok: boolean;
  version?: string;
  detail?: string;
  fix?: string;
}

function probe(cmd: string, args: string[], timeoutMs = 5000): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: timeoutMs, encoding: "utf8" }, (error, stdout, stderr) => {
      resolve({ ok: !error, out: `${stdout}\n${stderr}`.trim() });
    });
    child.stdin?.end();
  });
}

const firstLine = (s: string) => s.split("\n").find((l) => l.trim())?.trim() ?? "";
/**
 * First line that says something: codex prints environment warnings first on stderr (e.g.
 * "WARNING: proceeding, even though we could not create PATH aliases: …" when CODEX_HOME is under
 * /tmp), before "Not logged in" or "API key configured - sk-…".
 */
const statusLine = (s: string) => s.split("\n").map((l) => l.trim()).find((l) => l !== "" && !/^WARNING: /.test(l)) ?? "";

/** Tool versions and what is missing, each with the command that fixes it. */
export async function doctor(panel: Panel) {
  const { codexBin, tmuxSocket, dataDir } = panel.config;
  const [gitR, tmuxR, codexR, loginR] = await Promise.all([
    probe("git", ["--version"]),
    probe("tmux", ["-V"]),
    probe(codexBin, ["--version"]),
    probe(codexBin, ["login", "status"]),
  ]);
  const gitVersion = gitR.ok ? firstLine(gitR.out).replace(/^git version /, "") : undefined;
  const mergeTreeOk = gitVersion ? versionAtLeast(gitVersion, [2, 38]) : false;
  const checks: ToolCheck[] = [
    { name: "node", ok: true, version: process.versions.node },
    {
      name: "git",
      ok: gitR.ok && mergeTreeOk,
      version: gitVersion,
      detail: gitR.ok && !mergeTreeOk ? "git 2.38 or newer is needed for merge previews (merge-tree --write-tree)" : undefined,
      fix: "apt-get install -y git (2.38 or newer)",
    },
    {
      name: "tmux",
      ok: tmuxR.ok,
      version: tmuxR.ok ? firstLine(tmuxR.out).replace(/^tmux /, "") : undefined,
      fix: "apt-get install -y tmux",
    },
    {
      name: "codex",
      ok: codexR.ok,
      version: codexR.ok ? statusLine(codexR.out).replace(/^codex(-cli)?\s*/, "") : undefined,
      detail: codexR.ok ? `binary: ${codexBin}` : `${codexBin} was not found or did not run`,
      fix: "npm install -g @openai/codex, or set LONGTABLE_CODEX_BIN to its path",
    },
  ];
  const loggedIn = codexR.ok && loginR.ok && !/not logged in/i.test(loginR.out);
  return {
    checks,
    missing: checks.filter((c) => !c.ok).map((c) => c.name),
    codex: {
      bin: codexBin,
      loggedIn,
      loginStatus: codexR.ok ? statusLine(loginR.out) : undefined,
      loginFix: loggedIn ? undefined : `run \`${codexBin} login\` in a terminal (or set OPENAI_API_KEY and run \`${codexBin} login --with-api-key\`)`,
    },
    tmuxSocket,
    dataDir,
    defaultRepo: panel.config.defaultRepo ?? null,
  };
}

function versionAtLeast(version: string, min: [number, number]): boolean {
  const [maj = 0, minor = 0] = version.split(".").map((x) => Number.parseInt(x, 10));
  return maj > min[0] || (maj === min[0] && minor >= min[1]);
}
