"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import type { ReactNode } from "react";
import { StatusBadge } from "@/app/_components/badge";
import { LiveIndicator } from "@/app/_components/live-indicator";
import { EmptyState, ErrorNotice, Loading } from "@/app/_components/states";
import { errorInfo } from "@/app/_lib/errors";
import type { RunOut, WorkerOut } from "@/app/_lib/types";
import { useTRPC } from "@/app/_trpc/client";
import { useRunLive } from "../_model/use-run-live";
import { Elapsed } from "./elapsed";

export type WorkerView = "activity" | "terminal";

/** The frame of a worker's own pages: back link, the worker's live state, and Activity / Terminal links. */
export function WorkerFrame({
  runId,
  workerId,
  view,
  children,
}: {
  runId: string;
  workerId: string;
  view: WorkerView;
  children: (worker: WorkerOut) => ReactNode;
}) {
  const trpc = useTRPC();
  const live = useRunLive(runId);
  const run = useQuery(trpc.runs.get.queryOptions({ runId }));

  if (run.isPending) return <Loading>Loading worker {workerId}…</Loading>;
  if (!run.data) {
    const info = errorInfo(run.error);
    if (info.code === "NOT_FOUND" || info.code === "BAD_REQUEST") {
      return (
        <EmptyState title="Run not found" testId="run-not-found">
          <p>
            No run <code>{runId}</code> is known to this panel.
          </p>
          <Link href="/" className="button">
            Back to all runs
          </Link>
        </EmptyState>
      );
    }
    return <ErrorNotice error={run.error} title={`Could not load run ${runId}`} onRetry={() => run.refetch()} />;
  }
  const worker = (run.data as RunOut).workers.find((w) => w.id === workerId);
  if (!worker) {
    return (
      <EmptyState title="Worker not found" testId="worker-not-found">
        <p>
          Run <code>{runId}</code> has no worker <code>{workerId}</code>.
        </p>
        <Link href={`/runs/${runId}`} className="button">
          Back to the run
        </Link>
      </EmptyState>
    );
  }
  const base = `/runs/${runId}/workers/${workerId}`;
  const running = worker.status === "running" || worker.status === "stop_requested";
  return (
    <div className="worker-page" data-testid="worker-page" data-worker-id={workerId}>
      <p className="breadcrumb">
        <Link href={`/runs/${runId}`}>← Run {runId}</Link>
      </p>
      <header className="worker-page-head">
        <h1>
          {worker.label} <code className="role-id">{worker.role}</code>
        </h1>
        <div className="badges">
          <span data-testid="worker-status">
            <StatusBadge value={worker.status} label="Worker status" />
          </span>
          <StatusBadge value={worker.executionState} kind="exec" />
          <span className="muted small">
            <Elapsed start={worker.startedAt} end={running ? undefined : worker.completedAt} running={running} />
          </span>
          <LiveIndicator state={live.state} onRetry={live.reconnect} testId="run-live-state" />
        </div>
      </header>
      <nav className="subnav" aria-label="Worker views">
        <Link href={`${base}/activity`} aria-current={view === "activity" ? "page" : undefined} data-testid="nav-activity">
          Activity
        </Link>
        <Link href={`${base}/terminal`} aria-current={view === "terminal" ? "page" : undefined} data-testid="nav-terminal">
          Terminal
        </Link>
      </nav>
      {children(worker)}
    </div>
  );
}
