/**
 * repos.approveConfig (ARCHITECTURE.md §10): the operator approves the exact text of the repo's
 * config at the leader's HEAD — by the sha256 they were shown, so a file that changed meanwhile
 * is never approved blindly — and the workers that waited for it start.
 */
import { z } from "zod";
import { repoIdSchema } from "../../core/ids";
import { changeRun } from "../door";
import { launchWorkers } from "../lifecycle/launch";
import type { Panel } from "../panel";
import { isOwned } from "../runs/ownership";
import { findRun } from "../runs/queries";
import { recordApproval } from "./approvals";
import { configToApprove, configView, type ConfigView } from "./repo-config";

export const approveConfigInputSchema = z.object({
  repoId: repoIdSchema,
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "sha256 is the 64 hex digits repos.config returned for the text you reviewed"),
});

export async function approveConfig(panel: Panel, input: z.infer<typeof approveConfigInputSchema>): Promise<ConfigView & { started: { runId: string; workerIds: string[] }[] }> {
  const { repoPath, text } = await configToApprove(panel, input.repoId, input.sha256);
  await recordApproval(panel, repoPath, input.sha256, text, new Date().toISOString());
  const started = await startWaiting(panel, input.repoId);
  return { ...(await configView(panel, input.repoId)), started };
}

/** Launch the workers (of this panel's runs in the repo) that wait for an approval; each re-checks the config at HEAD. */
export async function startWaiting(panel: Panel, repoId: string): Promise<{ runId: string; workerIds: string[] }[]> {
  const view = await configView(panel, repoId);
  const runIds = [...new Set(view.waiting.map((w) => w.runId))];
  const started: { runId: string; workerIds: string[] }[] = [];
  for (const runId of runIds) {
    const run = findRun(panel, runId);
    if (!run || !isOwned(panel, runId, run.workingDirectory)) continue;
    await changeRun(panel, runId, async (door) => {
      const ids = door.current.workers.filter((w) => w.status === "pending" && w.executionState === "not_started" && w.setup?.state === "awaiting_approval").map((w) => w.id);
      if (ids.length === 0 || door.current.bridgeStatus === "shutdown") return;
      await launchWorkers(panel, door, ids);
      started.push({ runId, workerIds: ids });
    });
  }
  return started;
}
