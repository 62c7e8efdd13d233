import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { PanelWorker } from "@/server/core/records";
import type { RunView } from "@/server/panel/runs/queries";
import type { AppRouter } from "@/server/trpc/root";

/** What each procedure returns and takes, as the browser sees it (plain JSON, no transformer). */
export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type RouterInputs = inferRouterInputs<AppRouter>;

export type RunSummaryOut = RouterOutputs["runs"]["list"]["items"][number];
/*
 * Run records carry an index signature (`[key: string]: unknown`, for fields from newer CLI
 * versions), which tRPC's JSON-serialization typing widens to `{}`. The API sends these records
 * as plain JSON, so the server's own types describe what arrives.
 */
export type RunOut = RunView;
export type WorkerOut = PanelWorker;
export type RepoOut = RouterOutputs["repos"]["list"][number];
export type RoleOut = RouterOutputs["roles"]["list"][number];
export type DoctorOut = RouterOutputs["system"]["doctor"];
