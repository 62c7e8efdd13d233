"use client";

import Link from "next/link";
import type { ReactNode } from "react";
import { StatusBadge } from "@/app/_components/badge";
import { EmptyState, ErrorNotice, Loading } from "@/app/_components/states";
import { errorInfo } from "@/app/_lib/errors";
import type { PanelWorker } from "@/app/_lib/types";

/**
 * What a page of one run (the run, a worker's pages, the reviews) shows while it has no run yet:
 * `loading` while the run loads; "Run not found" for an unknown or malformed run id (with
 * `notFound` as the explanation, if given); otherwise the error, with a retry.
 */
export function RunFallback({
  runId,
  run,
  loading,
  notFound,
}: {
  runId: string;
  run: { isPending: boolean; error: unknown; refetch: () => unknown };
  loading: ReactNode;
  notFound?: (code: "NOT_FOUND" | "BAD_REQUEST") => ReactNode;
}) {
  if (run.isPending) return <Loading>{loading}</Loading>;
  const info = errorInfo(run.error);
  if (info.code === "NOT_FOUND" || info.code === "BAD_REQUEST") {
    return (
      <EmptyState title="Run not found" testId="run-not-found">
        <p>
          {notFound ? (
            notFound(info.code)
          ) : (
            <>
              No run <code>{runId}</code> is known to this panel.
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

/** "Worker not found": the run has no worker with this id; a link back to where one can pick another. */
export function WorkerNotFound({ runId, workerId, backHref, backLabel }: { runId: string; workerId: string; backHref: string; backLabel: string }) {
  return (
    <EmptyState title="Worker not found" testId="worker-not-found">
      <p>
        Run <code>{runId}</code> has no worker <code>{workerId}</code>.
      </p>
      <Link href={backHref} className="button">
        {backLabel}
      </Link>
    </EmptyState>
  );
}

/** The head of a worker's own page: its label and role, then its status and any further `children` badges. */
export function WorkerTitle({ worker, statusTestId, children }: { worker: PanelWorker; statusTestId: string; children?: ReactNode }) {
  return (
    <>
      <h1>
        {worker.label} <code className="role-id">{worker.role}</code>
      </h1>
      <div className="badges">
        <span data-testid={statusTestId}>
          <StatusBadge value={worker.status} label="Worker status" />
        </span>
        {children}
      </div>
    </>
  );
}
