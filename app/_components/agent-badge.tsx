/**
 * Which agent plays a member (codex, Claude Code, the command agent), shown the same way on
 * every page. Records without an agent (older runs, the LongTable CLI's) are codex.
 */

import type { AgentId } from "@/server/core/enums";

/** Client copy of the agent ids (type-checked against the server's: a new agent must be added here). */
export const AGENT_IDS = ["codex", "claude", "command"] as const satisfies readonly AgentId[];
const agentsComplete: [Exclude<AgentId, (typeof AGENT_IDS)[number]>] extends [never] ? true : false = true;
void agentsComplete;

export const AGENT_LABELS: Record<AgentId, string> = { codex: "Codex", claude: "Claude Code", command: "Command" };

export function agentLabel(agent: string | undefined): string {
  return AGENT_LABELS[(agent ?? "codex") as AgentId] ?? agent ?? "Codex";
}

/** "$0.0123" (4 decimals below a dollar, 2 above). */
export function formatCost(usd: number): string {
  return usd >= 1 ? `$${usd.toFixed(2)}` : `$${usd.toFixed(4)}`;
}

export function AgentBadge({ agent, model }: { agent: string | undefined; model?: string }) {
  const id = agent ?? "codex";
  return (
    <span className={`tag tag-agent tag-agent-${id}`} data-testid="agent-badge" data-agent={id} title={model ? `${agentLabel(id)}, model ${model}` : agentLabel(id)}>
      {agentLabel(id)}
      {model ? <span className="tag-agent-model"> · {model}</span> : null}
    </span>
  );
}
