import { z } from "zod";
import { workerIdSchema, runIdSchema } from "../../core/ids";
import { getWorker } from "../../panel/results/results";
import { followUpInputSchema, requestFollowUp } from "../../panel/lifecycle/followup";
import { workerActivity, workerTerminal } from "../../panel/results/terminal";
import { cleanupInputSchema, diffInputSchema, discardInputSchema, discardPreviewInputSchema, mergeInputSchema, mergePreviewInputSchema } from "../../panel/review/schemas";
import { workerDiff } from "../../panel/review/diff";
import { mergePreview } from "../../panel/review/preview";
import { listMerges, mergeWorker } from "../../panel/review/merge";
import { cleanupWorker, discardPreview, discardWorker } from "../../panel/review/discard";
import { operatorProcedure, router, viewerProcedure, withViewerLimit } from "../init";

export const workerRefSchema = z.object({ runId: runIdSchema, workerId: workerIdSchema });

export const workersRouter = router({
  get: viewerProcedure.input(workerRefSchema).query(({ ctx, input }) => getWorker(ctx.panel, input.runId, input.workerId)),
  activity: viewerProcedure
    .input(workerRefSchema.extend({ cursor: z.number().int().min(0).nullish(), limit: z.number().int().min(1).max(2000).optional() }))
    .query(({ ctx, input }) => workerActivity(ctx.panel, input.runId, input.workerId, input.cursor ?? undefined, input.limit)),
  terminal: viewerProcedure.input(workerRefSchema).query(({ ctx, input }) => workerTerminal(ctx.panel, input.runId, input.workerId)),
  /** The worker's changes: base..HEAD plus uncommitted worktree changes; hunks of one file with `path`. */
  diff: viewerProcedure.input(diffInputSchema).query(({ ctx, input }) =>
    input.full || (input.context ?? 3) > 50 ? withViewerLimit(ctx, () => workerDiff(ctx.panel, input)) : workerDiff(ctx.panel, input)),
  /** What merging into `target` (default: the run's target branch) would do; changes nothing. */
  mergePreview: viewerProcedure.input(mergePreviewInputSchema).query(({ ctx, input }) => mergePreview(ctx.panel, input)),
  merge: operatorProcedure.input(mergeInputSchema).mutation(({ ctx, input }) => mergeWorker(ctx.panel, input)),
  /** Every recorded merge of this worker, newest first. */
  merges: viewerProcedure.input(workerRefSchema).query(({ ctx, input }) => listMerges(ctx.panel, input.runId, input.workerId)),
  /** What discarding would lose; changes nothing. */
  discardPreview: viewerProcedure.input(discardPreviewInputSchema).query(({ ctx, input }) => discardPreview(ctx.panel, input)),
  /** Without confirm: the same as discardPreview. With confirm: removes the worktree (and the branch with deleteBranch). */
  discard: operatorProcedure.input(discardInputSchema).mutation(({ ctx, input }) => discardWorker(ctx.panel, input)),
  /** Request changes: feedback to the mailbox and a follow-up turn resuming the agent's thread. */
  followUp: operatorProcedure.input(followUpInputSchema).mutation(({ ctx, input }) => requestFollowUp(ctx.panel, input)),
  /** After a merge: remove the clean worktree; delete the branch on request. */
  cleanup: operatorProcedure.input(cleanupInputSchema).mutation(({ ctx, input }) => cleanupWorker(ctx.panel, input)),
});
