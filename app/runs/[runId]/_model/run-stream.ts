"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { liveStateOf, type LiveState } from "@/app/_components/live-indicator";
import { eventData, type BusEvent } from "@/app/_lib/live";
import { notifyIfBackground } from "@/app/_lib/notify";
import type { RunSummary, RunView } from "@/app/_lib/types";
import { useTRPC } from "@/app/_trpc/client";
import { applyEventToRun, applyEventToSummary, isEmptyStale, needsRunRefetch, staleBetween, touchesQueue, withDecision, withMerge, type DecisionRow, type MergeRow } from "./run-reducer";

/** While the event stream is down (and only then), runs.get is read this often. */
export const STREAM_DOWN_POLL_MS = 5_000;
/** Events that arrive before the run is loaded wait for it (the newest this many). */
const MAX_EARLY = 1_000;

interface InfinitePages {
  pages: { items: RunSummary[]; nextCursor: string | null }[];
  pageParams: unknown[];
}

/**
 * The one live path of a run's pages (the run page, a worker's pages, the run review and the
 * worker review): `runs.get`, and `events.onRun` — the run's backlog, then live; tRPC resends
 * the last seq as lastEventId after a drop, so a reconnect catches up.
 *
 * - Each event is applied once per seq to the `runs.get` cache (and the runs-list rows), and its
 *   `data.merge` / `data.decision` to the `runs.merges`, `workers.merges` and `runs.decisions`
 *   lists where those are cached. Mutations do not invalidate lists of keys: they show their own
 *   response and wait for the event.
 * - When the cached run changes (by an event, a mutation's response or a poll), the queries
 *   derived from the workers that changed are invalidated, and only those (run-reducer.ts
 *   staleBetween): a worker's diff after its head moved, its previews after it was merged…
 * - `runs.get` is polled only while the stream is down.
 *
 * `timeline: true` also keeps the events themselves, ordered by seq (the run page's timeline).
 */
export function useRunStream(runId: string, options: { timeline?: boolean } = {}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const keepTimeline = options.timeline === true;
  const enabled = Boolean(runId);
  const [timeline, setTimeline] = useState<BusEvent[]>([]);
  const [wasLive, setWasLive] = useState(false);
  const seen = useRef(new Set<number>());
  const early = useRef<BusEvent[]>([]);
  const pending = useRef<BusEvent[]>([]);
  const flushTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const refetchTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const queueTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const wasLiveRef = useRef(false);

  // A new run id starts afresh.
  useEffect(() => {
    seen.current = new Set();
    early.current = [];
    pending.current = [];
    setTimeline([]);
    setWasLive(false);
    wasLiveRef.current = false;
  }, [runId]);
  useEffect(
    () => () => {
      if (flushTimer.current) clearTimeout(flushTimer.current);
      if (refetchTimer.current) clearTimeout(refetchTimer.current);
      if (queueTimer.current) clearTimeout(queueTimer.current);
    },
    [],
  );

  const runKey = useMemo(() => trpc.runs.get.queryKey({ runId }), [runId, trpc]);

  const scheduleRunRefetch = useCallback(() => {
    if (refetchTimer.current) return;
    refetchTimer.current = setTimeout(() => {
      refetchTimer.current = null;
      void queryClient.invalidateQueries({ queryKey: runKey, exact: true });
    }, 400);
  }, [queryClient, runKey]);

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

  const onEvent = useCallback(
    (e: BusEvent) => {
      if (e.runId !== runId || seen.current.has(e.seq)) return; // a replay after reconnect: applied already
      seen.current.add(e.seq);

      const cached = queryClient.getQueryData<RunView>(runKey);
      if (cached) {
        const next = applyEventToRun(cached, e);
        if (next !== cached) queryClient.setQueryData<RunView>(runKey, next);
      } else {
        // The run is still loading: apply this once it is there (older snapshots never roll it back).
        early.current.push(e);
        if (early.current.length > MAX_EARLY) early.current.splice(0, early.current.length - MAX_EARLY);
      }
      if (needsRunRefetch(cached, e)) scheduleRunRefetch();

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

      const data = eventData(e);
      if (data?.merge) {
        const merge = data.merge;
        const add = (old: readonly MergeRow[] | undefined) => (old ? (withMerge(old, runId, merge) as MergeRow[]) : old);
        queryClient.setQueryData<MergeRow[]>(trpc.runs.merges.queryKey({ runId }), add);
        queryClient.setQueryData<MergeRow[]>(trpc.workers.merges.queryKey({ runId, workerId: merge.workerId }), add);
      }
      if (data?.decision) {
        const decision = data.decision;
        queryClient.setQueryData<DecisionRow[]>(trpc.runs.decisions.queryKey({ runId }), (old) => (old ? (withDecision(old, decision) as DecisionRow[]) : old));
      }

      // The merge queue (when a page shows it) is read again once a burst of its events has passed.
      if (touchesQueue(e) && !queueTimer.current) {
        queueTimer.current = setTimeout(() => {
          queueTimer.current = null;
          void queryClient.invalidateQueries({ queryKey: trpc.queue.get.queryKey({ runId }) });
        }, 150);
      }

      notifyIfBackground(e, { runLabel: `Run ${runId}` });

      if (keepTimeline) {
        pending.current.push(e);
        if (!flushTimer.current) flushTimer.current = setTimeout(flush, 50);
      }
    },
    [flush, keepTimeline, queryClient, runId, runKey, scheduleRunRefetch, trpc],
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
  const down = state === "reconnecting" || state === "disconnected";

  const run = useQuery(trpc.runs.get.queryOptions({ runId }, { enabled, refetchInterval: down ? STREAM_DOWN_POLL_MS : false }));

  // Events that came before the run: apply them now, in seq order.
  useEffect(() => {
    if (!run.data || early.current.length === 0) return;
    const events = early.current.sort((a, b) => a.seq - b.seq);
    early.current = [];
    queryClient.setQueryData<RunView>(runKey, (old) => (old ? events.reduce(applyEventToRun, old) : old));
  }, [run.data, queryClient, runKey]);

  // Whatever changed the cached run, the queries derived from what changed are stale.
  const previous = useRef<RunView | undefined>(undefined);
  useEffect(() => {
    const before = previous.current;
    const after = run.data;
    previous.current = after;
    if (!before || !after) return;
    const stale = staleBetween(before, after);
    if (isEmptyStale(stale)) return;
    const invalidate = (queryKey: readonly unknown[]) => void queryClient.invalidateQueries({ queryKey });
    for (const workerId of stale.diff) invalidate(trpc.workers.diff.queryKey({ runId, workerId }));
    for (const workerId of stale.previews) {
      if (!stale.allMergePreviews) invalidate(trpc.workers.mergePreview.queryKey({ runId, workerId }));
      invalidate(trpc.workers.discardPreview.queryKey({ runId, workerId }));
    }
    if (stale.allMergePreviews) invalidate(trpc.workers.mergePreview.queryKey({ runId }));
    if (stale.overlap) invalidate(trpc.runs.overlap.queryKey({ runId }));
    if (stale.results) {
      invalidate(trpc.runs.synthesis.queryKey({ runId }));
      invalidate(trpc.runs.result.queryKey({ runId }));
    }
    if (stale.refetchRun) scheduleRunRefetch();
  }, [run.data, queryClient, runId, scheduleRunRefetch, trpc]);

  // (records carry an index signature that tRPC's typing widens: the server type says what arrives)
  return { run, data: run.data as RunView | undefined, timeline, state, reconnect: sub.reset };
}
