import { z } from "zod";
import { addRepo, listRepos } from "../../panel/repos";
import { indexRepoRuns } from "../../panel/runs/rebuild";
import { operatorProcedure, router, viewerProcedure } from "../init";

export const reposRouter = router({
  list: viewerProcedure.query(({ ctx }) => listRepos(ctx.panel)),
  add: operatorProcedure
    .input(z.object({ path: z.string().min(1).max(4096) }))
    .mutation(async ({ ctx, input }) => {
      const repo = await addRepo(ctx.panel, input.path);
      // Its existing runs (the LongTable CLI's among them) are listed at once.
      const indexed = await indexRepoRuns(ctx.panel, repo);
      return { ...repo, runs: indexed.runs, rejected: indexed.rejected };
    }),
});
