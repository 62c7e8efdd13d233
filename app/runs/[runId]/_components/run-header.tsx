import type { ReactNode } from "react";
import { StatusBadge } from "@/app/_components/badge";
import { RelativeTime } from "@/app/_components/relative-time";
import { shortCommit } from "@/app/_lib/format";
import { compactNumber } from "@/app/_lib/format-extra";
import { formatCost } from "@/app/_components/agent-badge";
import type { RunUsage } from "../_model/use-run-activity";
import { explainReason, PREFLIGHT_HELP } from "@/app/_lib/preflight";
import type { RunView } from "@/app/_lib/types";
import { ReasonList } from "./reason-list";

/** Status, where the run works, its prompt; the live state and the actions sit in the title row. */
export function RunHeader({ run, live, actions, usage }: { run: RunView; live?: ReactNode; actions?: ReactNode; usage?: RunUsage | null }) {
  // Preflight codes already explained in the failure box are not repeated under diagnostics.
  const explained = new Set(explainReason(run.bridgeFailureReason).map((p) => p.code));
  const diagnostics = run.diagnostics.filter((d) => !explained.has(d));
  const foundOnDisk = run.owned === false;
  return (
    <header className="run-header" data-testid="run-header">
      <div className="run-title">
        <h1>
          Run <code className="run-id">{run.id}</code>
        </h1>
        <div className="badges">
          <span data-testid="run-status">
            <StatusBadge value={run.status} label="Run status" />
          </span>
          <span className="badge-group">
            <span className="muted small">bridge</span>
            <StatusBadge value={run.bridgeStatus} kind="bridge" />
          </span>
          {live}
        </div>
      </div>
      {actions}

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
        <div>
          <dt>Tokens (run)</dt>
          <dd data-testid="run-tokens">
            {usage ? (
              <span title={`${usage.inputTokens} input (${usage.cachedInputTokens} cached), ${usage.outputTokens} output`}>
                {compactNumber(usage.inputTokens)} in ({compactNumber(usage.cachedInputTokens)} cached) · {compactNumber(usage.outputTokens)} out
              </span>
            ) : (
              <span className="muted">—</span>
            )}
          </dd>
        </div>
        {usage?.costUsd !== undefined ? (
          <div>
            <dt>Cost (run)</dt>
            <dd data-testid="run-cost" title={usage.costComplete ? "as the agents reported it" : "codex reports tokens, not a cost: its workers are not in this figure"}>
              {formatCost(usage.costUsd)}
              {usage.costComplete ? null : <span className="muted small"> + codex (tokens only)</span>}
            </dd>
          </div>
        ) : null}
        {run.lastDecision ? (
          <div>
            <dt>Last decision</dt>
            <dd data-testid="run-last-decision">
              <span className="decision">{run.lastDecision}</span>
            </dd>
          </div>
        ) : null}
      </dl>

      {run.bridgeFailureReason ? (
        <div className="notice notice-error" role="alert" data-testid="bridge-failure">
          <p className="notice-title">
            {run.bridgeStatus === "preflight_failed" ? "The workers could not start: this machine is missing something" : "The bridge reported a failure"}
          </p>
          <ReasonList reason={run.bridgeFailureReason} />
        </div>
      ) : null}
      {foundOnDisk ? <FoundOnDisk run={run} diagnostics={diagnostics} /> : null}
      {diagnostics.length > 0 && !foundOnDisk ? (
        <div className="notice notice-warn">
          <p className="notice-title">Run diagnostics</p>
          <ul className="diagnostics">
            {diagnostics.map((d, i) => (
              <li key={i}>
                {PREFLIGHT_HELP[d] ? (
                  <>
                    {PREFLIGHT_HELP[d]} <code className="reason-code">{d}</code>
                  </>
                ) : (
                  d
                )}
              </li>
            ))}
          </ul>
        </div>
      ) : null}

      <details className="prompt-section" open={run.prompt.length < 600}>
        <summary>
          <h2 id="run-prompt-heading" className="inline-heading">
            Prompt
          </h2>
        </summary>
        <pre className="prompt" data-testid="run-prompt">
          {run.prompt}
        </pre>
      </details>
    </header>
  );
}

/**
 * A run this panel did not create (`owned: false`): its record was found on disk — made by the
 * LongTable CLI, left by another data dir, or carried in a cloned repository. The panel reads
 * it as data and runs nothing for it until the user acts; the fields of the record it ignored
 * (paths and branches it derives itself, values out of range) are listed.
 */
function FoundOnDisk({ run, diagnostics }: { run: RunView; diagnostics: string[] }) {
  return (
    <div className="notice notice-info found-on-disk" role="note" data-testid="found-on-disk">
      <p className="notice-title">Found on disk — not started by this panel; nothing runs unless you act</p>
      <p className="small">
        The record is in <code className="wrap-anywhere">{run.runDirectory}</code>: made by the LongTable CLI, or carried in a cloned repository. The panel shows it as it is and
        does not launch, resume, stop or check its workers by itself; paths and branches are always the panel&apos;s own, whatever the record says.
      </p>
      {diagnostics.length > 0 ? (
        <details className="record-diagnostics" data-testid="record-diagnostics" data-count={diagnostics.length}>
          <summary>
            {diagnostics.length} {diagnostics.length === 1 ? "note" : "notes"} on the record (fields that were ignored)
          </summary>
          <ul className="diagnostics">
            {diagnostics.map((d, i) => (
              <li key={i} className="wrap-anywhere">
                {d}
              </li>
            ))}
          </ul>
        </details>
      ) : (
        <p className="small muted">Every field of the record was usable.</p>
      )}
    </div>
  );
}
