"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useCallback, useState } from "react";
import { StatusBadge } from "@/app/_components/badge";
import type { Quote } from "@/app/_components/diff/ui/diff-rows";
import { EmptyState, ErrorNotice, Loading } from "@/app/_components/states";
import { useSessionRole } from "@/app/_components/use-role";
import { errorInfo } from "@/app/_lib/errors";
import { shortCommit } from "@/app/_lib/format";
import { useReviewRun } from "../_model/use-review-run";
import { useUrlState } from "../_model/url-state";
import { ChangesView } from "./changes-view";
import { MergePanel } from "./merge-panel";
import { RequestChanges } from "./request-changes";
import { ReviewTabs } from "./review-tabs";

const TABS = ["changes", "merge", "feedback"] as const;
type TabId = (typeof TABS)[number];

/** One worker's review: its changes, the merge panel, and request changes. */
export function WorkerReview({ runId, workerId }: { runId: string; workerId: string }) {
  const router = useRouter();
  const url = useUrlState();
  const { isViewer } = useSessionRole();
  const { run, runOut } = useReviewRun(runId);
  const [quotes, setQuotes] = useState<Quote[]>([]);
  const [quoteNote, setQuoteNote] = useState<string | null>(null);
  const tabParam = url.get("tab");
  const [tab, setTabState] = useState<TabId>(() => ((TABS as readonly string[]).includes(tabParam ?? "") ? (tabParam as TabId) : "changes"));
  const setTab = useCallback(
    (id: string) => {
      const next = (TABS as readonly string[]).includes(id) ? (id as TabId) : "changes";
      setTabState(next);
      url.set({ tab: next === "changes" ? undefined : next });
    },
    [url],
  );
  const addQuote = useCallback((q: Quote) => {
    setQuotes((prev) => (prev.some((x) => x.path === q.path && x.line === q.line && x.text === q.text) ? prev : [...prev, q]));
    setQuoteNote(`Quoted ${q.path}${q.line !== undefined ? `:${q.line}` : ""} in Request changes.`);
  }, []);

  if (run.isPending) return <Loading>Loading the review of {workerId}…</Loading>;
  if (!runOut) {
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
  const worker = runOut.workers.find((w) => w.id === workerId);
  if (!worker) {
    return (
      <EmptyState title="Worker not found" testId="worker-not-found">
        <p>
          Run <code>{runId}</code> has no worker <code>{workerId}</code>.
        </p>
        <Link href={`/runs/${runId}/review`} className="button">
          Back to the review of the run
        </Link>
      </EmptyState>
    );
  }

  const readOnly = isViewer;
  return (
    <div className="review-wide rv-worker" data-testid="worker-review" data-worker-id={worker.id} data-status={worker.status} data-attempt={worker.attempt ?? 1}>
      <p className="breadcrumb">
        <Link href={`/runs/${runId}`}>← Run</Link> · <Link href={`/runs/${runId}/review`} data-testid="back-to-run-review">Review of the run</Link>
      </p>
      <header className="rv-head">
        <h1>
          {worker.label} <code className="role-id">{worker.role}</code>
        </h1>
        <div className="badges">
          <span data-testid="review-worker-status">
            <StatusBadge value={worker.status} label="Worker status" />
          </span>
          {worker.attempt && worker.attempt > 1 ? (
            <span className="tag" data-testid="review-attempt">
              attempt {worker.attempt}
            </span>
          ) : null}
          {worker.merged ? (
            <span className="badge rv-badge-merged" data-testid="worker-merged" title={`Merged into ${worker.merged.target} as ${worker.merged.commit}`}>
              merged · {shortCommit(worker.merged.commit)}
            </span>
          ) : null}
          {worker.discarded ? (
            <span className="badge status-stopped" data-testid="worker-discarded">
              discarded
            </span>
          ) : null}
          {worker.cleanupStatus === "removed" ? <span className="tag">worktree removed</span> : null}
          <code className="small muted wrap-anywhere" title="Worker branch">
            {worker.worktreeBranch}
          </code>
        </div>
        <label className="rv-switch small">
          <span className="muted">Worker</span>
          <select value={worker.id} onChange={(e) => router.push(`/runs/${runId}/review/${e.target.value}`)} data-testid="worker-switch">
            {runOut.workers.map((w) => (
              <option key={w.id} value={w.id}>
                {w.label} ({w.status}
                {w.merged ? ", merged" : ""})
              </option>
            ))}
          </select>
        </label>
      </header>
      {quoteNote ? (
        <p className="rv-toast" role="status" data-testid="quote-note">
          {quoteNote}{" "}
          <button type="button" className="link-button" onClick={() => setTab("feedback")}>
            Open
          </button>
          <button type="button" className="link-button" onClick={() => setQuoteNote(null)} aria-label="Dismiss">
            ✕
          </button>
        </p>
      ) : null}
      <ReviewTabs
        label={`Review of ${worker.label}`}
        selected={tab}
        onSelect={setTab}
        tabs={[
          { id: "changes", label: "Changes", panel: <ChangesView runId={runId} worker={worker} workers={runOut.workers} onQuote={readOnly ? undefined : addQuote} /> },
          { id: "merge", label: worker.merged ? "Merge ✓" : "Merge", panel: <MergePanel runId={runId} worker={worker} readOnly={readOnly} /> },
          {
            id: "feedback",
            label: quotes.length ? `Request changes (${quotes.length})` : "Request changes",
            panel: (
              <RequestChanges
                runId={runId}
                worker={worker}
                quotes={quotes}
                onRemoveQuote={(i) => setQuotes((prev) => prev.filter((_, k) => k !== i))}
                onClearQuotes={() => {
                  setQuotes([]);
                  setQuoteNote(null);
                }}
                readOnly={readOnly}
              />
            ),
          },
        ]}
      />
    </div>
  );
}
