import { sandboxStatus } from "../../bridge/sandbox";
import { signOutEverywhere } from "../../http/sessions";
import { doctor } from "../../panel/doctor";
import { expensiveProcedure, noInput, operatorProcedure, router, viewerProcedure } from "../init";

export const systemRouter = router({
  doctor: expensiveProcedure.input(noInput).query(({ ctx }) => doctor(ctx.panel)),
  whoami: viewerProcedure.input(noInput).query(({ ctx }) => ({ role: ctx.role })),
  /** Whether agents run inside the panel's own sandbox (the trial runs once per process, so this is cheap: the run page asks). */
  sandbox: viewerProcedure.input(noInput).query(({ ctx }) => sandboxStatus(ctx.panel.config.sandbox)),
  /** End every browser session (this one too); bearer-token scripts keep working. */
  signOutEverywhere: operatorProcedure.input(noInput).mutation(({ ctx }) => signOutEverywhere(ctx.panel.config.dataDir)),
});
