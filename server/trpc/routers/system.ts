import { signOutEverywhere } from "../../http/sessions";
import { doctor } from "../../panel/doctor";
import { expensiveProcedure, operatorProcedure, router, viewerProcedure } from "../init";

export const systemRouter = router({
  doctor: expensiveProcedure.query(({ ctx }) => doctor(ctx.panel)),
  whoami: viewerProcedure.query(({ ctx }) => ({ role: ctx.role })),
  /** End every browser session (this one too); bearer-token scripts keep working. */
  signOutEverywhere: operatorProcedure.mutation(({ ctx }) => signOutEverywhere(ctx.panel.config.dataDir)),
});
