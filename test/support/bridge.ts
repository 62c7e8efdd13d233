import { execFileSync } from "node:child_process";
import { Tmux } from "@/server/bridge/tmux";
import type { Panel } from "@/server/panel/panel";
import { Supervisor } from "@/server/supervisor/supervisor";
import { makeFakeCodex, type FakeCodexScript } from "./fake-codex.ts";
import { callerFor, closePanel, openTestPanel } from "./panel";
import { makeRepo, removeDir, tempDir } from "./repo";
import { waitFor } from "./wait";

export interface BridgeHarness {
  panel: Panel;
  repo: string;
  api: ReturnType<typeof callerFor>;
  tmux: Tmux;
  dir: string;
  codex: string;
  supervisor: Supervisor;
  cleanup(): Promise<void>;
}

export interface BridgeHarnessOptions {
  /** Absolute path of a codex binary to use instead of the scripted fake (e.g. the real one: see codex-env.ts). */
  codexBin?: string;
  /** More folders the agents' sandbox lets them write (besides the harness's own). */
  extraWritable?: string[];
}

/** A panel with a throw-away tmux socket, a temp repo, a scripted fake codex and a fast supervisor. */
export async function bridgeHarness(script: FakeCodexScript, files?: Record<string, string>, options: BridgeHarnessOptions = {}): Promise<BridgeHarness> {
  const dir = tempDir("ltp-bridge-");
  const codex = options.codexBin ?? (await makeFakeCodex(dir, script));
  // The fake codex keeps its script and records in `dir`: a folder the sandbox lets it write.
  const panel = openTestPanel({ agentBins: { codex, claude: "claude", command: "longtable-agent" }, sandboxWritable: [dir, ...(options.extraWritable ?? [])] });
  const repo = makeRepo(files);
  const supervisor = new Supervisor(panel, { pollMs: 100 });
  panel.supervisor = supervisor;
  await supervisor.start();
  const tmux = new Tmux(panel.config.tmuxSocket);
  return {
    panel, repo, api: callerFor(panel), tmux, dir, codex, supervisor,
    async cleanup() {
      await supervisor.stop();
      await tmux.killServer();
      await closePanel(panel);
      for (const d of [repo, dir, panel.config.dataDir]) removeDir(d);
    },
  };
}

export async function waitForRunStatus(h: { api: BridgeHarness["api"] }, runId: string, statuses: string[], timeoutMs = 30_000) {
  return waitFor(async () => {
    const run = await h.api.runs.get({ runId });
    return statuses.includes(run.status) ? run : undefined;
  }, `run ${runId} to reach ${statuses.join("/")}`, timeoutMs);
}

export function gitIn(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

export const resultFor = (role: string, label: string, extra: Record<string, unknown> = {}) => ({
  role, label, status: "completed", summary: `${label} looked at it.`, claims: [`${role} claim`], objections: [], openQuestions: [], evidenceRefs: [], error: "", ...extra,
});
