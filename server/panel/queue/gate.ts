/**
 * Which check a queue candidate must pass (ARCHITECTURE.md §7 "Merge queue", §10): the `check`
 * of the `.longtable-panel.json` the *target* holds now — never the candidate's, which a worker
 * could have rewritten — and only when the operator approved that exact text (by sha256, the same
 * approval setup needs). No config, or a config without a check: a clean merge is enough. A check
 * waiting for approval, or an invalid config, stops the queue with what to do.
 */
import { allocatePorts } from "../../bridge/ports";
import type { PanelRun } from "../../core/records";
import { repoConfigAt } from "../config/repo-config";
import { CONFIG_FILE, configEnv, issuesText, panelVariables } from "../config/schema";
import { takenPorts } from "../config/workspace";
import type { Panel } from "../panel";
import type { CheckPlan } from "./check";

export type CheckDecision = { kind: "none" } | { kind: "run"; plan: CheckPlan } | { kind: "hold"; reason: string };
export type CheckDecider = (panel: Panel, run: PanelRun, targetCommit: string, workerId: string) => Promise<CheckDecision>;

const deciders = new WeakMap<Panel, CheckDecider>();

/** Tests: decide the gate some other way for this panel. */
export function setCheckDecider(panel: Panel, decider: CheckDecider | undefined): void {
  if (decider) deciders.set(panel, decider);
  else deciders.delete(panel);
}

/** Does a candidate of `workerId` on `targetCommit` need a check, and which? */
export function decideCheck(panel: Panel, run: PanelRun, targetCommit: string, workerId: string): Promise<CheckDecision> {
  return (deciders.get(panel) ?? configCheck)(panel, run, targetCommit, workerId);
}

async function configCheck(panel: Panel, run: PanelRun, targetCommit: string, workerId: string): Promise<CheckDecision> {
  const repo = run.workingDirectory;
  const at = `${run.mergeQueue?.target ?? "the target"} (${targetCommit.slice(0, 12)})`;
  const s = await repoConfigAt(panel, repo, targetCommit);
  if (s.state === "none") return { kind: "none" };
  if (s.state === "invalid") {
    return { kind: "hold", reason: `${CONFIG_FILE} at ${at} is invalid (${issuesText(s.issues)}), so its check cannot run: fix it and commit, then resume the queue` };
  }
  if (!s.config.check) return { kind: "none" };
  if (s.state === "needs_approval") {
    return { kind: "hold", reason: `the check in ${CONFIG_FILE} at ${at} is not approved (sha256 ${s.sha256.slice(0, 12)}…): read and approve it in Settings → Repository setup (repos.approveConfig), then resume the queue` };
  }
  const worker = run.workers.find((w) => w.id === workerId);
  const want = s.config.ports ?? 0;
  // Ports for the check's own servers, free now (held only while it runs).
  const ports = want > 0 ? await panel.locks.run("ports", () => allocatePorts(want, panel.config.portRange, takenPorts(panel, { runId: "", workerId: "" }))) : [];
  const vars = panelVariables({ runId: run.id, workerId, role: worker?.role ?? "", promptFile: worker?.taskPath ?? "", ports });
  return {
    kind: "run",
    plan: { sha256: s.sha256, ...(s.config.setup ? { setup: s.config.setup } : {}), check: s.config.check, env: { ...configEnv(s.config, vars), ...vars }, copy: s.config.copy ?? [] },
  };
}
