"use client";

import { useQuery } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState } from "react";
import type { Quote } from "@/app/_components/diff/ui/diff-rows";
import { useReviewShortcuts, type ShortcutAction } from "@/app/_components/diff/model/shortcuts";
import { ancestorsOf, treeOrder } from "@/app/_components/diff/model/tree";
import type { DiffFileOut } from "@/app/_components/diff/model/types";
import { usePrefetchFile, useWorkerDiff } from "@/app/_components/diff/model/use-diff";
import { useViewed } from "@/app/_components/diff/model/viewed";
import { FileDiff, type FileDiffHandle } from "@/app/_components/diff/ui/file-diff";
import { FileTree } from "@/app/_components/diff/ui/file-tree";
import { LineCounts } from "@/app/_components/diff/ui/file-status";
import { ShortcutHint } from "@/app/_components/diff/ui/shortcut-hint";
import { EmptyState, ErrorNotice, Loading } from "@/app/_components/states";
import { useIsPhone } from "@/app/_components/use-phone";
import { errorInfo } from "@/app/_lib/errors";
import { shortCommit } from "@/app/_lib/format";
import type { PanelWorker } from "@/app/_lib/types";
import { useTRPC } from "@/app/_trpc/client";
import { useDiffMode } from "../_model/use-diff-mode";
import { isActiveWorker } from "../../_model/worker-state";
import { useUrlState } from "../_model/url-state";
import { CompareView } from "./compare-view";

/**
 * The worker's changes: a virtualized file tree on the left, the selected file's diff on the
 * right; unified or split; since the base or since the previous attempt; viewed marks; keyboard
 * navigation; a compare view against another worker that changed the same file. On a phone the
 * diff is always unified and the file tree is a drawer, opened from a button above the diff.
 */
export function ChangesView({
  runId,
  worker,
  workers,
  onQuote,
}: {
  runId: string;
  worker: PanelWorker;
  workers: readonly PanelWorker[];
  onQuote?: (q: Quote) => void;
}) {
  const trpc = useTRPC();
  const url = useUrlState();
  const [savedMode, setMode] = useDiffMode();
  const phone = useIsPhone();
  // Split needs two columns of code: a phone shows unified (the saved choice is kept for wider screens).
  const mode = phone ? "unified" : savedMode;
  const [drawerOpen, setDrawerOpen] = useState(false);
  const drawerCloseRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (drawerOpen) drawerCloseRef.current?.focus();
  }, [drawerOpen]);
  const canSincePrevious = (worker.attempt ?? 1) > 1 || Boolean(worker.previousCommit);
  const since = canSincePrevious && url.get("since") === "previous" ? ("previousAttempt" as const) : undefined;
  const live = isActiveWorker(worker);
  const list = useWorkerDiff({ runId, workerId: worker.id, since, live });
  const data = list.data;

  const [filter, setFilter] = useState("");
  const allFiles = useMemo(() => treeOrder(data?.files ?? []), [data]);
  const order = useMemo(() => {
    const f = filter.trim().toLowerCase();
    return f ? allFiles.filter((x) => x.path.toLowerCase().includes(f) || (x.oldPath ?? "").toLowerCase().includes(f)) : allFiles;
  }, [allFiles, filter]);

  const [selectedPath, setSelectedPath] = useState<string | undefined>(() => url.get("file"));
  const selectedIndex = Math.max(0, order.findIndex((f) => f.path === selectedPath || f.oldPath === selectedPath));
  const selected: DiffFileOut | undefined = order[selectedIndex];

  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(() => new Set());
  const viewed = useViewed(runId, worker.id, data?.headCommit);
  const diffRef = useRef<FileDiffHandle>(null);
  const prefetch = usePrefetchFile();

  function select(path: string) {
    setDrawerOpen(false);
    setSelectedPath(path);
    url.set({ file: path });
    setCollapsed((prev) => {
      const hidden = ancestorsOf(path).filter((a) => prev.has(a));
      if (hidden.length === 0) return prev;
      const next = new Set(prev);
      for (const a of hidden) next.delete(a);
      return next;
    });
  }

  // Fetch the next file's hunks while the reviewer reads this one.
  const nextPath = order[selectedIndex + 1]?.path;
  const nextBinary = order[selectedIndex + 1]?.binary;
  useEffect(() => {
    if (nextPath && !nextBinary && !live) void prefetch({ runId, workerId: worker.id, path: nextPath, since });
  }, [nextPath, nextBinary, live, runId, worker.id, since]); // (prefetch is a new function each render: not a dependency)

  useReviewShortcuts((action: ShortcutAction) => {
    if (action === "toggleMode") return phone ? undefined : setMode(mode === "split" ? "unified" : "split");
    if (!selected) return;
    if (action === "nextFile" && order[selectedIndex + 1]) select(order[selectedIndex + 1]!.path);
    else if (action === "prevFile" && selectedIndex > 0) select(order[selectedIndex - 1]!.path);
    else if (action === "nextHunk") diffRef.current?.nextHunk();
    else if (action === "prevHunk") diffRef.current?.prevHunk();
    else if (action === "toggleViewed") viewed.toggle(selected.path);
  });

  // Other workers that changed the selected file (by its path in the base), from the run's overlap.
  const overlap = useQuery(trpc.runs.overlap.queryOptions({ runId }, { enabled: workers.length > 1, staleTime: 15_000 }));
  const basePath = selected ? (selected.oldPath ?? selected.path) : undefined;
  const sharers = useMemo(() => {
    const entry = overlap.data?.files.find((f) => f.path === basePath);
    return (entry?.workers ?? []).filter((id) => id !== worker.id);
  }, [overlap.data, basePath, worker.id]);
  const compareId = url.get("compare");
  const compareWith = compareId && sharers.includes(compareId) ? compareId : undefined;
  const compareWorker = workers.find((w) => w.id === compareWith);
  const compareHead = overlap.data?.workers.find((w) => w.workerId === compareWith)?.headCommit;

  if (list.isPending) return <Loading>Loading the changes of {worker.label}…</Loading>;
  if (!data) {
    const info = errorInfo(list.error);
    if (info.code === "PRECONDITION_FAILED" || info.code === "NOT_FOUND") {
      return (
        <EmptyState title="No changes to review" testId="diff-unavailable">
          <p>{info.message}</p>
        </EmptyState>
      );
    }
    return <ErrorNotice error={list.error} title={`Could not load the changes of ${worker.label}`} onRetry={() => list.refetch()} />;
  }

  const viewedCount = allFiles.filter((f) => viewed.viewed.has(f.path)).length;

  return (
    <div className="rv-changes-wrap" data-testid="changes-view" data-head={data.headCommit} data-since={since ?? "base"}>
      <div className="rv-toolbar">
        <div className="rv-seg" role="group" aria-label="Diff layout">
          <button type="button" aria-pressed={mode === "unified"} onClick={() => setMode("unified")} data-testid="mode-unified">
            Unified
          </button>
          <button
            type="button"
            aria-pressed={mode === "split"}
            onClick={() => setMode("split")}
            disabled={phone}
            title={phone ? "Split view needs a wider screen" : undefined}
            data-testid="mode-split"
          >
            Split
          </button>
        </div>
        <div className="rv-seg" role="group" aria-label="Compare with">
          <button type="button" aria-pressed={!since} onClick={() => url.set({ since: undefined })} data-testid="since-base">
            All changes
          </button>
          <button
            type="button"
            aria-pressed={Boolean(since)}
            onClick={() => url.set({ since: "previous" })}
            disabled={!canSincePrevious}
            title={canSincePrevious ? "Only what the latest attempt changed after your feedback" : "Available after a follow-up: this worker has had one attempt"}
            data-testid="since-previous"
          >
            Since previous attempt
          </button>
        </div>
        <span className="rv-totals" data-testid="diff-totals">
          <strong>{data.totals.files}</strong> file{data.totals.files === 1 ? "" : "s"} <LineCounts additions={data.totals.additions} deletions={data.totals.deletions} />
          {data.totals.binary ? <span className="muted"> · {data.totals.binary} binary</span> : null}
        </span>
        <span className="muted small" data-testid="viewed-count">
          {viewedCount} / {allFiles.length} viewed
        </span>
        <span className="muted small rv-commits">
          <code title={`from ${data.fromCommit}`}>{shortCommit(data.fromCommit)}</code> → <code title={`head ${data.headCommit}`} data-testid="diff-head">{shortCommit(data.headCommit)}</code>
          {list.isFetching ? <span className="visually-hidden" role="status">refreshing</span> : null}
        </span>
      </div>
      <ShortcutHint />
      {since ? (
        <p className="notice notice-info notice-compact" data-testid="since-note">
          Showing only what changed since the previous attempt&apos;s commit <code>{shortCommit(data.since?.commit)}</code>.
        </p>
      ) : null}
      {data.uncommitted ? (
        <p className="notice notice-warn notice-compact" data-testid="uncommitted-note">
          Includes changes in the worker&apos;s worktree that are not committed yet (marked <span className="tree-flag-uncommitted">●</span>)
          {live ? "; refreshed every 2 seconds while the worker runs" : ""}. A merge takes committed changes only.
        </p>
      ) : live ? (
        <p className="muted small" data-testid="live-note">
          The worker is {worker.status}: this view refreshes every 2 seconds.
        </p>
      ) : null}

      {data.files.length === 0 ? (
        <EmptyState title={since ? "No changes since the previous attempt" : "No changes"} testId="diff-empty">
          <p>{live ? "The worker has not changed any file yet; this view refreshes while it runs." : `${worker.label} did not change any file${since ? " in its latest attempt" : ""}.`}</p>
        </EmptyState>
      ) : (
        <div className="rv-changes">
          <button
            type="button"
            className="button button-secondary rv-files-toggle"
            aria-expanded={drawerOpen}
            aria-controls="rv-files"
            onClick={() => setDrawerOpen(true)}
            data-testid="files-drawer-toggle"
          >
            <span aria-hidden="true">☰</span> Files ({allFiles.length})
            {selected ? <span className="rv-files-toggle-path">{selected.path}</span> : null}
          </button>
          {drawerOpen ? <button type="button" className="rv-drawer-backdrop" aria-label="Close the file list" tabIndex={-1} onClick={() => setDrawerOpen(false)} /> : null}
          <aside
            id="rv-files"
            className={`rv-files${drawerOpen ? " is-open" : ""}`}
            aria-label="Changed files"
            data-testid="files-drawer"
            data-open={drawerOpen ? "true" : "false"}
            onKeyDown={(e) => {
              if (e.key === "Escape" && drawerOpen) setDrawerOpen(false);
            }}
          >
            <div className="rv-drawer-head">
              <strong>Files ({allFiles.length})</strong>
              <button ref={drawerCloseRef} type="button" className="button button-secondary" onClick={() => setDrawerOpen(false)} data-testid="files-drawer-close">
                Close
              </button>
            </div>
            <label className="visually-hidden" htmlFor="file-filter">
              Filter files
            </label>
            <input id="file-filter" type="text" placeholder="Filter files…" value={filter} onChange={(e) => setFilter(e.target.value)} data-testid="file-filter" />
            {order.length === 0 ? (
              <p className="muted small">No file matches “{filter}”.</p>
            ) : (
              <FileTree
                rowHeight={phone ? 44 : undefined}
                order={order}
                selected={selected?.path}
                onSelect={select}
                viewed={viewed.viewed}
                collapsed={collapsed}
                onToggleFolder={(p) =>
                  setCollapsed((prev) => {
                    const next = new Set(prev);
                    if (next.has(p)) next.delete(p);
                    else next.add(p);
                    return next;
                  })
                }
              />
            )}
          </aside>
          <div className="rv-diff">
            {selected ? (
              <>
                {sharers.length > 0 ? (
                  <div className="rv-sharers" data-testid="compare-bar">
                    <span className="small">Also changed by:</span>
                    {sharers.map((id) => {
                      const w = workers.find((x) => x.id === id);
                      const on = compareWith === id;
                      return (
                        <button
                          key={id}
                          type="button"
                          className={`rv-chip${on ? " is-on" : ""}`}
                          aria-pressed={on}
                          onClick={() => url.set({ compare: on ? undefined : id })}
                          data-testid="compare-with"
                          data-worker-id={id}
                        >
                          {on ? "✕ " : "Compare with "}
                          {w?.label ?? id}
                        </button>
                      );
                    })}
                  </div>
                ) : null}
                {compareWorker && compareHead ? (
                  <CompareView runId={runId} worker={worker} other={compareWorker} otherHead={compareHead} file={selected} mode={mode} />
                ) : (
                  <FileDiff
                    ref={diffRef}
                    runId={runId}
                    workerId={worker.id}
                    file={selected}
                    since={since}
                    mode={mode}
                    viewed={viewed.viewed.has(selected.path)}
                    onToggleViewed={viewed.enabled ? () => viewed.toggle(selected.path) : undefined}
                    onQuote={onQuote}
                  />
                )}
              </>
            ) : null}
          </div>
        </div>
      )}
    </div>
  );
}
