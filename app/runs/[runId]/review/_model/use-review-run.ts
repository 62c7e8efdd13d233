"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useEffect, useRef } from "react";
import { LIVE_POLL_MS } from "@/app/_components/diff/model/use-diff";
import type { BusEvent } from "@/app/_lib/live";
import type { RunView, PanelWorker } from "@/app/_lib/types";
import { useTRPC } from "@/app/_trpc/client";

/** Worker statuses in which its diff moves by itself. */
export const ACTIVE_WORKER = new Set(["pending", "running", "stop_requested"]);
export const isActiveWorker = (w: Pick<PanelWorker, "status"> | undefined) => Boolean(w && ACTIVE_WORKER.has(w.status));

/**
 * The run for the review pages: `runs.get`, polled every 2 s while a worker is active, and
 * refreshed (with every review query of the run) when an event of this run arrives. The stream
 * is `events.onAll` (live from now, no replay of the run's history), filtered to this run.
 */
export function useReviewRun(runId: string) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const run = useQuery(
    trpc.runs.get.queryOptions(
      { runId },
      { refetchInterval: (q) => ((q.state.data as RunView | undefined)?.workers.some(isActiveWorker) ? LIVE_POLL_MS : false) },
    ),
  );

  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => () => {
    if (timer.current) clearTimeout(timer.current);
  }, []);
  const sub = useSubscription(
    trpc.events.onAll.subscriptionOptions(
      {},
      {
        enabled: Boolean(runId),
        onData: (envelope) => {
          const e = envelope.data as BusEvent;
          if (e.runId !== runId || timer.current) return;
          timer.current = setTimeout(() => {
            timer.current = null;
            void queryClient.invalidateQueries({ queryKey: trpc.runs.get.queryKey({ runId }) });
            void queryClient.invalidateQueries({ queryKey: trpc.runs.overlap.queryKey({ runId }) });
            void queryClient.invalidateQueries({ queryKey: trpc.runs.merges.queryKey({ runId }) });
            for (const proc of [trpc.workers.diff, trpc.workers.mergePreview, trpc.workers.merges, trpc.workers.discardPreview] as const) {
              void queryClient.invalidateQueries({ queryKey: proc.queryKey(), predicate: (q) => (q.queryKey[1] as { input?: { runId?: string } } | undefined)?.input?.runId === runId });
            }
          }, 300);
        },
      },
    ),
  );

  return { run, runOut: run.data as RunView | undefined, streamStatus: sub.status };
}
