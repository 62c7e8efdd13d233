import { z } from "zod";
import { repoIdSchema } from "../../core/ids";
import { approveConfig, approveConfigInputSchema } from "../../panel/config/approve";
import { configView } from "../../panel/config/repo-config";
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
  /** The repo's .longtable-panel.json at the leader's HEAD: text, field errors, approval, diff against the approved text, waiting workers. */
  config: viewerProcedure.input(z.object({ repoId: repoIdSchema })).query(({ ctx, input }) => configView(ctx.panel, input.repoId)),
  /** Approve the config text whose sha256 repos.config returned (refused when the file changed since); waiting workers start. */
  approveConfig: operatorProcedure.input(approveConfigInputSchema).mutation(({ ctx, input }) => approveConfig(ctx.panel, input)),
});
