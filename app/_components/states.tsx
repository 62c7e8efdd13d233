"use client";

import type { ReactNode } from "react";
import { errorHint, errorInfo } from "@/app/_lib/errors";

/** A polite loading line; screen readers hear it once. */
export function Loading({ children }: { children: ReactNode }) {
  return (
    <p className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {children}
    </p>
  );
}

/** An error box that says what failed, the server's message, and what to try next. */
export function ErrorNotice({
  error,
  title,
  onRetry,
  testId,
}: {
  error: unknown;
  title: string;
  onRetry?: () => void;
  testId?: string;
}) {
  const info = errorInfo(error);
  const hint = errorHint(info);
  return (
    <div className="notice notice-error" role="alert" data-testid={testId}>
      <p className="notice-title">{title}</p>
      <p>
        {info.message}
        {info.code && info.issues.length === 0 ? <span className="muted"> ({info.code})</span> : null}
      </p>
      {info.issues.length > 0 ? (
        <ul className="issues">
          {info.issues.map((issue, i) => (
            <li key={i}>
              {issue.path ? <code>{issue.path}</code> : null} {issue.message}
            </li>
          ))}
        </ul>
      ) : null}
      {hint ? <p className="muted">{hint}</p> : null}
      {onRetry ? (
        <button type="button" className="button button-secondary" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

/** An empty state: what is (not) here, why, and the next step. */
export function EmptyState({ title, children, testId }: { title: string; children?: ReactNode; testId?: string }) {
  return (
    <div className="empty" data-testid={testId}>
      <p className="empty-title">{title}</p>
      {children}
    </div>
  );
}

/** Text with `backticked` parts rendered as <code>. */
export function InlineCode({ text }: { text: string }) {
  const parts = text.split("`");
  return (
    <>
      {parts.map((part, i) => (i % 2 === 1 ? <code key={i}>{part}</code> : <span key={i}>{part}</span>))}
    </>
  );
}
