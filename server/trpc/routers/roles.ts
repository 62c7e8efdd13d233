import { createCustomRole, listRoles } from "../../panel/roles/catalog";
import { customRoleInputSchema } from "../../panel/roles/roles";
import { operatorProcedure, router, viewerProcedure } from "../init";

export const rolesRouter = router({
  list: viewerProcedure.query(({ ctx }) => listRoles(ctx.panel)),
  create: operatorProcedure.input(customRoleInputSchema).mutation(({ ctx, input }) => createCustomRole(ctx.panel, input)),
});
