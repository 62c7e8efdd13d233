"use client";

import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useMemo, useRef } from "react";
import { describeFile, modeChange } from "../model/status";
import { treeRows, type TreeRow } from "../model/tree";
import type { DiffFileOut } from "../model/types";
import { FileStatus, LineCounts } from "./file-status";

/** Row height: 30 px, or 44 px on a phone, where each row is a tap target. */
const ROW_HEIGHT = 30;

/**
 * The changed files as a tree grouped by folder (single-child folders merged), virtualized so a
 * diff with thousands of files stays quick. Folders collapse; the selected file stays in view.
 */
export function FileTree({
  order,
  selected,
  onSelect,
  viewed,
  collapsed,
  onToggleFolder,
  label = "Changed files",
  rowHeight = ROW_HEIGHT,
}: {
  /** The files in tree order (treeOrder). */
  order: readonly DiffFileOut[];
  selected: string | undefined;
  onSelect: (path: string) => void;
  viewed: ReadonlySet<string>;
  collapsed: ReadonlySet<string>;
  onToggleFolder: (path: string) => void;
  label?: string;
  rowHeight?: number;
}) {
  const rows = useMemo(() => treeRows(order, collapsed), [order, collapsed]);
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: 12,
    getItemKey: (i) => `${rows[i]!.kind}:${rows[i]!.path}`,
  });

  // A new row height (the layout changed) means new offsets.
  useEffect(() => virtualizer.measure(), [rowHeight, virtualizer]);

  const selectedRow = rows.findIndex((r) => r.kind === "file" && r.path === selected);
  useEffect(() => {
    if (selectedRow >= 0) virtualizer.scrollToIndex(selectedRow, { align: "auto" });
  }, [selectedRow, virtualizer]);

  return (
    <div className="file-tree" data-testid="file-tree" data-count={order.length}>
      <div ref={scrollRef} className="file-tree-scroll" role="list" aria-label={label}>
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {virtualizer.getVirtualItems().map((item) => {
            const row = rows[item.index]!;
            return (
              <div
                key={item.key}
                role="listitem"
                className="file-tree-item"
                style={{ position: "absolute", top: 0, left: 0, right: 0, height: rowHeight, transform: `translateY(${item.start}px)` }}
              >
                <TreeRowView row={row} selected={row.kind === "file" && row.path === selected} viewed={viewed} onSelect={onSelect} onToggleFolder={onToggleFolder} />
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}

function TreeRowView({
  row, selected, viewed, onSelect, onToggleFolder,
}: {
  row: TreeRow;
  selected: boolean;
  viewed: ReadonlySet<string>;
  onSelect: (path: string) => void;
  onToggleFolder: (path: string) => void;
}) {
  const indent = { paddingLeft: `${0.4 + row.depth * 0.9}rem` };
  if (row.kind === "folder") {
    return (
      <button
        type="button"
        className="tree-row tree-folder"
        style={indent}
        aria-expanded={!row.collapsed}
        onClick={() => onToggleFolder(row.path)}
        title={`${row.path}: ${row.files} file${row.files === 1 ? "" : "s"}`}
        data-testid="folder-row"
        data-path={row.path}
      >
        <span className="tree-caret" aria-hidden="true">{row.collapsed ? "▸" : "▾"}</span>
        <span className="tree-name">{row.name}/</span>
        <span className="tree-count muted">{row.files}</span>
      </button>
    );
  }
  const f = row.file;
  const isViewed = viewed.has(f.path);
  const mode = modeChange(f);
  return (
    <button
      type="button"
      className={`tree-row tree-file${selected ? " is-selected" : ""}${isViewed ? " is-viewed" : ""}`}
      style={indent}
      aria-current={selected ? "true" : undefined}
      onClick={() => onSelect(f.path)}
      title={`${f.path}: ${describeFile(f)}`}
      data-testid="file-row"
      data-path={f.path}
      data-status={f.status}
      data-viewed={isViewed ? "true" : "false"}
      data-uncommitted={f.uncommitted ? "true" : "false"}
      data-binary={f.binary ? "true" : "false"}
    >
      <FileStatus status={f.status} similarity={f.similarity} />
      <span className="tree-name">
        {row.name}
        {f.oldPath ? <span className="tree-sub muted"> ← {f.oldPath.slice(f.oldPath.lastIndexOf("/") + 1)}{f.similarity !== undefined ? ` ${f.similarity}%` : ""}</span> : null}
      </span>
      {mode ? <span className="tree-flag" title={`mode ${mode.from} → ${mode.to}`}>mode</span> : null}
      {f.uncommitted ? (
        <span className="tree-flag tree-flag-uncommitted" title="Uncommitted change in the worker's worktree" data-testid="uncommitted-mark">
          ●<span className="visually-hidden"> uncommitted</span>
        </span>
      ) : null}
      <LineCounts additions={f.additions} deletions={f.deletions} binary={f.binary} />
      <span className={`tree-viewed${isViewed ? " is-on" : ""}`} aria-label={isViewed ? "viewed" : undefined}>
        {isViewed ? "✓" : ""}
      </span>
    </button>
  );
}
