"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useCallback, useEffect, useRef, useState } from "react";
import { liveStateOf, type LiveState } from "@/app/_components/live-indicator";
import { eventData, isTerminalRun, type BusEvent } from "@/app/_lib/live";
import { notifyIfBackground } from "@/app/_lib/notify";
import type { RunView, RunSummary } from "@/app/_lib/types";
import { useTRPC } from "@/app/_trpc/client";
import { applyEventToRun, applyEventToSummary } from "./apply-event";

/** Events after which fields outside the event snapshot (diagnostics, cleanup) changed: refetch the run once. */
const REFETCH_AFTER = new Set(["preflight_failed", "shutdown_requested", "cleanup_failed", "resume_requested"]);
/** Events after which worker results (and so the synthesis) changed. */
const RESULTS_CHANGED = new Set(["worker_result", "worker_failed", "resume_requested"]);

interface InfinitePages {
  pages: { items: RunSummary[]; nextCursor: string | null }[];
  pageParams: unknown[];
}

/**
 * The run's lifecycle events, live: subscribes to `events.onRun` (the whole backlog, then new
 * events; on a reconnect tRPC resends the last seq as lastEventId), applies each event exactly
 * once to the `runs.get` cache and the runs-list rows, and keeps the timeline (ordered by seq).
 */
export function useRunLive(runId: string, options: { enabled?: boolean } = {}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [timeline, setTimeline] = useState<BusEvent[]>([]);
  const seen = useRef(new Set<number>());
  const pending = useRef<BusEvent[]>([]);
  const flushTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const refetchTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const [wasLive, setWasLive] = useState(false);
  const wasLiveRef = useRef(false);
  const enabled = Boolean(runId) && options.enabled !== false;

  // A new run id starts a fresh timeline.
  useEffect(() => {
    seen.current = new Set();
    pending.current = [];
    setTimeline([]);
    setWasLive(false);
    wasLiveRef.current = false;
  }, [runId]);

  useEffect(
    () => () => {
      if (flushTimer.current) clearTimeout(flushTimer.current);
      if (refetchTimer.current) clearTimeout(refetchTimer.current);
    },
    [],
  );

  const flush = useCallback(() => {
    flushTimer.current = null;
    const batch = pending.current;
    pending.current = [];
    if (batch.length === 0) return;
    setTimeline((prev) => {
      const merged = prev.concat(batch);
      // Events arrive in seq order; a sort keeps the order right even if a batch straddles a reconnect.
      for (let i = prev.length; i < merged.length; i++) {
        if (i > 0 && merged[i - 1]!.seq > merged[i]!.seq) return merged.sort((a, b) => a.seq - b.seq);
      }
      return merged;
    });
  }, []);

  const scheduleRunRefetch = useCallback(() => {
    if (refetchTimer.current) return;
    refetchTimer.current = setTimeout(() => {
      refetchTimer.current = null;
      void queryClient.invalidateQueries({ queryKey: trpc.runs.get.queryKey({ runId }) });
    }, 400);
  }, [queryClient, runId, trpc]);

  const onEvent = useCallback(
    (e: BusEvent) => {
      if (seen.current.has(e.seq)) return; // a replay after reconnect: applied already
      seen.current.add(e.seq);

      const runKey = trpc.runs.get.queryKey({ runId });
      const before = queryClient.getQueryData<RunView>(runKey);
      queryClient.setQueryData<RunView>(runKey, (old) => (old ? applyEventToRun(old, e) : old));

      // Keep the runs list rows (if cached) in step, so going back shows the same state.
      queryClient.setQueriesData<InfinitePages>({ queryKey: trpc.runs.list.infiniteQueryKey() }, (old) => {
        if (!old?.pages) return old;
        let changed = false;
        const pages = old.pages.map((p) => {
          if (!p.items.some((r) => r.id === e.runId)) return p;
          changed = true;
          return { ...p, items: p.items.map((r) => applyEventToSummary(r, e)) };
        });
        return changed ? { ...old, pages } : old;
      });

      if (e.type === "decision_recorded") void queryClient.invalidateQueries({ queryKey: trpc.runs.decisions.queryKey({ runId }) });
      if (RESULTS_CHANGED.has(e.type)) {
        void queryClient.invalidateQueries({ queryKey: trpc.runs.synthesis.queryKey({ runId }) });
        void queryClient.invalidateQueries({ queryKey: trpc.runs.result.queryKey({ runId }) });
      }
      const status = eventData(e)?.run.status;
      const becameTerminal = status && isTerminalRun(status) && before && !isTerminalRun(before.status);
      if (REFETCH_AFTER.has(e.type) || becameTerminal) scheduleRunRefetch();

      notifyIfBackground(e, { runLabel: `Run ${runId}` });

      pending.current.push(e);
      if (!flushTimer.current) flushTimer.current = setTimeout(flush, 50);
    },
    [flush, queryClient, runId, scheduleRunRefetch, trpc],
  );

  const sub = useSubscription(
    trpc.events.onRun.subscriptionOptions(
      { runId },
      {
        enabled,
        onData: (envelope) => onEvent(envelope.data as BusEvent),
        onStarted: () => {
          // After a reconnect, fields no event carries (usage patches, diagnostics) may have moved: one refetch.
          if (wasLiveRef.current) scheduleRunRefetch();
          wasLiveRef.current = true;
          setWasLive(true);
        },
      },
    ),
  );

  const state: LiveState = enabled ? liveStateOf(sub.status, wasLive) : "disconnected";
  return { timeline, state, reconnect: sub.reset, error: sub.error };
}
