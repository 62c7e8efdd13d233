import { doctor } from "../../panel/doctor";
import { router, viewerProcedure } from "../init";

export const systemRouter = router({
  doctor: viewerProcedure.query(({ ctx }) => doctor(ctx.panel)),
  whoami: viewerProcedure.query(({ ctx }) => ({ role: ctx.role })),
});
