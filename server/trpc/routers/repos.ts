import { z } from "zod";
import { addRepo, listRepos } from "../../panel/repos";
import { operatorProcedure, router, viewerProcedure } from "../init";

export const reposRouter = router({
  list: viewerProcedure.query(({ ctx }) => listRepos(ctx.panel)),
  add: operatorProcedure
    .input(z.object({ path: z.string().min(1).max(4096) }))
    .mutation(({ ctx, input }) => addRepo(ctx.panel, input.path)),
});
