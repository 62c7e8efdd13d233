import { z } from "zod";
import { repoIdSchema } from "../../core/ids";
import { approveConfig, approveConfigInputSchema } from "../../panel/config/approve";
import { configView } from "../../panel/config/repo-config";
import { addRepo, listRepos } from "../../panel/repos";
import { indexRepoRuns } from "../../panel/runs/rebuild";
import { repoHealth } from "../../panel/review/health";
import { recoverMerges } from "../../panel/review/recover";
import { noInput, operatorProcedure, router, viewerProcedure } from "../init";

export const reposRouter = router({
  list: viewerProcedure.input(noInput).query(({ ctx }) => listRepos(ctx.panel)),
  add: operatorProcedure
    .input(z.object({ path: z.string().min(1).max(4096) }))
    .mutation(async ({ ctx, input }) => {
      const repo = await addRepo(ctx.panel, input.path);
      // Its existing runs (the LongTable CLI's among them) are listed at once.
      const indexed = await indexRepoRuns(ctx.panel, repo);
      return { ...repo, runs: indexed.runs, rejected: indexed.rejected };
    }),
  /** What keeps git from working in each repo (stale lock, the user's merge under way, an interrupted merge) and what to do. */
  status: viewerProcedure
    .input(z.object({ repoId: repoIdSchema.optional() }).strict().optional())
    .query(({ ctx, input }) => repoHealth(ctx.panel, input?.repoId)),
  /** Finish or roll back merges a crash interrupted (as at start), then report the repos again. */
  recover: operatorProcedure
    .input(z.object({ repoId: repoIdSchema.optional() }).strict().optional())
    .mutation(async ({ ctx, input }) => {
      const recovered = await recoverMerges(ctx.panel, input?.repoId);
      return { recovered, repos: await repoHealth(ctx.panel, input?.repoId) };
    }),
  /** The repo's .longtable-panel.json at the leader's HEAD: text, field errors, approval, diff against the approved text, waiting workers. */
  config: viewerProcedure.input(z.object({ repoId: repoIdSchema })).query(({ ctx, input }) => configView(ctx.panel, input.repoId)),
  /** Approve the config text whose sha256 repos.config returned (refused when the file changed since); waiting workers start. */
  approveConfig: operatorProcedure.input(approveConfigInputSchema).mutation(({ ctx, input }) => approveConfig(ctx.panel, input)),
});
