"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useCallback, useState } from "react";
import type { Quote } from "@/app/_components/diff/ui/diff-rows";
import { LiveIndicator } from "@/app/_components/live-indicator";
import { Tabs } from "@/app/_components/tabs";
import { useSessionRole } from "@/app/_components/use-role";
import { shortCommit } from "@/app/_lib/format";
import { RunFallback, WorkerNotFound, WorkerTitle } from "../../_components/run-frame";
import { useRunStream } from "../../_model/run-stream";
import { useUrlState } from "../_model/url-state";
import { ChangesView } from "./changes-view";
import { MergePanel } from "./merge-panel";
import { RequestChanges } from "./request-changes";

const TABS = ["changes", "merge", "feedback"] as const;
type TabId = (typeof TABS)[number];

/** One worker's review: its changes, the merge panel, and request changes. */
export function WorkerReview({ runId, workerId }: { runId: string; workerId: string }) {
  const router = useRouter();
  const url = useUrlState();
  const { isViewer } = useSessionRole();
  const { run, data: runOut, state, reconnect } = useRunStream(runId);
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

  if (!runOut) return <RunFallback runId={runId} run={run} loading={<>Loading the review of {workerId}…</>} />;
  const worker = runOut.workers.find((w) => w.id === workerId);
  if (!worker) return <WorkerNotFound runId={runId} workerId={workerId} backHref={`/runs/${runId}/review`} backLabel="Back to the review of the run" />;

  const readOnly = isViewer;
  return (
    <div className="review-wide rv-worker" data-testid="worker-review" data-worker-id={worker.id} data-status={worker.status} data-attempt={worker.attempt ?? 1}>
      <p className="breadcrumb">
        <Link href={`/runs/${runId}`}>← Run</Link> · <Link href={`/runs/${runId}/review`} data-testid="back-to-run-review">Review of the run</Link>
      </p>
      <header className="rv-head">
        <WorkerTitle worker={worker} statusTestId="review-worker-status">
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
          <LiveIndicator state={state} onRetry={reconnect} testId="review-live-state" />
          <code className="small muted wrap-anywhere" title="Worker branch">
            {worker.worktreeBranch}
          </code>
        </WorkerTitle>
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
      <Tabs
        variant="review"
        label={`Review of ${worker.label}`}
        testIdPrefix="review-tab-"
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
