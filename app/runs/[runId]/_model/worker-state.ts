import type { PanelWorker } from "@/app/_lib/types";

/** Worker statuses in which its worktree (and so its diff and previews) moves by itself. */
export const ACTIVE_WORKER = new Set(["pending", "running", "stop_requested"]);
export const isActiveWorker = (w: Pick<PanelWorker, "status"> | undefined) => Boolean(w && ACTIVE_WORKER.has(w.status));
