"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { useTRPC } from "@/app/_trpc/client";
import type { WorkerDiffOut } from "./types";

/** "previousAttempt", a commit id, or undefined (since the base). */
export type Since = "previousAttempt" | string | undefined;

/** Poll interval while a worker runs: its uncommitted changes move under the reviewer's eyes. */
export const LIVE_POLL_MS = 2_000;

/**
 * A worker's changed files (`workers.diff` without a path). While `live`, polls every 2 s; when
 * the diffed tree changes (a new commit, new uncommitted edits) the per-file hunks are refetched.
 */
export function useWorkerDiff({ runId, workerId, since, live, enabled = true }: { runId: string; workerId: string; since?: Since; live: boolean; enabled?: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const query = useQuery(
    trpc.workers.diff.queryOptions(
      { runId, workerId, ...(since ? { since } : {}) },
      { enabled, refetchInterval: live ? LIVE_POLL_MS : false, staleTime: live ? 0 : 30_000 },
    ),
  );
  const tree = query.data?.toTree;
  const head = query.data?.headCommit;
  const previous = useRef<string | undefined>(undefined);
  useEffect(() => {
    const id = `${head}:${tree}`;
    if (!tree) return;
    if (previous.current !== undefined && previous.current !== id) {
      void queryClient.invalidateQueries({
        queryKey: trpc.workers.diff.queryKey({ runId, workerId }),
        predicate: (q) => Boolean((q.queryKey[1] as { input?: { path?: string } } | undefined)?.input?.path),
      });
    }
    previous.current = id;
  }, [tree, head, queryClient, runId, workerId, trpc]);
  // The worker just stopped running: one more look, so its final commit replaces the last snapshot.
  const wasLive = useRef(live);
  const { refetch } = query;
  useEffect(() => {
    if (wasLive.current && !live) void refetch();
    wasLive.current = live;
  }, [live, refetch]);
  return query;
}

/** The hunks of one file (`workers.diff` with a path); `full` lifts the size limits. */
export function useFileDiff({
  runId, workerId, path, since, full, context, enabled = true,
}: { runId: string; workerId: string; path: string | undefined; since?: Since; full?: boolean; context?: number; enabled?: boolean }) {
  const trpc = useTRPC();
  return useQuery(
    trpc.workers.diff.queryOptions(
      { runId, workerId, path: path ?? "", ...(since ? { since } : {}), ...(full ? { full: true } : {}), ...(context !== undefined ? { context } : {}) },
      {
        enabled: enabled && Boolean(path),
        staleTime: 60_000,
        retry: false,
        // While the same file refreshes (new tree, "load anyway"), keep showing what we had.
        placeholderData: (prev: WorkerDiffOut | undefined) => (prev && prev.files[0]?.path === path && prev.since?.kind === (since === "previousAttempt" ? "previousAttempt" : since ? "commit" : undefined) ? prev : undefined),
      },
    ),
  );
}

/** Fetch a file's hunks ahead of time (the next file, so j feels instant). */
export function usePrefetchFile() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return (input: { runId: string; workerId: string; path: string; since?: Since }) =>
    queryClient.prefetchQuery(
      trpc.workers.diff.queryOptions({ runId: input.runId, workerId: input.workerId, path: input.path, ...(input.since ? { since: input.since } : {}) }, { staleTime: 60_000, retry: false }),
    );
}
