import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/trpc/root";

/*
 * One name per concept, the server's own: a run as runs.get returns it is a `RunView`, a row of
 * runs.list a `RunSummary`, a worker a `PanelWorker`. Run records carry an index signature
 * (`[key: string]: unknown`, for fields from newer CLI versions), which tRPC's JSON-serialization
 * typing widens to `{}`; the API sends these records as plain JSON, so the server's types describe
 * what arrives.
 */
export type { PanelWorker } from "@/server/core/records";
export type { RunSummary, RunView } from "@/server/panel/runs/queries";

/** What each procedure returns and takes, as the browser sees it (plain JSON, no transformer). */
export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type RouterInputs = inferRouterInputs<AppRouter>;

export type RepoOut = RouterOutputs["repos"]["list"][number];
export type RoleOut = RouterOutputs["roles"]["list"][number];
export type DoctorOut = RouterOutputs["system"]["doctor"];
