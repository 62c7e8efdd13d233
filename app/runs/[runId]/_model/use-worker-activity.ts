"use client";

import { useSubscription } from "@trpc/tanstack-react-query";
import { useCallback, useEffect, useRef, useState } from "react";
import { liveStateOf, type LiveState } from "@/app/_components/live-indicator";
import type { ActivityEvent } from "@/app/_lib/live";
import { useTRPC, useTRPCClient } from "@/app/_trpc/client";

const PAGE = 2000;

export interface ActivityRow extends ActivityEvent {
  /** For a command: the row was started and its completion has not arrived yet. */
  running?: boolean;
}

const str = (v: unknown) => (typeof v === "string" ? v : undefined);

/**
 * A worker's activity: the backlog through `workers.activity` pages, then live through
 * `events.onActivity({runId, workerId, lastEventId})` from the last backlog seq. Rows live in a
 * ref (no array copy per item) and the component re-renders once per batch.
 * A command's "completed" row replaces its "started" row in place.
 */
export function useWorkerActivity(runId: string, workerId: string) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const rows = useRef<ActivityRow[]>([]);
  const bySeq = useRef(new Set<number>());
  const commandIndex = useRef(new Map<string, number>());
  const [version, setVersion] = useState(0);
  const [backlog, setBacklog] = useState<{ done: boolean; loaded: number; error: unknown; after: number | null }>({
    done: false, loaded: 0, error: null, after: null,
  });
  const [wasLive, setWasLive] = useState(false);
  const flushTimer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const add = useCallback((a: ActivityEvent) => {
    if (bySeq.current.has(a.seq)) return false;
    bySeq.current.add(a.seq);
    const data = (a.data ?? {}) as Record<string, unknown>;
    if (a.kind === "command" && str(data.id)) {
      const key = `${a.attempt}:${data.id}`;
      const at = commandIndex.current.get(key);
      if (data.phase === "completed" && at !== undefined) {
        rows.current[at] = { ...a, running: false };
        return true;
      }
      if (data.phase === "started") {
        commandIndex.current.set(key, rows.current.length);
        rows.current.push({ ...a, running: true });
        return true;
      }
    }
    rows.current.push(a);
    return true;
  }, []);

  const bump = useCallback(() => {
    if (flushTimer.current) return;
    flushTimer.current = setTimeout(() => {
      flushTimer.current = null;
      setVersion((v) => v + 1);
    }, 50);
  }, []);

  // Backlog: every page of workers.activity, oldest first.
  useEffect(() => {
    rows.current = [];
    bySeq.current = new Set();
    commandIndex.current = new Map();
    setVersion((v) => v + 1);
    setBacklog({ done: false, loaded: 0, error: null, after: null });
    setWasLive(false);
    const ac = new AbortController();
    void (async () => {
      let cursor: number | null = null;
      let last = 0;
      try {
        for (;;) {
          const page = await client.workers.activity.query({ runId, workerId, cursor, limit: PAGE }, { signal: ac.signal });
          for (const item of page.items as unknown as ActivityEvent[]) {
            add(item);
            last = Math.max(last, item.seq);
          }
          setBacklog((b) => ({ ...b, loaded: rows.current.length }));
          setVersion((v) => v + 1);
          if (page.nextCursor == null || page.items.length === 0) break;
          cursor = page.nextCursor;
        }
        if (!ac.signal.aborted) setBacklog({ done: true, loaded: rows.current.length, error: null, after: last });
      } catch (error) {
        if (!ac.signal.aborted) setBacklog((b) => ({ ...b, error }));
      }
    })();
    return () => ac.abort();
  }, [add, client, runId, workerId]);

  useEffect(() => () => {
    if (flushTimer.current) clearTimeout(flushTimer.current);
  }, []);

  const sub = useSubscription(
    trpc.events.onActivity.subscriptionOptions(
      { runId, workerId, lastEventId: backlog.after ? String(backlog.after) : undefined },
      {
        enabled: backlog.done,
        onData: (envelope) => {
          if (add(envelope.data as ActivityEvent)) bump();
        },
        onStarted: () => setWasLive(true),
      },
    ),
  );

  const state: LiveState = backlog.done ? liveStateOf(sub.status, wasLive) : "connecting";
  return { rows: rows.current, version, backlog, state, reconnect: sub.reset };
}
