"use client";

import Link from "next/link";
import type { ReactNode } from "react";
import { StatusBadge } from "@/app/_components/badge";
import { LiveIndicator } from "@/app/_components/live-indicator";
import type { PanelWorker } from "@/app/_lib/types";
import { useRunStream } from "../_model/run-stream";
import { Elapsed } from "./elapsed";
import { RunFallback, WorkerNotFound, WorkerTitle } from "./run-frame";

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
  children: (worker: PanelWorker) => ReactNode;
}) {
  const { run, data, ...live } = useRunStream(runId);

  if (!data) return <RunFallback runId={runId} run={run} loading={<>Loading worker {workerId}…</>} />;
  const worker = data.workers.find((w) => w.id === workerId);
  if (!worker) return <WorkerNotFound runId={runId} workerId={workerId} backHref={`/runs/${runId}`} backLabel="Back to the run" />;
  const base = `/runs/${runId}/workers/${workerId}`;
  const running = worker.status === "running" || worker.status === "stop_requested";
  return (
    <div className="worker-page" data-testid="worker-page" data-worker-id={workerId}>
      <p className="breadcrumb">
        <Link href={`/runs/${runId}`}>← Run {runId}</Link>
      </p>
      <header className="worker-page-head">
        <WorkerTitle worker={worker} statusTestId="worker-status">
          <StatusBadge value={worker.executionState} kind="exec" />
          <span className="muted small">
            <Elapsed start={worker.startedAt} end={running ? undefined : worker.completedAt} running={running} />
          </span>
          <LiveIndicator state={live.state} onRetry={live.reconnect} testId="run-live-state" />
        </WorkerTitle>
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
