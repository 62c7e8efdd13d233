import type { RunView } from "@/app/_lib/types";

export type RunAction = "launch" | "stop" | "resume" | "shutdown";

/** Which run actions the run's state allows (the server checks again and refuses the rest). */
export function allowedActions(run: Pick<RunView, "status" | "bridgeStatus">): Record<RunAction, boolean> {
  const shutDown = run.bridgeStatus === "shutdown";
  return {
    launch: run.status === "planned" && !shutDown,
    stop: run.status === "running" || run.status === "stop_requested",
    resume: (run.status === "stopped" || run.status === "failed") && !shutDown,
    shutdown: !shutDown,
  };
}
