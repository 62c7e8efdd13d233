import type { RunView } from "@/app/_lib/types";

export type RunAction = "launch" | "stop" | "resume" | "shutdown";

/** Which run actions the run's state allows (the server checks again and refuses the rest). */
export function allowedActions(run: Pick<RunView, "status" | "bridgeStatus" | "workers">): Record<RunAction, boolean> {
  const shutDown = run.bridgeStatus === "shutdown";
  // A planned run whose workers wait for the repo config's approval can be stopped (nothing starts for it later).
  const waiting = run.status === "planned" && run.workers.some((w) => w.setup?.state === "awaiting_approval");
  return {
    launch: run.status === "planned" && !shutDown,
    stop: run.status === "running" || run.status === "stop_requested" || waiting,
    resume: (run.status === "stopped" || run.status === "failed") && !shutDown,
    shutdown: !shutDown,
  };
}
