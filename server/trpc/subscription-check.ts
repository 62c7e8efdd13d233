/**
 * Subscriptions refuse bad input with a 4xx too. tRPC answers every SSE request 200 and reports
 * an input error as the stream's first event; the route handler asks this first, so a malformed
 * input or an unknown run gets the same 400/404 (and message) a query would — before any stream.
 */
import { TRPCError, getTRPCErrorFromUnknown } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { isPanelError } from "../core/errors";
import type { Panel } from "../panel/panel";
import { getRun } from "../panel/runs/queries";
import { inputProblem } from "./init";
import { appRouter } from "./root";

interface ProcedureDef {
  _def: { type: string; inputs: Array<{ parse(input: unknown): unknown }> };
}

/** The refusal (status and tRPC-shaped body) for a subscription request with bad input, or undefined when it may start. */
export function subscriptionRefusal(panel: Panel, path: string, rawInput: string | null): { status: number; body: unknown } | undefined {
  const procedure = (appRouter._def.procedures as unknown as Record<string, ProcedureDef | undefined>)[path];
  if (!procedure || procedure._def.type !== "subscription") return undefined;
  try {
    let input: unknown;
    try {
      input = rawInput === null ? undefined : JSON.parse(rawInput);
    } catch {
      throw new TRPCError({ code: "PARSE_ERROR", message: "input is not JSON: send ?input=<JSON object>" });
    }
    let parsed: unknown = input;
    for (const parser of procedure._def.inputs) parsed = parser.parse(input);
    const runId = (parsed as { runId?: unknown } | undefined)?.runId;
    if (typeof runId === "string") getRun(panel, runId);
    return undefined;
  } catch (cause) {
    const error = isPanelError(cause) ? new TRPCError({ code: cause.code, message: cause.message }) : getTRPCErrorFromUnknown(cause);
    const issues = (cause as { issues?: Array<{ path: PropertyKey[]; message: string }> }).issues;
    const code = issues ? "BAD_REQUEST" : error.code;
    const status = issues ? 400 : getHTTPStatusCodeFromError(error);
    const message = issues ? inputProblem(issues) : error.message;
    return { status, body: { error: { message, code: -32600, data: { code, httpStatus: status, path } } } };
  }
}
