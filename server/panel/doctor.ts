/**
 * system.doctor: what the panel needs and how to get it — git, tmux, each agent (version and
 * readiness), and the sandbox agents run in (the panel's own, or, without it, the agent's own,
 * checked by a trial command), and each repository's git state (locked, a merge under way).
 */
import { codexSandboxTrial } from "../agents/codex";
import { agentBinSetting, availableAgents } from "../agents/registry";
import type { AgentCheck } from "../agents/types";
import { firstLine, probe } from "../agents/probe";
import { sandboxStatus } from "../bridge/sandbox";
import type { Panel } from "./panel";
import { repoHealth } from "./review/health";

export interface ToolCheck {
  name: string;
  ok: boolean;
  version?: string;
  detail?: string;
  fix?: string;
}

export interface SandboxReport {
  /** "bubblewrap": the panel's own; "agent": each agent's own (see agents[].sandbox); "none". */
  kind: "bubblewrap" | "agent";
  active: boolean;
  detail: string;
  fix?: string;
}

/** Tool versions and what is missing, each with the command that fixes it. */
export async function doctor(panel: Panel) {
  const { tmuxSocket, dataDir } = panel.config;
  const agents = availableAgents();
  const [gitR, tmuxR, sandbox, agentChecks, repositories] = await Promise.all([
    probe("git", ["--version"]),
    probe("tmux", ["-V"]),
    sandboxStatus(panel.config.sandbox, true),
    Promise.all(agents.map((a) => a.doctor(agentBinSetting(a, panel.config.agentBins), process.env))),
    repoHealth(panel),
  ]);
  const gitVersion = gitR.ok ? firstLine(gitR.out).replace(/^git version /, "") : undefined;
  const mergeTreeOk = gitVersion ? versionAtLeast(gitVersion, [2, 38]) : false;
  // Without the panel's sandbox, codex runs in its own: check that it works (a trial command).
  const codex = agentChecks.find((c) => c.agent === "codex")!;
  const codexSandbox = !sandbox.active && codex.installed ? await codexSandboxTrial(codex.bin, process.env) : undefined;
  const checks: ToolCheck[] = [
    { name: "node", ok: true, version: process.versions.node },
    {
      name: "git",
      ok: gitR.ok && mergeTreeOk,
      version: gitVersion,
      detail: gitR.ok && !mergeTreeOk ? "git 2.38 or newer is needed for merge previews (merge-tree --write-tree)" : undefined,
      fix: "apt-get install -y git (2.38 or newer)",
    },
    { name: "tmux", ok: tmuxR.ok, version: tmuxR.ok ? firstLine(tmuxR.out).replace(/^tmux /, "") : undefined, fix: "apt-get install -y tmux" },
    {
      name: "bubblewrap",
      ok: sandbox.active,
      version: sandbox.version,
      detail: sandbox.active ? "agents run in the panel's sandbox: the worktree writable, the rest read-only, a private /tmp" : sandbox.reason,
      fix: sandbox.active ? undefined : sandbox.fix,
    },
    ...agentChecks.map((c) => ({
      name: c.agent,
      ok: c.installed,
      version: c.version,
      detail: c.installed ? `binary: ${c.bin}` : `${c.bin} was not found or did not run`,
      fix: c.installed ? undefined : c.fix,
    })),
  ];
  const sandboxReport: SandboxReport = sandbox.active
    ? { kind: "bubblewrap", active: true, detail: `bubblewrap ${sandbox.version ?? ""}: every agent runs with the filesystem read-only except its worktree, a private /tmp, the run folders and the panel's data hidden`.replace("  ", " ") }
    : {
      kind: "agent",
      active: codexSandbox?.ok ?? false,
      detail: `the panel's sandbox is off (${sandbox.reason ?? "unavailable"}); agents rely on their own sandbox${codexSandbox ? (codexSandbox.ok ? " — codex's works" : ` — codex's fails: ${codexSandbox.detail}`) : ""}`,
      fix: codexSandbox && !codexSandbox.ok ? codexSandbox.fix : sandbox.fix,
    };
  return {
    checks,
    missing: checks.filter((c) => !c.ok && c.name !== "bubblewrap" && !agentChecks.some((a) => a.agent === c.name && a.agent !== "codex")).map((c) => c.name),
    agents: agentChecks satisfies AgentCheck[],
    sandbox: sandboxReport,
    codex: { bin: codex.bin, loggedIn: codex.ready, loginStatus: codex.status, loginFix: codex.ready ? undefined : codex.fix },
    tmuxSocket,
    dataDir,
    defaultRepo: panel.config.defaultRepo ?? null,
    /** Each repo's git state: a stale lock, the user's merge under way, an interrupted merge (with what to do). */
    repositories,
  };
}

function versionAtLeast(version: string, min: [number, number]): boolean {
  const [maj = 0, minor = 0] = version.split(".").map((x) => Number.parseInt(x, 10));
  return maj > min[0] || (maj === min[0] && minor >= min[1]);
}
