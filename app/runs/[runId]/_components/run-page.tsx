"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useParams } from "next/navigation";
import { useTRPC } from "@/app/_trpc/client";
import { EmptyState, ErrorNotice, Loading } from "@/app/_components/states";
import { errorInfo } from "@/app/_lib/errors";
import { RunHeader } from "./run-header";
import { WorkerList } from "./worker-list";

/** Statuses in which a run changes by itself; the page polls while the run is in one of them. */
const ACTIVE = new Set(["running", "stop_requested"]);

export function RunPage() {
  const trpc = useTRPC();
  const params = useParams<{ runId: string }>();
  const runId = params?.runId ?? "";
  const run = useQuery(
    trpc.runs.get.queryOptions(
      { runId },
      { refetchInterval: (q) => (q.state.data && ACTIVE.has(q.state.data.status) ? 5_000 : false) },
    ),
  );

  if (run.isPending) return <Loading>Loading run {runId}…</Loading>;

  if (!run.data) {
    const info = errorInfo(run.error);
    if (info.code === "NOT_FOUND" || info.code === "BAD_REQUEST") {
      return (
        <EmptyState title="Run not found" testId="run-not-found">
          <p>
            {info.code === "NOT_FOUND" ? (
              <>
                No run with the id <code>{runId}</code> is known to this panel. The link may be mistyped, or the run
                belongs to a repository this panel no longer lists.
              </>
            ) : (
              <>
                <code>{runId}</code> is not a run id. Run ids look like <code>panel_run_…</code>.
              </>
            )}
          </p>
          <Link href="/" className="button">
            Back to all runs
          </Link>
        </EmptyState>
      );
    }
    return <ErrorNotice error={run.error} title={`Could not load run ${runId}`} onRetry={() => run.refetch()} />;
  }

  return (
    <div className="run-page">
      <p className="breadcrumb">
        <Link href="/">← All runs</Link>
      </p>
      <RunHeader run={run.data} />
      {run.isRefetchError ? (
        <ErrorNotice error={run.error} title="Could not refresh this run (showing the last loaded state)" onRetry={() => run.refetch()} />
      ) : null}
      <WorkerList workers={run.data.workers} />
    </div>
  );
}
