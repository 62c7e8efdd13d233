/**
 * What one agent turn of a worker gets from the repository config (ARCHITECTURE.md §10): the
 * panel's variables (run, worker, role, prompt file, ports), the config's `env`, and — on the
 * turn that follows the workspace's preparation, never on a follow-up — its `setup` command.
 * The config text is the one the worker was launched with, looked up among the texts the operator
 * approved (data dir): a record can name a text, never supply one.
 */
import type { PanelRun, PanelWorker } from "../../core/records";
import type { Panel } from "../panel";
import { approvedText } from "./approvals";
import { configEnv, panelVariables, parseRepoConfig, type RepoConfig } from "./schema";

/** The worker's ports as the record has them, kept only when they are port numbers. */
export function portsOf(worker: Pick<PanelWorker, "ports">): number[] {
  const p = worker.ports as unknown;
  return Array.isArray(p) ? p.filter((x): x is number => Number.isInteger(x) && x > 0 && x < 65536).slice(0, 64) : [];
}

/** The approved config the worker was launched with, when it has one. */
export function workerConfig(panel: Panel, run: PanelRun, worker: PanelWorker): RepoConfig | undefined {
  const sha = worker.setup?.sha256;
  if (typeof sha !== "string" || worker.setup?.state === "awaiting_approval") return undefined;
  const text = approvedText(panel, run.workingDirectory, sha);
  return text === undefined ? undefined : parseRepoConfig(text).config;
}

export interface TurnWorkspace {
  /** The panel's variables and the config's env (the panel's own win over the config's). */
  env: Record<string, string>;
  /** The setup command this turn runs before the agent. */
  setup?: string;
}

export function turnWorkspace(panel: Panel, run: PanelRun, worker: PanelWorker, turn: { promptFile: string; followUp: boolean }): TurnWorkspace {
  const vars = panelVariables({ runId: run.id, workerId: worker.id, role: worker.role, promptFile: turn.promptFile, ports: portsOf(worker) });
  const config = workerConfig(panel, run, worker);
  const setup = !turn.followUp && worker.setup?.state === "running" ? config?.setup : undefined;
  return { env: { ...configEnv(config, vars), ...vars }, ...(setup ? { setup } : {}) };
}
