"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { StatusBadge } from "@/app/_components/badge";
import { LiveIndicator } from "@/app/_components/live-indicator";
import { ErrorNotice, Loading } from "@/app/_components/states";
import { shortCommit } from "@/app/_lib/format";
import { useTRPC } from "@/app/_trpc/client";
import { RunFallback } from "../../_components/run-frame";
import { useRunStream } from "../../_model/run-stream";
import { OverlapMatrix } from "./overlap-matrix";
import { QueuePanel } from "./queue-panel";
import { ReviewLink } from "./review-link";

/** The run's review: pick a worker, see how the workers' changes overlap and what to merge first. */
export function RunReview({ runId }: { runId: string }) {
  const trpc = useTRPC();
  const { run, data: runOut, state, reconnect } = useRunStream(runId);
  const overlap = useQuery(trpc.runs.overlap.queryOptions({ runId }, { enabled: Boolean(runOut), staleTime: 5_000 }));

  if (!runOut) return <RunFallback runId={runId} run={run} loading={<>Loading the review of {runId}…</>} />;
  const stats = new Map((overlap.data?.workers ?? []).map((w) => [w.workerId, w]));

  return (
    <div className="review-wide rv-run" data-testid="run-review">
      <p className="breadcrumb">
        <Link href={`/runs/${runId}`}>← Run {runId}</Link>
      </p>
      <div className="page-head">
        <h1>Review and merge</h1>
        <span data-testid="review-run-status">
          <StatusBadge value={runOut.status} label="Run status" />
        </span>
        <LiveIndicator state={state} onRetry={reconnect} testId="review-live-state" />
      </div>
      <p className="lead">
        Each worker&apos;s changes are measured from its base commit. Open a worker to read its diff, request changes, and merge what you accept into{" "}
        <code>{runOut.targetBranch ?? "a branch you choose"}</code>.
      </p>

      <h2>Workers</h2>
      <div className="table-wrap">
        <table className="table stack-on-phone" data-testid="review-workers">
          <caption className="visually-hidden">Workers of the run and their changes</caption>
          <thead>
            <tr>
              <th scope="col">Worker</th>
              <th scope="col">Status</th>
              <th scope="col">Changes</th>
              <th scope="col">Head</th>
              <th scope="col">Merged</th>
              <th scope="col">
                <span className="visually-hidden">Open</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {runOut.workers.map((w) => {
              const s = stats.get(w.id);
              return (
                <tr key={w.id} data-testid="review-worker-row" data-worker-id={w.id} data-status={w.status}>
                  <th scope="row">
                    {w.label} <code className="role-id">{w.role}</code>
                    {w.attempt && w.attempt > 1 ? <span className="tag">attempt {w.attempt}</span> : null}
                  </th>
                  <td data-label="Status">
                    <StatusBadge value={w.status} label="Worker status" />
                  </td>
                  <td data-label="Changes">
                    {s ? (
                      <>
                        {s.files} file{s.files === 1 ? "" : "s"} <span className="diff-plus">+{s.additions}</span> <span className="diff-minus">−{s.deletions}</span>
                      </>
                    ) : overlap.isPending ? (
                      <span className="muted">…</span>
                    ) : (
                      <span className="muted">{overlap.data?.skipped.find((x) => x.workerId === w.id)?.reason ?? "—"}</span>
                    )}
                  </td>
                  <td data-label="Head">{w.worktreeCommit ? <code title={w.worktreeCommit}>{shortCommit(w.worktreeCommit)}</code> : <span className="muted">—</span>}</td>
                  <td data-label="Merged">
                    {w.merged ? (
                      <span className="badge rv-badge-merged" data-testid="row-merged" title={`into ${w.merged.target}`}>
                        merged · {shortCommit(w.merged.commit)}
                      </span>
                    ) : w.discarded ? (
                      <span className="badge status-stopped">discarded</span>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td className="num rv-open-cell">
                    {w.baseCommit ? <ReviewLink runId={runId} workerId={w.id} /> : <span className="muted small">not provisioned</span>}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>

      {runOut.owned ? <QueuePanel runId={runId} workers={runOut.workers} targetBranch={runOut.targetBranch} /> : null}

      <h2>Overlap</h2>
      {overlap.isPending ? (
        <Loading>Comparing the workers&apos; changes…</Loading>
      ) : overlap.data ? (
        <OverlapMatrix runId={runId} overlap={overlap.data} workers={runOut.workers} />
      ) : (
        <ErrorNotice error={overlap.error} title="Could not compare the workers' changes" onRetry={() => overlap.refetch()} />
      )}
    </div>
  );
}
