/**
 * A queue item's candidate (ARCHITECTURE.md §7 "Merge queue"): the worker's change on top of the
 * target as it is now — which already holds the items merged before it — as squash or commits,
 * built with `merge-tree --write-tree` and `commit-tree` (objects only: no working tree, index or
 * ref changes). The same preview a single merge uses (review/preview.ts), so the conflicts come
 * with the same excerpts.
 */
import { commitTree } from "../../bridge/merge";
import { isPanelError, PanelError } from "../../core/errors";
import type { QueueConflict } from "../../core/queue";
import type { PanelWorker } from "../../core/records";
import type { Panel } from "../panel";
import { loadWorker, type WorkerContext } from "../review/context";
import { identityError, replayCommits } from "../review/merge";
import { buildPreview } from "../review/preview";

export type Candidate =
  | { kind: "clean"; ctx: WorkerContext; head: string; targetCommit: string; commits: string[] }
  | { kind: "up-to-date"; ctx: WorkerContext; head: string; targetCommit: string }
  | { kind: "conflict"; head: string; targetCommit: string; conflicts: QueueConflict[]; reason: string }
  | { kind: "refused"; reason: string; head?: string; targetCommit?: string };

/** The heads the build will use (target now, worker head), before anything is built. */
export async function candidateInputs(panel: Panel, runId: string, workerId: string, target: string) {
  const ctx = await loadWorker(panel, runId, workerId);
  const preview = await buildPreview(ctx, target, false);
  return { ctx, preview };
}

const MAX_CONFLICTS = 20;

/** Build the candidate from a preview made just before (its target commit is the base). */
export async function buildCandidate(ctx: WorkerContext, preview: Awaited<ReturnType<typeof buildPreview>>, strategy: "squash" | "commits"): Promise<Candidate> {
  const { repo, worker } = ctx;
  const at = { head: preview.headCommit, targetCommit: preview.targetCommit };
  if (!preview.clean) {
    const conflicts = preview.conflicts.slice(0, MAX_CONFLICTS).map((c) => ({ path: c.path, types: c.types, ...(c.hunks ? { hunks: c.hunks } : {}) }));
    const list = preview.conflicts.map((c) => c.path);
    return { kind: "conflict", ...at, conflicts, reason: `${list.length} file(s) conflict with ${preview.target} at ${preview.targetCommit.slice(0, 12)}: ${list.slice(0, 10).join(", ")}${list.length > 10 ? ", …" : ""} — send it back to ${worker.label} to rebase and fix, or resolve it in the worker branch and retry` };
  }
  if (preview.upToDate) return { kind: "up-to-date", ctx, ...at };
  if (strategy === "commits" && worker.runtimeLayout !== "panel") {
    return { kind: "refused", ...at, reason: `${worker.label} was run by the LongTable CLI, whose commit mixes the leader edits it carried in: queue it with the squash strategy` };
  }
  try {
    const commits = strategy === "squash"
      ? [await commitTree(repo, preview.resultTree!, [preview.targetCommit], preview.message)]
      : await replayCommits(repo, ctx.base, preview.headCommit, preview.targetCommit);
    if (commits.length === 0) return { kind: "up-to-date", ctx, ...at };
    return { kind: "clean", ctx, ...at, commits };
  } catch (error) {
    const known = identityError(error) ?? (isPanelError(error) ? error : undefined);
    if (known?.code === "CONFLICT") return { kind: "conflict", ...at, conflicts: [], reason: known.message };
    if (known) return { kind: "refused", ...at, reason: known.message };
    throw error;
  }
}

/** Why a worker cannot be built at all (not provisioned, its commits gone, …), in words; undefined when it can. */
export function unbuildable(error: unknown, worker: Pick<PanelWorker, "label">): string | undefined {
  if (error instanceof PanelError || isPanelError(error)) return `${worker.label}: ${(error as PanelError).message}`;
  return undefined;
}
