import { StatusBadge } from "@/app/_components/badge";
import { RelativeTime } from "@/app/_components/relative-time";
import { shortCommit } from "@/app/_lib/format";
import type { WorkerOut } from "@/app/_lib/types";

/** One worker: its role, state, branch and commit, and anything that went wrong. */
export function WorkerCard({ worker }: { worker: WorkerOut }) {
  const headingId = `worker-${worker.id}-heading`;
  return (
    <article className="card worker-card" data-testid="worker-card" data-worker-id={worker.id} aria-labelledby={headingId}>
      <header className="worker-head">
        <h3 id={headingId}>{worker.label}</h3>
        <code className="role-id">{worker.role}</code>
        {worker.required ? null : <span className="tag">optional</span>}
      </header>
      <div className="badges">
        <StatusBadge value={worker.status} label="Worker status" />
        <StatusBadge value={worker.executionState} kind="exec" />
      </div>
      <dl className="meta meta-compact">
        <div className="meta-wide">
          <dt>Branch</dt>
          <dd>
            <code className="wrap-anywhere">{worker.worktreeBranch}</code>
          </dd>
        </div>
        {worker.worktreeCommit ? (
          <div>
            <dt>Commit</dt>
            <dd>
              <code title={worker.worktreeCommit}>{shortCommit(worker.worktreeCommit)}</code>
            </dd>
          </div>
        ) : null}
        {worker.startedAt ? (
          <div>
            <dt>Started</dt>
            <dd>
              <RelativeTime iso={worker.startedAt} />
            </dd>
          </div>
        ) : null}
        {worker.completedAt ? (
          <div>
            <dt>Completed</dt>
            <dd>
              <RelativeTime iso={worker.completedAt} />
            </dd>
          </div>
        ) : null}
      </dl>
      {worker.failureReason || worker.error ? (
        <div className="notice notice-error notice-compact">
          <p className="notice-title">Failure</p>
          {worker.failureReason ? <p className="pre-wrap">{worker.failureReason}</p> : null}
          {worker.error && worker.error !== worker.failureReason ? <p className="pre-wrap">{worker.error}</p> : null}
        </div>
      ) : null}
      {worker.diagnostics.length > 0 ? (
        <div className="diagnostics-block">
          <p className="small-heading">Diagnostics</p>
          <ul className="diagnostics">
            {worker.diagnostics.map((d, i) => (
              <li key={i}>{d}</li>
            ))}
          </ul>
        </div>
      ) : null}
    </article>
  );
}
