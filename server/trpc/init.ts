import { initTRPC, TRPCError } from "@trpc/server";
import { z } from "zod";
import { isPanelError } from "../core/errors";
import type { Panel } from "../panel/panel";

export type Role = "operator" | "viewer";

export interface TrpcContext {
  panel: Panel;
  role: Role;
}

const t = initTRPC.context<TrpcContext>().create({
  // Pings keep SSH tunnels and proxies from closing idle event streams; the client reconnects
  // (resuming from lastEventId) when it hears nothing for longer than that.
  sse: {
    ping: { enabled: true, intervalMs: 10_000 },
    client: { reconnectAfterInactivityMs: 25_000 },
  },
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    return {
      ...shape,
      data: {
        ...shape.data,
        zodIssues: cause instanceof z.ZodError ? cause.issues : undefined,
        stack: undefined,
      },
    };
  },
});

/** Domain errors (PanelError) become tRPC errors with the same code and message. */
const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && isPanelError(result.error.cause)) {
    const cause = result.error.cause;
    throw new TRPCError({ code: cause.code, message: cause.message, cause });
  }
  return result;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(mapErrors);
/** Read-only: any authenticated caller (viewer or operator). */
export const viewerProcedure = publicProcedure;
/** State-changing: operators only. */
export const operatorProcedure = publicProcedure.use(({ ctx, next }) => {
  if (ctx.role !== "operator") {
    throw new TRPCError({ code: "FORBIDDEN", message: "this session is read-only (viewer token); use the operator token to make changes" });
  }
  return next();
});
