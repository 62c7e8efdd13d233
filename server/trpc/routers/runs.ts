import { runSetupView } from "../../panel/config/run-setup";
import { launchRun } from "../../panel/lifecycle/launch";
import { resumeRun, shutdownRun, stopRun } from "../../panel/lifecycle/stop";
import { decide, decideInputSchema, decisions } from "../../panel/results/decisions";
import { runUsage } from "../../panel/results/feed";
import { runResult, runSynthesis } from "../../panel/results/results";
import { listMerges } from "../../panel/review/merge";
import { runOverlap } from "../../panel/review/overlap";
import { createRun } from "../../panel/runs/create";
import { getRun, listRuns } from "../../panel/runs/queries";
import { createRunInputSchema, listRunsInputSchema, runIdInputSchema } from "../../panel/runs/schemas";
import { expensiveProcedure, operatorProcedure, router, viewerProcedure } from "../init";

export const runsRouter = router({
  list: viewerProcedure.input(listRunsInputSchema).query(({ ctx, input }) => listRuns(ctx.panel, input)),
  get: viewerProcedure.input(runIdInputSchema).query(({ ctx, input }) => getRun(ctx.panel, input.runId)),
  result: viewerProcedure.input(runIdInputSchema).query(({ ctx, input }) => runResult(ctx.panel, input.runId)),
  synthesis: viewerProcedure.input(runIdInputSchema).query(({ ctx, input }) => runSynthesis(ctx.panel, input.runId)),
  usage: viewerProcedure.input(runIdInputSchema).query(({ ctx, input }) => (getRun(ctx.panel, input.runId), runUsage(ctx.panel, input.runId))),
  decisions: viewerProcedure.input(runIdInputSchema).query(({ ctx, input }) => decisions(ctx.panel, input.runId)),
  /** Which workers changed the same files / hunks, and which pairs merge cleanly together. */
  overlap: expensiveProcedure.input(runIdInputSchema).query(({ ctx, input }) => runOverlap(ctx.panel, input.runId)),
  /** The repo config's part in the run: each worker's setup phase and ports, and who waits for an approval. */
  setup: viewerProcedure.input(runIdInputSchema).query(({ ctx, input }) => runSetupView(ctx.panel, input.runId)),
  /** Every recorded merge of the run, newest first. */
  merges: viewerProcedure.input(runIdInputSchema).query(({ ctx, input }) => listMerges(ctx.panel, input.runId)),
  decide: operatorProcedure.input(decideInputSchema).mutation(({ ctx, input }) => decide(ctx.panel, input)),
  create: operatorProcedure.input(createRunInputSchema).mutation(({ ctx, input }) => createRun(ctx.panel, input)),
  launch: operatorProcedure.input(runIdInputSchema).mutation(({ ctx, input }) => launchRun(ctx.panel, input.runId)),
  stop: operatorProcedure.input(runIdInputSchema).mutation(({ ctx, input }) => stopRun(ctx.panel, input.runId)),
  resume: operatorProcedure.input(runIdInputSchema).mutation(({ ctx, input }) => resumeRun(ctx.panel, input.runId)),
  shutdown: operatorProcedure.input(runIdInputSchema).mutation(({ ctx, input }) => shutdownRun(ctx.panel, input.runId)),
  /** Check the run's workers now instead of at the next supervisor tick. */
  refresh: operatorProcedure.input(runIdInputSchema).mutation(async ({ ctx, input }) => {
    getRun(ctx.panel, input.runId);
    await ctx.panel.supervisor?.checkRun(input.runId);
    return getRun(ctx.panel, input.runId);
  }),
});
