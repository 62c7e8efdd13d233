/**
 * The agents the panel can run, by id (server/agents/README.md "Adding an agent"). A new agent is
 * one folder implementing AgentAdapter plus one line here (and its id in AGENT_IDS).
 */
import { existsSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import type { AgentId } from "../core/enums";
import { claudeAgent } from "./claude";
import { codexAgent } from "./codex";
import { commandAgent } from "./command";
import type { AgentAdapter, EnvVars } from "./types";

const AGENTS: Partial<Record<AgentId, AgentAdapter>> = {
  codex: codexAgent,
  claude: claudeAgent,
  command: commandAgent,
};

export function agentFor(id: AgentId): AgentAdapter {
  const agent = AGENTS[id];
  if (!agent) throw new Error(`the ${id} agent is not available in this version`);
  return agent;
}

export function availableAgents(): AgentAdapter[] {
  return Object.values(AGENTS).filter((a): a is AgentAdapter => a !== undefined);
}

/** The agent's configured binary (the panel's config: LONGTABLE_<AGENT>_BIN, else its usual name). */
export function agentBinSetting(agent: AgentAdapter, bins: Partial<Record<AgentId, string>>): string {
  return bins[agent.id] || agent.binSetting.fallback;
}

/** Extra arguments from the agent's LONGTABLE_<AGENT>_ARGS (a JSON array of strings). */
export function agentExtraArgs(agent: AgentAdapter, env: EnvVars = process.env): string[] {
  const raw = env[agent.argsSetting];
  if (!raw) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`${agent.argsSetting} must be a JSON array of strings`);
  }
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === "string" && !a.includes("\0"))) {
    throw new Error(`${agent.argsSetting} must be a JSON array of strings`);
  }
  return parsed;
}

/** The folder of an agent's plain-node helpers (result.mjs, pane.mjs), for the launcher. */
export function agentModuleDir(projectRoot: string, id: AgentId): string {
  const dir = join(projectRoot, "server", "agents", id);
  if (!isAbsolute(dir) || !existsSync(resolve(dir))) throw new Error(`agent folder ${dir} is missing`);
  return dir;
}

/**
 * Why an agent cannot run with the sandbox as it is, or undefined when it can: an agent without
 * an OS sandbox of its own runs only inside the panel's (a preflight reason `<id>:sandbox-required`).
 */
export function agentSandboxProblem(agent: AgentAdapter, panelSandboxActive: boolean): string | undefined {
  if (panelSandboxActive || agent.ownSandbox) return undefined;
  return `${agent.label} has no sandbox of its own, and the panel's sandbox (bubblewrap) is not available here: it runs only inside the panel's sandbox`;
}
