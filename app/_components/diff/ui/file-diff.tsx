"use client";

import { useVirtualizer } from "@tanstack/react-virtual";
import { forwardRef, useEffect, useImperativeHandle, useMemo, useRef, useState, type ReactNode } from "react";
import { ErrorNotice, Loading } from "@/app/_components/states";
import { errorInfo } from "@/app/_lib/errors";
import { languageFor } from "../model/highlight";
import { hunkStarts, splitRows, unifiedRows } from "../model/rows";
import { modeChange, modeWord } from "../model/status";
import type { DiffFileOut, DiffViewMode } from "../model/types";
import { useFileDiff, type Since } from "../model/use-diff";
import { DiffRowView, type Quote } from "./diff-rows";
import { FileStatus, LineCounts } from "./file-status";

export interface FileDiffHandle {
  nextHunk(): boolean;
  prevHunk(): boolean;
}

export interface FileDiffProps {
  runId: string;
  workerId: string;
  file: DiffFileOut;
  since?: Since;
  mode: DiffViewMode;
  /** Viewed checkbox (omit for read-only copies, e.g. in the compare view). */
  viewed?: boolean;
  onToggleViewed?: () => void;
  onQuote?: (q: Quote) => void;
  /** Extra controls in the file header. */
  actions?: ReactNode;
  /** What to say when this path is not in the diff (NOT_FOUND). */
  notFoundText?: string;
  testId?: string;
}

/** "Expand context": this many unchanged lines around each change (the API allows up to 1000). */
const WIDE_CONTEXT = 1000;

function formatBytes(n: number | undefined): string {
  if (n === undefined) return "";
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  if (n >= 1024) return `${Math.round(n / 1024)} kB`;
  return `${n} bytes`;
}

/**
 * One file of a worker diff: a header with its facts (status, rename, mode, counts, viewed),
 * then its hunks — loaded on demand, virtualized, unified or split, syntax-highlighted with
 * word-level changes. Binary files are named, not dumped; files over the size limit stay
 * collapsed until "Load anyway".
 */
export const FileDiff = forwardRef<FileDiffHandle, FileDiffProps>(function FileDiff(
  { runId, workerId, file, since, mode, viewed, onToggleViewed, onQuote, actions, notFoundText, testId = "file-diff" },
  ref,
) {
  const [fullFor, setFullFor] = useState<string | null>(null);
  const full = fullFor === file.path;
  const [wideFor, setWideFor] = useState<string | null>(null);
  const wide = wideFor === file.path;
  const query = useFileDiff({ runId, workerId, path: file.path, since, full, context: wide ? WIDE_CONTEXT : undefined, enabled: !file.binary });
  const data = query.data;
  const patch = data?.patch;
  const hunks = useMemo(() => data?.hunks ?? [], [data]);
  const rows = useMemo(() => (mode === "split" ? splitRows(hunks) : unifiedRows(hunks)), [hunks, mode]);
  const starts = useMemo(() => hunkStarts(rows), [rows]);
  const language = useMemo(() => languageFor(file.path), [file.path]);
  const listed = data?.files[0] ?? file;
  const mode_ = modeChange(listed);

  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: (i) => (rows[i]?.kind === "hunk" ? 30 : 21),
    overscan: 20,
    getItemKey: (i) => rows[i]!.key,
  });
  const [currentHunk, setCurrentHunk] = useState(-1);
  const lastNav = useRef<{ hunk: number; scrollTop: number } | null>(null);

  // A new file (or view) starts at the top.
  useEffect(() => {
    setCurrentHunk(-1);
    lastNav.current = null;
    scrollRef.current?.scrollTo({ top: 0 });
  }, [file.path, mode, since]);

  useImperativeHandle(
    ref,
    () => {
      const go = (dir: 1 | -1) => {
        if (starts.length === 0) return false;
        const scrollTop = scrollRef.current?.scrollTop ?? 0;
        let target: number;
        if (lastNav.current && Math.abs(lastNav.current.scrollTop - scrollTop) < 8) {
          // Not scrolled since the last jump: step from that hunk.
          target = lastNav.current.hunk + dir;
        } else {
          // Scrolled by hand (or first jump): step from the first row in view.
          const top = virtualizer.getVirtualItems().find((v) => v.end > scrollTop + 1)?.index ?? 0;
          target = dir === 1 ? starts.findIndex((s) => s > top) : starts.findLastIndex((s) => s < top);
          if (dir === 1 && scrollTop === 0 && currentHunk < 0) target = starts.length > 1 ? 1 : 0;
        }
        if (target < 0 || target >= starts.length) return false;
        setCurrentHunk(target);
        virtualizer.scrollToIndex(starts[target]!, { align: "start" });
        requestAnimationFrame(() => {
          lastNav.current = { hunk: target, scrollTop: scrollRef.current?.scrollTop ?? 0 };
        });
        lastNav.current = { hunk: target, scrollTop: -1000 };
        return true;
      };
      return { nextHunk: () => go(1), prevHunk: () => go(-1) };
    },
    [starts, virtualizer, currentHunk],
  );

  let body: ReactNode;
  if (file.binary) {
    body = (
      <p className="diff-note" data-testid="diff-binary">
        Binary file{file.status === "added" ? " added" : file.status === "deleted" ? " deleted" : " changed"}: its content is not shown.
      </p>
    );
  } else if (query.isPending) {
    body = <Loading>Loading the changes of {file.path}…</Loading>;
  } else if (!data) {
    const info = errorInfo(query.error);
    body =
      info.code === "NOT_FOUND" && notFoundText ? (
        <p className="diff-note" data-testid="diff-not-found">{notFoundText}</p>
      ) : (
        <ErrorNotice error={query.error} title={`Could not load the changes of ${file.path}`} onRetry={() => query.refetch()} />
      );
  } else if (patch?.tooLarge) {
    body = (
      <div className="diff-note diff-too-large" data-testid="diff-too-large">
        <p>
          This file&apos;s change is too large to show at once: {listed.additions + listed.deletions} changed lines
          {patch.bytes ? `, ${formatBytes(patch.bytes)}` : ""} (the limit is {patch.limits.maxLines.toLocaleString()} lines or{" "}
          {formatBytes(patch.limits.maxBytes)}).
        </p>
        <button type="button" className="button button-secondary button-small" onClick={() => setFullFor(file.path)} data-testid="load-anyway" disabled={query.isFetching}>
          {query.isFetching ? "Loading…" : "Load anyway"}
        </button>
      </div>
    );
  } else if (hunks.length === 0) {
    body = (
      <p className="diff-note" data-testid="diff-no-content">
        {listed.status === "renamed" || listed.status === "copied"
          ? `${listed.status === "renamed" ? "Renamed" : "Copied"} without changes to the content.`
          : mode_
            ? "Only the file mode changed."
            : listed.status === "added" || listed.status === "deleted"
              ? `Empty file ${listed.status}.`
              : "No changes to the content."}
      </p>
    );
  } else {
    body = (
      <div ref={scrollRef} className={`diff-scroll diff-mode-${mode}`} data-testid="diff-body" data-mode={mode}>
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {virtualizer.getVirtualItems().map((item) => (
            <div
              key={item.key}
              data-index={item.index}
              ref={virtualizer.measureElement}
              style={{ position: "absolute", top: 0, left: 0, right: 0, transform: `translateY(${item.start}px)` }}
            >
              <DiffRowView row={rows[item.index]!} path={file.path} language={language} onQuote={onQuote} current={rows[item.index]!.kind === "hunk" && starts[currentHunk] === item.index} />
            </div>
          ))}
        </div>
      </div>
    );
  }

  return (
    <section className="file-diff" data-testid={testId} data-path={file.path} aria-label={`Changes of ${file.path}`}>
      <header className="file-diff-head">
        <FileStatus status={listed.status} similarity={listed.similarity} />
        <h3 className="file-diff-path">
          {listed.oldPath ? (
            <>
              <code className="muted">{listed.oldPath}</code> → <code>{listed.path}</code>
              {listed.similarity !== undefined ? <span className="muted small"> ({listed.similarity}% similar)</span> : null}
            </>
          ) : (
            <code>{listed.path}</code>
          )}
        </h3>
        {mode_ ? (
          <span className="tag" data-testid="mode-change" title={`${modeWord(mode_.from)} → ${modeWord(mode_.to)}`}>
            mode {mode_.from} → {mode_.to}
          </span>
        ) : null}
        {listed.uncommitted ? (
          <span className="tag tag-uncommitted" data-testid="file-uncommitted" title="Changed in the worker's worktree and not committed yet">
            uncommitted
          </span>
        ) : null}
        <LineCounts additions={listed.additions} deletions={listed.deletions} binary={listed.binary} />
        {query.isFetching && !query.isPending ? <span className="muted small" role="status">refreshing…</span> : null}
        <span className="file-diff-actions">
          {actions}
          {hunks.length > 0 || wide ? (
            <button
              type="button"
              className="button button-secondary button-small"
              onClick={() => setWideFor(wide ? null : file.path)}
              aria-pressed={wide}
              title={wide ? "Show 3 unchanged lines around each change" : `Show up to ${WIDE_CONTEXT} unchanged lines around each change`}
              data-testid="diff-context-toggle"
            >
              {wide ? "Less context" : "Expand context"}
            </button>
          ) : null}
          {onToggleViewed ? (
            <label className="viewed-toggle">
              <input type="checkbox" checked={Boolean(viewed)} onChange={onToggleViewed} data-testid="viewed-toggle" />
              Viewed
            </label>
          ) : null}
        </span>
      </header>
      {body}
    </section>
  );
});
