"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/app/_trpc/client";
import { ErrorNotice } from "./states";
import { TextList } from "./text-list";
import { useSessionRole } from "./use-role";

/**
 * A repository git will not work in (a stale lock, the user's merge under way) or a merge a crash
 * interrupted: what is wrong, what to do, and — for interrupted merges (and the locks their git left) —
 * a Recover button that finishes or rolls them back. Nothing is shown while all is well.
 */
export function RepoHealthNotice({ repoId }: { repoId?: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { isOperator } = useSessionRole();
  const status = useQuery(trpc.repos.status.queryOptions(repoId ? { repoId } : undefined, { refetchInterval: 30_000 }));
  const recover = useMutation(
    trpc.repos.recover.mutationOptions({
      onSuccess: () => void queryClient.invalidateQueries({ queryKey: trpc.repos.status.queryKey() }),
    }),
  );
  const sick = (status.data ?? []).filter((r) => !r.ok);
  const recovered = recover.data?.recovered ?? [];
  if (sick.length === 0 && recovered.length === 0 && !recover.isError) return null;
  return (
    <section aria-label="Repository problems" data-testid="repo-health">
      {sick.map((r) => (
        <div key={r.repoId} className="notice notice-warn" role="alert" data-testid="repo-health-problem">
          <p className="notice-title">
            <code>{r.path}</code> needs attention
          </p>
          <TextList className="issues" items={r.problems} />
          {isOperator && r.interruptedMerges.length > 0 ? (
            <button
              type="button"
              className="button button-secondary button-small"
              disabled={recover.isPending}
              onClick={() => recover.mutate({ repoId: r.repoId })}
              data-testid="repo-recover"
            >
              {recover.isPending ? "Recovering…" : "Recover"}
            </button>
          ) : null}
        </div>
      ))}
      {recovered.length > 0 ? (
        <div className="notice notice-ok" role="status" data-testid="repo-recovered">
          <p className="notice-title">Recovered</p>
          <TextList className="issues" items={recovered.map((o) => o.message)} />
        </div>
      ) : null}
      {recover.isError ? <ErrorNotice error={recover.error} title="Recovery failed" /> : null}
    </section>
  );
}
