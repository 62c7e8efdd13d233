"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import type { RouterOutputs, PanelWorker } from "@/app/_lib/types";
import { useTRPC } from "@/app/_trpc/client";

export type RunSetupOut = RouterOutputs["runs"]["setup"];
export type WorkerSetupOut = RunSetupOut["workers"][number];

/** Anything in the run that a repo-config event changes: a phase that moves by itself. */
const moving = (d: RunSetupOut | undefined) => d?.workers.some((w) => w.status === "running" && w.setup?.state === "running") ?? false;

/**
 * The repo config's part in the run (runs.setup: phases, ports, who waits for an approval). The
 * run's live events patch the cached run with each worker's `updatedAt`; `workers` given, this
 * refetches when one changes (one caller per page does that), and polls slowly while a setup runs.
 */
export function useRunSetup(runId: string, workers?: readonly PanelWorker[]) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const q = useQuery(trpc.runs.setup.queryOptions({ runId }, { refetchInterval: (s) => (moving(s.state.data) ? 5_000 : false) }));
  const signature = workers?.map((w) => `${w.id}:${w.status}:${w.updatedAt}`).join("|");
  const seen = useRef(signature);
  useEffect(() => {
    if (signature === undefined || signature === seen.current) return;
    seen.current = signature;
    // A fetch still under way was asked before this change (on a first load it has no data, and
    // react-query would hand that fetch back instead of starting one): cancel it, then fetch anew.
    const queryKey = trpc.runs.setup.queryKey({ runId });
    void queryClient.cancelQueries({ queryKey, exact: true }).then(() => queryClient.refetchQueries({ queryKey, exact: true }));
  }, [signature, runId, trpc, queryClient]);
  return q;
}
