import { z } from "zod";
import { workerIdSchema, runIdSchema } from "../../panel/ids";
import { getWorker } from "../../panel/results";
import { router, viewerProcedure } from "../init";

export const workerRefSchema = z.object({ runId: runIdSchema, workerId: workerIdSchema });

export const workersRouter = router({
  get: viewerProcedure.input(workerRefSchema).query(({ ctx, input }) => getWorker(ctx.panel, input.runId, input.workerId)),
});
