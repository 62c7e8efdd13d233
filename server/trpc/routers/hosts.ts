import { checkHost } from "../../panel/hosts/doctor";
import { editHost, fetchHostWorker, hostsWithStatus, registerHost, unregisterHost } from "../../panel/hosts/hosts";
import { hostInputSchema, hostRefSchema, hostWorkerSchema } from "../../panel/hosts/schemas";
import { expensiveProcedure, noInput, operatorProcedure, router, viewerProcedure } from "../init";

export const hostsRouter = router({
  /** The registered hosts with how their connections are doing. */
  list: viewerProcedure.input(noInput).query(({ ctx }) => hostsWithStatus(ctx.panel)),
  add: operatorProcedure.input(hostInputSchema).mutation(({ ctx, input }) => registerHost(ctx.panel, input)),
  update: operatorProcedure.input(hostInputSchema).mutation(({ ctx, input }) => editHost(ctx.panel, input)),
  remove: operatorProcedure.input(hostRefSchema).mutation(({ ctx, input }) => unregisterHost(ctx.panel, input.id)),
  /** The doctor for one host, over SSH (connects when not connected). */
  check: expensiveProcedure.input(hostRefSchema).query(({ ctx, input }) => checkHost(ctx.panel, input.id)),
  /** Fetch a remote worker's branch into the panel's repository now. */
  fetchWorker: operatorProcedure.input(hostWorkerSchema).mutation(({ ctx, input }) => fetchHostWorker(ctx.panel, input.runId, input.workerId)),
});
