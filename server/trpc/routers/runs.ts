import {
  createRun, createRunInputSchema, getRun, listRuns, listRunsInputSchema, runIdInputSchema,
} from "../../panel/runs";
import { operatorProcedure, router, viewerProcedure } from "../init";

export const runsRouter = router({
  list: viewerProcedure.input(listRunsInputSchema).query(({ ctx, input }) => listRuns(ctx.panel, input)),
  get: viewerProcedure.input(runIdInputSchema).query(({ ctx, input }) => getRun(ctx.panel, input.runId)),
  create: operatorProcedure.input(createRunInputSchema).mutation(({ ctx, input }) => createRun(ctx.panel, input)),
});
