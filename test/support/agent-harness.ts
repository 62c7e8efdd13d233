/**
 * A panel that runs the real codex AND the real Claude Code offline: the scripted Responses API
 * (model-server.ts) for codex members, the scripted Messages API (anthropic-server.ts) for Claude
 * Code members, both on 127.0.0.1, with the environments of codex-env.ts and claude-env.ts in
 * process.env while the panel launches (restored by cleanup). Throw-away tmux socket, temp repo,
 * the panel's bubblewrap sandbox around every agent.
 */
import { startAnthropicServer, type AnthropicServer, type ClaudeScript } from "./anthropic-server";
import { bridgeHarness, type BridgeHarness } from "./bridge";
import { CLAUDE_BIN, claudePanelEnv, makeClaudeEnv, type ClaudeEnv } from "./claude-env";
import { CODEX_BIN, makeCodexEnv, setProcessEnv, type CodexEnv } from "./codex-env";
import { startModelServer, type ModelScript, type ModelServer } from "./model-server";

export interface AgentHarness extends BridgeHarness {
  model: ModelServer;
  anthropic: AnthropicServer;
  codexEnv: CodexEnv;
  claudeEnv: ClaudeEnv;
}

export async function agentHarness(
  scripts: { codex?: ModelScript; claude?: ClaudeScript },
  options: { files?: Record<string, string>; env?: Record<string, string | undefined> } = {},
): Promise<AgentHarness> {
  const model = await startModelServer(scripts.codex ?? {});
  const anthropic = await startAnthropicServer(scripts.claude ?? {});
  const codexEnv = makeCodexEnv(model.baseUrl);
  const claudeEnv = makeClaudeEnv(anthropic.baseUrl);
  const claude = claudePanelEnv(anthropic.baseUrl, claudeEnv.configDir);
  const names = new Set([...(codexEnv.panelEnv.LONGTABLE_AGENT_ENV ?? "").split(","), ...claude.agentEnvNames].filter(Boolean));
  const restoreEnv = setProcessEnv({ ...codexEnv.panelEnv, ...claude.env, LONGTABLE_AGENT_ENV: [...names].join(","), ...options.env });
  const stopServers = async () => {
    restoreEnv();
    await Promise.all([model.close(), anthropic.close()]);
    codexEnv.cleanup();
    claudeEnv.cleanup();
  };
  let h: BridgeHarness;
  try {
    h = await bridgeHarness({}, options.files, { codexBin: CODEX_BIN });
  } catch (error) {
    await stopServers();
    throw error;
  }
  // bridgeHarness names codex only; the panel's config is read at each launch.
  h.panel.config.agentBins.claude = CLAUDE_BIN;
  const harnessCleanup = h.cleanup.bind(h);
  return {
    ...h,
    model,
    anthropic,
    codexEnv,
    claudeEnv,
    async cleanup() {
      try {
        await harnessCleanup();
      } finally {
        await stopServers();
      }
    },
  };
}
