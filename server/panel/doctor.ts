/**
 * system.doctor: what the panel needs and how to get it — git, tmux, each agent (version,
 * readiness, and whether it can run here), and the sandbox agents run in (the panel's own, or,
 * without it, the agent's own, checked by a trial command; an agent without one of its own —
 * Claude Code, the command agent — is then not offered), and each repository's git state
 * (locked, a merge under way, a merge a crash interrupted).
 */
import { codexSandboxTrial } from "../agents/codex";
import { agentBinSetting, agentSandboxProblem, availableAgents } from "../agents/registry";
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

/** One agent as the doctor found it, and whether members can be played by it here. */
export interface AgentReport extends AgentCheck {
  /** How to install it. */
  install: string;
  /** It has an OS sandbox of its own (else it runs only inside the panel's). */
  ownSandbox: boolean;
  /** A member played by it can launch here: installed, and fenced (its own sandbox or the panel's). */
  usable: boolean;
  /** Why it cannot be chosen, in words (not installed, or no sandbox for it). */
  unusableReason?: string;
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
  const agentReports: AgentReport[] = agentChecks.map((c, i) => {
    const adapter = agents[i]!;
    const fence = agentSandboxProblem(adapter, sandbox.active);
    const unusableReason = !c.installed ? `${c.bin} was not found: ${adapter.install}` : fence ? `${fence}: ${sandbox.fix ?? "see the sandbox check"}` : undefined;
    return { ...c, install: adapter.install, ownSandbox: adapter.ownSandbox, usable: unusableReason === undefined, ...(unusableReason ? { unusableReason } : {}) };
  });
  // What stops every worker: git, tmux, or no agent that can run here at all.
  const missing = checks.filter((c) => !c.ok && (c.name === "git" || c.name === "tmux")).map((c) => c.name);
  if (!agentReports.some((a) => a.usable)) missing.push("agent");
  const sandboxReport: SandboxReport = sandbox.active
    ? { kind: "bubblewrap", active: true, detail: `bubblewrap ${sandbox.version ?? ""}: every agent runs with the filesystem read-only except its worktree, a private /tmp, the run folders, the panel's data, /run/user and the docker socket hidden`.replace("  ", " ") }
    : {
      kind: "agent",
      active: codexSandbox?.ok ?? false,
      detail: `the panel's sandbox is off (${sandbox.reason ?? "unavailable"}); agents rely on their own sandbox${codexSandbox ? (codexSandbox.ok ? " — codex's works" : ` — codex's fails: ${codexSandbox.detail}`) : ""}; agents without one (${agents.filter((a) => !a.ownSandbox).map((a) => a.label).join(", ")}) cannot be chosen`,
      fix: codexSandbox && !codexSandbox.ok ? codexSandbox.fix : sandbox.fix,
    };
  return {
    checks,
    missing,
    agents: agentReports,
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
