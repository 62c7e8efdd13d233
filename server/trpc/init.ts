import { initTRPC, TRPCError } from "@trpc/server";
import { z } from "zod";
import { isPanelError } from "../core/errors";
import { VIEWER_EXPENSIVE_CONCURRENCY } from "../core/limits";
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
      // zod's own message is its issues as JSON; say it in words (the issues stay in data).
      ...(cause instanceof z.ZodError ? { message: inputProblem(cause.issues) } : {}),
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

/** zod issues in words: "invalid input: runId: must look like panel_run_…; path: …". */
export function inputProblem(issues: ReadonlyArray<{ path: readonly PropertyKey[]; message: string }>): string {
  const parts = issues.slice(0, 8).map((i) => `${i.path.map(String).join(".") || "input"}: ${i.message}`);
  return `invalid input — ${parts.join("; ")}${issues.length > 8 ? `; and ${issues.length - 8} more` : ""}`;
}

/** The input of a procedure that takes none: sending one is a mistake worth saying, not ignoring. */
export const noInput = z.undefined({ error: "this procedure takes no input: call it without one" });

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(mapErrors);
/** Read-only: any authenticated caller (viewer or operator). */
export const viewerProcedure = publicProcedure;
/**
 * Read-only but expensive (overlap of every worker pair, the doctor's probes, full diffs): a viewer
 * session may have at most VIEWER_EXPENSIVE_CONCURRENCY of them under way; more are refused with
 * TOO_MANY_REQUESTS instead of queueing work on the server.
 */
const viewerInFlight = new WeakMap<object, number>();
export async function withViewerLimit<T>(ctx: TrpcContext, fn: () => Promise<T>): Promise<T> {
  if (ctx.role !== "viewer") return fn();
  const n = viewerInFlight.get(ctx.panel) ?? 0;
  if (n >= VIEWER_EXPENSIVE_CONCURRENCY) {
    throw new TRPCError({ code: "TOO_MANY_REQUESTS", message: "the panel is still working on your earlier requests (overlap, doctor or full diffs); try again in a moment" });
  }
  viewerInFlight.set(ctx.panel, n + 1);
  try {
    return await fn();
  } finally {
    viewerInFlight.set(ctx.panel, (viewerInFlight.get(ctx.panel) ?? 1) - 1);
  }
}
export const expensiveProcedure = viewerProcedure.use(({ ctx, next }) => withViewerLimit(ctx, () => next()));

/** State-changing: operators only. */
export const operatorProcedure = publicProcedure.use(({ ctx, next }) => {
  if (ctx.role !== "operator") {
    throw new TRPCError({ code: "FORBIDDEN", message: "this session is read-only (viewer token); use the operator token to make changes" });
  }
  return next();
});
