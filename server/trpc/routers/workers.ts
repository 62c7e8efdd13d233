import { z } from "zod";
import { workerIdSchema, runIdSchema } from "../../panel/ids";
import { getWorker } from "../../panel/results";
import { workerActivity, workerTerminal } from "../../panel/terminal";
import { router, viewerProcedure } from "../init";

export const workerRefSchema = z.object({ runId: runIdSchema, workerId: workerIdSchema });

export const workersRouter = router({
  get: viewerProcedure.input(workerRefSchema).query(({ ctx, input }) => getWorker(ctx.panel, input.runId, input.workerId)),
  activity: viewerProcedure
    .input(workerRefSchema.extend({ cursor: z.number().int().min(0).nullish(), limit: z.number().int().min(1).max(2000).optional() }))
    .query(({ ctx, input }) => workerActivity(ctx.panel, input.runId, input.workerId, input.cursor ?? undefined, input.limit)),
  terminal: viewerProcedure.input(workerRefSchema).query(({ ctx, input }) => workerTerminal(ctx.panel, input.runId, input.workerId)),
});
