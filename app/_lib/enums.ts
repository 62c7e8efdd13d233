import type { Mode, RunStatus } from "@/server/core/enums";

/*
 * Client copies of the ARCHITECTURE.md §2 enums the UI offers as choices. They are typed against the
 * server's enums (type-only import, so zod stays out of the browser bundle); the checks below
 * fail to compile when the server adds a value that is missing here.
 */
export const RUN_STATUSES = [
  "planned", "running", "completed", "blocked", "failed", "degraded", "stop_requested", "stopped", "resumable",
] as const satisfies readonly RunStatus[];

export const MODES = ["review", "critique", "draft", "commit"] as const satisfies readonly Mode[];

type Exhaustive<T> = [T] extends [never] ? true : false;
const runStatusesComplete: Exhaustive<Exclude<RunStatus, (typeof RUN_STATUSES)[number]>> = true;
const modesComplete: Exhaustive<Exclude<Mode, (typeof MODES)[number]>> = true;
void runStatusesComplete;
void modesComplete;

export const isRunStatus = (value: string): value is RunStatus => (RUN_STATUSES as readonly string[]).includes(value);

/** "stop_requested" → "stop requested". */
export const humanize = (value: string) => value.replace(/_/g, " ");
