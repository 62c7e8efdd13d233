import { StatusBadge } from "@/app/_components/badge";
import { RelativeTime } from "@/app/_components/relative-time";
import { shortCommit } from "@/app/_lib/format";
import type { RunOut } from "@/app/_lib/types";

/** Status, where the run works, and its prompt. */
export function RunHeader({ run }: { run: RunOut }) {
  return (
    <header className="run-header" data-testid="run-header">
      <div className="run-title">
        <h1>
          Run <code className="run-id">{run.id}</code>
        </h1>
        <div className="badges">
          <StatusBadge value={run.status} label="Run status" />
          <span className="badge-group">
            <span className="muted small">bridge</span>
            <StatusBadge value={run.bridgeStatus} kind="bridge" />
          </span>
        </div>
      </div>

      <dl className="meta">
        <div>
          <dt>Repository</dt>
          <dd>
            <code>{run.workingDirectory}</code>
          </dd>
        </div>
        <div>
          <dt>Target branch</dt>
          <dd>{run.targetBranch ? <code>{run.targetBranch}</code> : <span className="muted">detached HEAD</span>}</dd>
        </div>
        {run.leaderHead ? (
          <div>
            <dt>Leader head</dt>
            <dd>
              <code title={run.leaderHead}>{shortCommit(run.leaderHead)}</code>
            </dd>
          </div>
        ) : null}
        <div>
          <dt>Mode</dt>
          <dd>{run.mode}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>
            <RelativeTime iso={run.createdAt} />
          </dd>
        </div>
        <div>
          <dt>Updated</dt>
          <dd>
            <RelativeTime iso={run.updatedAt} />
          </dd>
        </div>
        {run.lastDecision ? (
          <div>
            <dt>Last decision</dt>
            <dd>{run.lastDecision}</dd>
          </div>
        ) : null}
      </dl>

      {run.bridgeFailureReason ? (
        <div className="notice notice-error" role="alert">
          <p className="notice-title">The bridge reported a failure</p>
          <p className="pre-wrap">{run.bridgeFailureReason}</p>
        </div>
      ) : null}
      {run.diagnostics.length > 0 ? (
        <div className="notice notice-warn">
          <p className="notice-title">Run diagnostics</p>
          <ul className="diagnostics">
            {run.diagnostics.map((d, i) => (
              <li key={i}>{d}</li>
            ))}
          </ul>
        </div>
      ) : null}

      <section className="prompt-section" aria-labelledby="run-prompt-heading">
        <h2 id="run-prompt-heading">Prompt</h2>
        <pre className="prompt" data-testid="run-prompt">
          {run.prompt}
        </pre>
      </section>
    </header>
  );
}
