"use client";

import { useQueryClient, type Query } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useCallback, useEffect, useRef, useState } from "react";
import { applyEventToSummary } from "@/app/runs/[runId]/_model/run-reducer";
import { eventData, type BusEvent } from "@/app/_lib/live";
import { notifyIfBackground } from "@/app/_lib/notify";
import type { RunSummary } from "@/app/_lib/types";
import { useTRPC } from "@/app/_trpc/client";
import { liveStateOf, type LiveState } from "./live-indicator";

interface InfinitePages {
  pages: { items: RunSummary[]; nextCursor: string | null }[];
  pageParams: unknown[];
}

/** The list input a runs.list query was made with (tRPC keys are [path, {input, type}]). */
function listInput(query: Query): { status?: string; repoId?: string } {
  const meta = query.queryKey[1] as { input?: { status?: string; repoId?: string } } | undefined;
  return meta?.input ?? {};
}

/**
 * Keeps the cached runs lists current from `events.onAll`: known rows get the status and last
 * decision each event carries; a run that is new to a list (created, or moved into a filtered
 * status) makes that list refetch once (coalesced); a row that left a status filter is dropped.
 */
export function useRunsListLive(): { state: LiveState; reconnect: () => void } {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const seen = useRef(new Set<number>());
  const [wasLive, setWasLive] = useState(false);
  const stale = useRef(new Set<string>());
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => () => {
    if (timer.current) clearTimeout(timer.current);
  }, []);

  const refetchSoon = useCallback(
    (hash: string) => {
      stale.current.add(hash);
      if (timer.current) return;
      timer.current = setTimeout(() => {
        timer.current = null;
        const hashes = stale.current;
        stale.current = new Set();
        void queryClient.invalidateQueries({ ...trpc.runs.list.pathFilter(), predicate: (q) => hashes.has(q.queryHash) });
      }, 300);
    },
    [queryClient, trpc],
  );

  const onEvent = useCallback(
    (e: BusEvent) => {
      if (seen.current.has(e.seq)) return;
      seen.current.add(e.seq);
      notifyIfBackground(e, { runLabel: `Run ${e.runId}` });
      const run = eventData(e)?.run;
      const queries = queryClient.getQueryCache().findAll({ queryKey: trpc.runs.list.infiniteQueryKey() });
      for (const query of queries) {
        const data = query.state.data as InfinitePages | undefined;
        if (!data?.pages) continue;
        const input = listInput(query);
        const known = data.pages.some((p) => p.items.some((r) => r.id === e.runId));
        if (!known) {
          // A run this list does not show: new, or now matching the list's status filter.
          if (e.type === "run_created" || (input.status && run?.status === input.status)) refetchSoon(query.queryHash);
          continue;
        }
        queryClient.setQueryData<InfinitePages>(query.queryKey, (old) => {
          if (!old?.pages) return old;
          const pages = old.pages.map((p) => {
            const items = p.items
              .map((r) => applyEventToSummary(r, e))
              .filter((r) => !input.status || r.id !== e.runId || r.status === input.status);
            return { ...p, items };
          });
          return { ...old, pages };
        });
      }
    },
    [queryClient, refetchSoon, trpc],
  );

  const sub = useSubscription(
    trpc.events.onAll.subscriptionOptions(
      {},
      {
        onData: (envelope) => onEvent(envelope.data as BusEvent),
        onStarted: () => setWasLive(true),
      },
    ),
  );
  return { state: liveStateOf(sub.status, wasLive), reconnect: sub.reset };
}
