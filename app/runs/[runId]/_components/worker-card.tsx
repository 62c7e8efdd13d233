import Link from "next/link";
import { AgentBadge, formatCost } from "@/app/_components/agent-badge";
import { StatusBadge } from "@/app/_components/badge";
import { TextList } from "@/app/_components/text-list";
import { compactNumber } from "@/app/_lib/format-extra";
import { shortCommit } from "@/app/_lib/format";
import { parseResultMessage, type Usage } from "@/app/_lib/live";
import type { PanelWorker } from "@/app/_lib/types";
import type { LastActivity } from "../_model/use-run-activity";
import { ReviewLink } from "../review/_components/review-link";
import { Elapsed } from "./elapsed";
import { ReasonList } from "./reason-list";
import { WorkerPhase, WorkerPorts } from "./worker-workspace";

const KIND_LABEL: Record<string, string> = {
  command: "command",
  file_change: "files",
  message: "message",
  todo: "plan",
  error: "error",
  tool: "tool",
};

/** One worker: role, state, time, branch and commit, tokens, what it did last, and what went wrong. */
export function WorkerCard({
  runId,
  worker,
  last,
  usage,
}: {
  runId: string;
  worker: PanelWorker;
  last?: LastActivity;
  usage?: Usage;
}) {
  const headingId = `worker-${worker.id}-heading`;
  const running = worker.status === "running" || worker.status === "stop_requested";
  const base = `/runs/${runId}/workers/${worker.id}`;
  const tokens = usage ?? worker.usage;
  return (
    <article
      className={`card worker-card worker-${worker.status}`}
      data-testid="worker-card"
      data-worker-id={worker.id}
      data-status={worker.status}
      data-execution-state={worker.executionState}
      aria-labelledby={headingId}
    >
      <header className="worker-head">
        <h3 id={headingId}>{worker.label}</h3>
        <code className="role-id">{worker.role}</code>
        <AgentBadge agent={worker.agent} model={worker.model} />
        {worker.required ? null : <span className="tag">optional</span>}
      </header>
      <div className="badges">
        <span data-testid="worker-status">
          <StatusBadge value={worker.status} label="Worker status" />
        </span>
        <span data-testid="worker-exec">
          <StatusBadge value={worker.executionState} kind="exec" />
        </span>
        {worker.attempt && worker.attempt > 1 ? <span className="tag">attempt {worker.attempt}</span> : null}
        <WorkerPhase runId={runId} worker={worker} />
      </div>
      <dl className="meta meta-compact">
        <div>
          <dt>Elapsed</dt>
          <dd>
            <Elapsed start={worker.startedAt} end={running ? undefined : worker.completedAt} running={running} />
          </dd>
        </div>
        <div>
          <dt>Tokens</dt>
          <dd data-testid="worker-tokens">
            {tokens ? (
              <span title={`${tokens.inputTokens} input (${tokens.cachedInputTokens} cached), ${tokens.outputTokens} output`}>
                {compactNumber(tokens.inputTokens)} in · {compactNumber(tokens.outputTokens)} out
              </span>
            ) : (
              <span className="muted">—</span>
            )}
          </dd>
        </div>
        <div>
          <dt>Cost</dt>
          <dd data-testid="worker-cost">
            {/* The agent's own figure (Claude Code reports one; codex gives tokens only). */}
            {worker.usage?.costUsd !== undefined ? (
              <span title="As the agent reported it, for its whole session">{formatCost(worker.usage.costUsd)}</span>
            ) : (
              <span className="muted">—</span>
            )}
          </dd>
        </div>
        <div className="meta-wide">
          <dt>Branch</dt>
          <dd>
            <code className="wrap-anywhere">{worker.worktreeBranch}</code>
          </dd>
        </div>
        <div>
          <dt>Commit</dt>
          <dd>
            {worker.worktreeCommit ? (
              <code title={worker.worktreeCommit} data-testid="worker-commit">
                {shortCommit(worker.worktreeCommit)}
              </code>
            ) : (
              <span className="muted">—</span>
            )}
          </dd>
        </div>
        <div>
          <dt>Worktree</dt>
          <dd>{worker.cleanupStatus === "removed" ? "removed" : worker.cleanupStatus === "failed" ? "kept (cleanup failed)" : worker.cleanupStatus === "retained" ? "present" : "not created"}</dd>
        </div>
      </dl>
      <WorkerPorts runId={runId} worker={worker} />
      <div className="last-activity" data-testid="worker-last-activity">
        <p className="small-heading">Last activity</p>
        {last ? (
          <LastLine last={last} />
        ) : (
          <p className="muted small">{worker.status === "pending" ? "Not started yet." : "No agent activity recorded."}</p>
        )}
      </div>
      {worker.failureReason || worker.error ? (
        <div className="notice notice-error notice-compact" data-testid="worker-failure">
          <p className="notice-title">{worker.executionState === "preflight_failed" ? "Could not start: the machine is missing something" : "What went wrong"}</p>
          <ReasonList reason={worker.failureReason ?? worker.error} />
          {worker.error && worker.failureReason && worker.error !== worker.failureReason ? <ReasonList reason={worker.error} /> : null}
        </div>
      ) : null}
      {worker.diagnostics.length > 0 ? (
        <details className="diagnostics-block">
          <summary className="small-heading">Diagnostics ({worker.diagnostics.length})</summary>
          <TextList className="diagnostics" items={worker.diagnostics} />
        </details>
      ) : null}
      <nav className="worker-links" aria-label={`${worker.label} details`}>
        <Link href={`${base}/activity`} className="button button-secondary button-small" data-testid="open-activity">
          Activity
        </Link>
        <Link href={`${base}/terminal`} className="button button-secondary button-small" data-testid="open-terminal">
          Terminal
        </Link>
        {worker.baseCommit ? <ReviewLink runId={runId} workerId={worker.id} /> : null}
      </nav>
    </article>
  );
}

function LastLine({ last }: { last: LastActivity }) {
  const result = last.kind === "message" ? parseResultMessage(last.text) : null;
  if (result) {
    return (
      <p className="last-line" title={result.summary}>
        <span className="kind-tag kind-result">result</span> {result.status}
        {result.summary ? ` — ${result.summary}` : ""}
      </p>
    );
  }
  return (
    <p className="last-line" title={last.text}>
      <span className={`kind-tag kind-${last.kind}`}>{KIND_LABEL[last.kind] ?? last.kind}</span> {last.text}
    </p>
  );
}
