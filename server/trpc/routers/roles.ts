import { createCustomRole, listRoles } from "../../panel/roles/catalog";
import { customRoleInputSchema } from "../../panel/roles/roles";
import { noInput, operatorProcedure, router, viewerProcedure } from "../init";

export const rolesRouter = router({
  list: viewerProcedure.input(noInput).query(({ ctx }) => listRoles(ctx.panel)),
  create: operatorProcedure.input(customRoleInputSchema).mutation(({ ctx, input }) => createCustomRole(ctx.panel, input)),
});
