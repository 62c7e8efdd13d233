"use client";

import { useVirtualizer } from "@tanstack/react-virtual";
import { memo, useCallback, useDeferredValue, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { LiveIndicator } from "@/app/_components/live-indicator";
import { ErrorNotice } from "@/app/_components/states";
import { clockTime, compactNumber } from "@/app/_lib/format-extra";
import { parseResultMessage, usageOf } from "@/app/_lib/live";
import { AgentBadge, formatCost } from "@/app/_components/agent-badge";
import type { PanelWorker } from "@/app/_lib/types";
import { useWorkerActivity, type ActivityRow } from "../_model/use-worker-activity";

/** Filter groups: each kind belongs to one. */
const GROUPS = [
  { id: "command", label: "Commands", kinds: ["command"] },
  { id: "file_change", label: "Files", kinds: ["file_change"] },
  { id: "message", label: "Messages", kinds: ["message"] },
  { id: "todo", label: "Plan", kinds: ["todo"] },
  { id: "error", label: "Errors", kinds: ["error"] },
  { id: "usage", label: "Usage", kinds: ["usage"] },
  { id: "other", label: "Other", kinds: ["thread", "turn", "tool", "other"] },
] as const;
const GROUP_OF = new Map<string, string>(GROUPS.flatMap((g) => g.kinds.map((k) => [k, g.id] as [string, string])));
const groupOf = (kind: string) => GROUP_OF.get(kind) ?? "other";

const ESTIMATE: Record<string, number> = { command: 36, file_change: 36, message: 40, todo: 90, error: 36, usage: 36 };

const obj = (v: unknown): Record<string, unknown> => (v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** A worker's agent steps, oldest first, virtualized (tens of thousands of rows stay responsive). */
export function ActivityView({ runId, worker }: { runId: string; worker: PanelWorker }) {
  const { rows, version, backlog, state, reconnect } = useWorkerActivity(runId, worker.id);
  const [hidden, setHidden] = useState<Set<string>>(() => new Set());
  const [query, setQuery] = useState("");
  const deferredQuery = useDeferredValue(query.trim().toLowerCase());
  const [expanded, setExpanded] = useState<Set<number>>(() => new Set());
  const [follow, setFollow] = useState(true);
  const parentRef = useRef<HTMLDivElement>(null);

  const { visible, counts } = useMemo(() => {
    const counts: Record<string, number> = {};
    const visible: ActivityRow[] = [];
    for (const r of rows) {
      const g = groupOf(r.kind);
      counts[g] = (counts[g] ?? 0) + 1;
      if (hidden.has(g)) continue;
      if (deferredQuery && !searchText(r).includes(deferredQuery)) continue;
      visible.push(r);
    }
    return { visible, counts };
    // `rows` is mutated in place; `version` says when it changed.
  }, [rows, version, hidden, deferredQuery]);

  const virtualizer = useVirtualizer({
    count: visible.length,
    getScrollElement: () => parentRef.current,
    estimateSize: (i) => ESTIMATE[visible[i]?.kind ?? ""] ?? 36,
    getItemKey: (i) => visible[i]?.seq ?? i,
    overscan: 12,
  });

  // Follow the tail while the user is at the bottom.
  useEffect(() => {
    if (follow && visible.length > 0) virtualizer.scrollToIndex(visible.length - 1, { align: "end" });
  }, [follow, visible.length, virtualizer]);

  const onScroll = useCallback(() => {
    const el = parentRef.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 48;
    setFollow((f) => (f === atBottom ? f : atBottom));
  }, []);

  const toggle = useCallback((seq: number) => {
    setExpanded((prev) => {
      const next = new Set(prev);
      if (next.has(seq)) next.delete(seq);
      else next.add(seq);
      return next;
    });
  }, []);

  const prefix = worker.worktreePath.endsWith("/") ? worker.worktreePath : `${worker.worktreePath}/`;

  return (
    <section className="activity" aria-labelledby="activity-heading" data-testid="activity-view">
      <div className="activity-toolbar">
        <h2 id="activity-heading" className="inline-heading">
          Activity{" "}
          <span className="muted" data-testid="activity-count">
            ({rows.length.toLocaleString()})
          </span>
        </h2>
        <AgentBadge agent={worker.agent} model={worker.model} />
        <LiveIndicator state={state} onRetry={reconnect} testId="activity-live-state" />
        {!backlog.done && !backlog.error ? (
          <span className="muted small" role="status">
            Loading history… {backlog.loaded.toLocaleString()} steps
          </span>
        ) : null}
        <div className="kind-filters" role="group" aria-label="Show kinds">
          {GROUPS.map((g) => (
            <button
              key={g.id}
              type="button"
              className={`chip${hidden.has(g.id) ? "" : " is-on"}`}
              aria-pressed={!hidden.has(g.id)}
              data-testid={`filter-${g.id}`}
              onClick={() =>
                setHidden((prev) => {
                  const next = new Set(prev);
                  if (next.has(g.id)) next.delete(g.id);
                  else next.add(g.id);
                  return next;
                })
              }
            >
              {g.label} <span className="chip-count">{(counts[g.id] ?? 0).toLocaleString()}</span>
            </button>
          ))}
        </div>
        <label className="visually-hidden" htmlFor="activity-search">
          Search activity
        </label>
        <input id="activity-search" type="search" className="activity-search" placeholder="Search…" value={query} onChange={(e) => setQuery(e.target.value)} />
      </div>
      {backlog.error ? <ErrorNotice error={backlog.error} title="Could not load the activity history" /> : null}

      <div
        ref={parentRef}
        className="activity-scroll"
        onScroll={onScroll}
        tabIndex={0}
        role="region"
        aria-label={`Activity of ${worker.label}, oldest first${follow ? "; following new steps" : ""}`}
        data-testid="activity-scroll"
      >
        {visible.length === 0 ? (
          <p className="muted activity-empty" data-testid="activity-empty">
            {!backlog.done
              ? "Loading…"
              : rows.length === 0
                ? worker.status === "pending"
                  ? "The worker has not started yet. Its commands, file changes and messages will appear here."
                  : "No agent activity was recorded for this worker."
                : "No step matches the filters."}
          </p>
        ) : (
          <div style={{ height: virtualizer.getTotalSize(), position: "relative", width: "100%" }}>
            {virtualizer.getVirtualItems().map((v) => {
              const row = visible[v.index]!;
              return (
                <div
                  key={v.key}
                  ref={virtualizer.measureElement}
                  data-index={v.index}
                  className="activity-slot"
                  style={{ position: "absolute", top: 0, left: 0, width: "100%", transform: `translateY(${v.start}px)` }}
                >
                  <ActivityItem row={row} expanded={expanded.has(row.seq)} onToggle={toggle} prefix={prefix} />
                </div>
              );
            })}
          </div>
        )}
      </div>
      {!follow && visible.length > 0 ? (
        <button
          type="button"
          className="button button-small jump-latest"
          onClick={() => {
            setFollow(true);
            virtualizer.scrollToIndex(visible.length - 1, { align: "end" });
          }}
        >
          Jump to latest ↓
        </button>
      ) : null}
    </section>
  );
}

function searchText(r: ActivityRow): string {
  const d = obj(r.data);
  return `${r.kind} ${r.text} ${typeof d.output === "string" ? d.output : ""}`.toLowerCase();
}

function prettyJson(text: string) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

const CHANGE_MARK: Record<string, string> = { add: "A", update: "M", delete: "D" };

const ActivityItem = memo(function ActivityItem({
  row,
  expanded,
  onToggle,
  prefix,
}: {
  row: ActivityRow;
  expanded: boolean;
  onToggle: (seq: number) => void;
  prefix: string;
}) {
  const d = obj(row.data);
  const rel = (p: string) => (p.startsWith(prefix) ? p.slice(prefix.length) : p);
  let body: ReactNode;
  switch (row.kind) {
    case "command": {
      const command = typeof d.command === "string" ? d.command : row.text.replace(/^\$ /, "");
      const exit = typeof d.exitCode === "number" ? d.exitCode : null;
      const output = typeof d.output === "string" ? d.output : "";
      const lines = output ? output.replace(/\n$/, "").split("\n").length : 0;
      body = (
        <>
          <div className="cmd-line">
            <code className="cmd">$ {command}</code>
            {row.running ? (
              <span className="exit exit-running">running…</span>
            ) : (
              <span className={`exit ${exit === 0 ? "exit-ok" : "exit-bad"}`} data-testid="exit-code">
                exit {exit ?? "?"}
              </span>
            )}
            {output ? (
              <button type="button" className="link-button small" aria-expanded={expanded} onClick={() => onToggle(row.seq)} data-testid="toggle-output">
                {expanded ? "Hide output" : `Show output (${lines} line${lines === 1 ? "" : "s"})`}
              </button>
            ) : !row.running ? (
              <span className="muted small">no output</span>
            ) : null}
          </div>
          {output && expanded ? <pre className="cmd-output">{output}</pre> : null}
        </>
      );
      break;
    }
    case "file_change": {
      const changes = Array.isArray(d.changes) ? (d.changes as { path?: string; kind?: string }[]) : [];
      body = changes.length ? (
        <ul className="file-changes">
          {changes.map((c, i) => (
            <li key={i}>
              <span className={`change change-${c.kind ?? "other"}`} title={c.kind}>
                {CHANGE_MARK[c.kind ?? ""] ?? "?"}
              </span>{" "}
              <code className="file-path" title={c.path}>
                {rel(String(c.path ?? ""))}
              </code>
            </li>
          ))}
        </ul>
      ) : (
        <span>{row.text}</span>
      );
      break;
    }
    case "message": {
      const result = parseResultMessage(row.text);
      body = result ? (
        <div className="result-message" data-testid="result-message">
          <p>
            <strong>Final result:</strong> <span className={`badge status-${result.status.replace(/[^a-z_]/g, "")}`}>{result.status}</span>{" "}
            {result.summary}
          </p>
          <p className="muted small">
            {result.claims} claim{result.claims === 1 ? "" : "s"} · {result.objections} objection{result.objections === 1 ? "" : "s"} ·{" "}
            {result.openQuestions} open question{result.openQuestions === 1 ? "" : "s"}{" "}
            <button type="button" className="link-button" aria-expanded={expanded} onClick={() => onToggle(row.seq)}>
              {expanded ? "Hide JSON" : "Show JSON"}
            </button>
          </p>
          {expanded ? <pre className="cmd-output">{prettyJson(row.text)}</pre> : null}
        </div>
      ) : (
        <p className="message-text pre-wrap">{row.text}</p>
      );
      break;
    }
    case "todo": {
      const items = Array.isArray(d.items) ? (d.items as { text?: string; completed?: boolean }[]) : [];
      body = (
        <>
          <span className="small muted">{row.text}</span>
          <ul className="todo-items">
            {items.map((t, i) => (
              <li key={i} className={t.completed ? "done" : ""}>
                <span aria-hidden="true">{t.completed ? "☑" : "☐"}</span> <span className="visually-hidden">{t.completed ? "done:" : "to do:"}</span>
                {t.text}
              </li>
            ))}
          </ul>
        </>
      );
      break;
    }
    case "usage": {
      const u = usageOf(row.data);
      body = u ? (
        <span>
          Turn completed · {compactNumber(u.inputTokens)} in ({compactNumber(u.cachedInputTokens)} cached) · {compactNumber(u.outputTokens)} out
          {costOf(row.data) !== undefined ? <> · <span data-testid="usage-cost">{formatCost(costOf(row.data)!)}</span> (session)</> : null}
        </span>
      ) : (
        <span>{row.text}</span>
      );
      break;
    }
    case "error":
      body = <p className="error-text pre-wrap">{row.text}</p>;
      break;
    default:
      body = <span className="muted">{row.text}</span>;
  }
  return (
    <div className={`activity-row kind-row-${row.kind}`} data-testid="activity-row" data-kind={row.kind} data-seq={row.seq}>
      <time className="activity-time" dateTime={row.createdAt} title={`${row.createdAt} · attempt ${row.attempt}`}>
        {clockTime(row.createdAt)}
      </time>
      <span className={`kind-tag kind-${row.kind}`}>{row.kind === "file_change" ? "files" : row.kind === "todo" ? "plan" : row.kind}</span>
      <div className="activity-body">{body}</div>
    </div>
  );
});

/** The cost an agent reported with its usage (Claude Code's session total), if any. */
function costOf(data: unknown): number | undefined {
  const c = data && typeof data === "object" ? (data as { costUsd?: unknown }).costUsd : undefined;
  return typeof c === "number" && Number.isFinite(c) && c >= 0 ? c : undefined;
}
