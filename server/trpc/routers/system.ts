import { sandboxStatus } from "../../bridge/sandbox";
import { signOutEverywhere } from "../../http/sessions";
import { doctor } from "../../panel/doctor";
import { expensiveProcedure, operatorProcedure, router, viewerProcedure } from "../init";

export const systemRouter = router({
  doctor: expensiveProcedure.query(({ ctx }) => doctor(ctx.panel)),
  whoami: viewerProcedure.query(({ ctx }) => ({ role: ctx.role })),
  /** Whether agents run inside the panel's own sandbox (the trial runs once per process, so this is cheap: the run page asks). */
  sandbox: viewerProcedure.query(({ ctx }) => sandboxStatus(ctx.panel.config.sandbox)),
  /** End every browser session (this one too); bearer-token scripts keep working. */
  signOutEverywhere: operatorProcedure.mutation(({ ctx }) => signOutEverywhere(ctx.panel.config.dataDir)),
});
