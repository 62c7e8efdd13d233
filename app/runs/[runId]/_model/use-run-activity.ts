"use client";

import { useQuery } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useEffect, useRef, useState } from "react";
import { usageOf, type ActivityEvent, type Usage } from "@/app/_lib/live";
import { useTRPC } from "@/app/_trpc/client";

export interface LastActivity {
  seq: number;
  kind: string;
  text: string;
  createdAt: string;
}

export interface RunActivitySummary {
  /** The latest step worth a line on the worker card, per worker. */
  last: Record<string, LastActivity>;
  /** Token usage per worker (the running total of its latest thread). */
  usage: Record<string, Usage>;
  total: RunUsage | null;
}

/** Kinds that say what a worker is doing (thread/turn/usage rows are bookkeeping). */
const LINE_KINDS = new Set(["command", "file_change", "message", "todo", "error", "tool"]);

/** The run's figures: tokens added up; the cost of the workers that report one (Claude Code), and whether all do. */
const sum = (list: Usage[]): RunUsage =>
  list.reduce<RunUsage>(
    (a, u) => ({
      inputTokens: a.inputTokens + u.inputTokens,
      cachedInputTokens: a.cachedInputTokens + u.cachedInputTokens,
      outputTokens: a.outputTokens + u.outputTokens,
      ...(a.costUsd !== undefined || u.costUsd !== undefined ? { costUsd: (a.costUsd ?? 0) + (u.costUsd ?? 0) } : {}),
      costComplete: a.costComplete && u.costUsd !== undefined,
    }),
    { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, costComplete: true },
  );

export type RunUsage = Usage & { costComplete: boolean };

/**
 * Last activity line and token usage per worker, live. `runs.usage` gives the first numbers;
 * `events.onActivity({runId})` then replays the run's steps and keeps going. Updates are
 * batched (one render per ~100 ms at most), so a long backlog does not render per row.
 */
export function useRunActivity(runId: string): RunActivitySummary {
  const trpc = useTRPC();
  const initial = useQuery(trpc.runs.usage.queryOptions({ runId }, { enabled: Boolean(runId), staleTime: 60_000 }));
  const acc = useRef<{ last: Record<string, LastActivity>; usage: Record<string, Usage>; seen: number }>({ last: {}, usage: {}, seen: 0 });
  const [state, setState] = useState<{ last: Record<string, LastActivity>; usage: Record<string, Usage> }>({ last: {}, usage: {} });
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => {
    acc.current = { last: {}, usage: {}, seen: 0 };
    setState({ last: {}, usage: {} });
  }, [runId]);
  useEffect(() => () => {
    if (timer.current) clearTimeout(timer.current);
  }, []);

  useSubscription(
    trpc.events.onActivity.subscriptionOptions(
      { runId },
      {
        enabled: Boolean(runId),
        onData: (envelope) => {
          const a = envelope.data as ActivityEvent;
          if (a.seq <= acc.current.seen) return; // in seq order; a replay is ignored
          acc.current.seen = a.seq;
          if (a.kind === "usage") {
            const u = usageOf(a.data);
            if (u) acc.current.usage = { ...acc.current.usage, [a.workerId]: u };
          } else if (LINE_KINDS.has(a.kind)) {
            acc.current.last = { ...acc.current.last, [a.workerId]: { seq: a.seq, kind: a.kind, text: a.text, createdAt: a.createdAt } };
          }
          if (!timer.current) {
            timer.current = setTimeout(() => {
              timer.current = null;
              setState({ last: acc.current.last, usage: acc.current.usage });
            }, 100);
          }
        },
      },
    ),
  );

  const usage: Record<string, Usage> = { ...((initial.data?.workers ?? {}) as Record<string, Usage>), ...state.usage };
  const hasAny = Object.keys(usage).length > 0;
  return { last: state.last, usage, total: hasAny ? sum(Object.values(usage)) : null };
}
