"use client";

import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import type { Quote } from "@/app/_components/diff/ui/diff-rows";
import { ErrorNotice } from "@/app/_components/states";
import { issuesFor, errorInfo } from "@/app/_lib/errors";
import type { PanelWorker } from "@/app/_lib/types";
import { useTRPC } from "@/app/_trpc/client";
import { isActiveWorker } from "../../_model/worker-state";

/**
 * Request changes: feedback (with the diff lines it refers to) goes to the worker, which runs a
 * follow-up turn in its own thread; its new commit then shows in "Since previous attempt". The
 * request shows its own answer; the worker's new state (running, attempt n) arrives with the
 * run's `followup_requested` event, and its diff follows it while it runs.
 */
export function RequestChanges({
  runId,
  worker,
  quotes,
  onRemoveQuote,
  onClearQuotes,
  onSent,
  readOnly,
}: {
  runId: string;
  worker: PanelWorker;
  quotes: Quote[];
  onRemoveQuote: (i: number) => void;
  onClearQuotes: () => void;
  onSent?: () => void;
  readOnly: boolean;
}) {
  const trpc = useTRPC();
  const [message, setMessage] = useState("");
  const [sentAttempt, setSentAttempt] = useState<number | null>(null);
  const followUp = useMutation(
    trpc.workers.followUp.mutationOptions({
      onSuccess: (out) => {
        // (records carry an index signature that tRPC's typing widens: the server type says what arrives)
        const w = out as unknown as PanelWorker;
        setSentAttempt(w.attempt ?? null);
        setMessage("");
        onClearQuotes();
        onSent?.();
      },
    }),
  );
  const active = isActiveWorker(worker);
  const blocked = active
    ? `${worker.label} is ${worker.status}: wait for its result before asking for more.`
    : worker.cleanupStatus === "removed"
      ? `${worker.label}'s worktree was removed, so it cannot work on changes any more.`
      : !worker.threadId
        ? `${worker.label} never started an agent turn, so there is no conversation to continue: resume the run instead.`
        : null;
  const info = followUp.isError ? errorInfo(followUp.error) : undefined;
  const messageErrors = issuesFor(info, "message");

  if (readOnly) {
    return (
      <p className="muted" data-testid="feedback-read-only">
        This session is read-only: an operator requests changes.
      </p>
    );
  }

  return (
    <form
      className="rv-feedback"
      data-testid="feedback-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (!message.trim() || blocked) return;
        followUp.mutate({ runId, workerId: worker.id, message, ...(quotes.length ? { quotes } : {}) });
      }}
    >
      {sentAttempt !== null ? (
        <div className="notice notice-ok notice-compact" role="status" data-testid="feedback-sent">
          Sent. {worker.label} is working on attempt {sentAttempt}; its new commit shows up in Changes (choose “Since previous attempt” to see only what it changed).
        </div>
      ) : null}
      {blocked ? (
        <p className="notice notice-info notice-compact" data-testid="feedback-blocked">
          {blocked}
        </p>
      ) : null}
      <div className="field">
        <label htmlFor="feedback-message">What should {worker.label} change?</label>
        <textarea
          id="feedback-message"
          value={message}
          onChange={(e) => setMessage(e.target.value)}
          rows={6}
          placeholder="e.g. Keep the original wording in the abstract; only fix the units in table 2."
          aria-invalid={messageErrors.length > 0 || undefined}
          data-testid="feedback-message"
        />
        <p className="hint">Quote lines from the diff with the ❝ button next to a line (in Changes).</p>
      </div>
      {quotes.length > 0 ? (
        <div className="field">
          <span className="label">Quoted lines ({quotes.length})</span>
          <ul className="rv-quotes" data-testid="feedback-quotes">
            {quotes.map((q, i) => (
              <li key={`${q.path}:${q.line}:${i}`} data-testid="feedback-quote">
                <code className="rv-quote-ref">
                  {q.path}
                  {q.line !== undefined ? `:${q.line}` : ""}
                </code>
                <code className="rv-quote-text">{q.text || " "}</code>
                <button type="button" className="link-button small" onClick={() => onRemoveQuote(i)} aria-label={`Remove the quote of ${q.path}${q.line !== undefined ? ` line ${q.line}` : ""}`}>
                  Remove
                </button>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {followUp.isError ? <ErrorNotice error={followUp.error} title="The request was not sent" testId="feedback-error" /> : null}
      <div className="form-actions">
        <button type="submit" className="button" disabled={!message.trim() || Boolean(blocked) || followUp.isPending} data-testid="feedback-submit">
          {followUp.isPending ? "Sending…" : "Request changes"}
        </button>
      </div>
    </form>
  );
}
