import { EmptyState } from "@/app/_components/states";
import { humanize } from "@/app/_lib/enums";
import { clockTime } from "@/app/_lib/format-extra";
import type { BusEvent } from "@/app/_lib/live";
import type { PanelWorker } from "@/app/_lib/types";
import type { EventType } from "@/server/core/enums";
import { ReasonList } from "./reason-list";

type Tone = "neutral" | "progress" | "ok" | "bad" | "stop" | "decision";

/** A colour for every event type (a new type fails to compile until it has one). */
const TONE: Record<EventType, Tone> = {
  run_created: "neutral",
  preflight_failed: "bad",
  worktree_provisioned: "progress",
  worker_launched: "progress",
  worker_result: "ok",
  worker_failed: "bad",
  stop_requested: "stop",
  resume_requested: "progress",
  shutdown_requested: "stop",
  cleanup_failed: "bad",
  worker_stopped: "stop",
  worker_merged: "ok",
  worker_discarded: "stop",
  worker_cleaned_up: "neutral",
  followup_requested: "progress",
  decision_recorded: "decision",
  run_status_changed: "neutral",
  merge_recovered: "decision",
  config_approval_needed: "decision",
  workspace_prepared: "progress",
  setup_finished: "progress",
  teardown_finished: "neutral",
  teardown_failed: "bad",
  queue_updated: "neutral",
  queue_item_changed: "progress",
  queue_recovered: "decision",
};

/** The run's lifecycle events in order (oldest first), each with its seq in `data-seq`. */
export function RunTimeline({ events, workers }: { events: BusEvent[]; workers: PanelWorker[] }) {
  const labels = new Map(workers.map((w) => [w.id, w.label]));
  if (events.length === 0) {
    return (
      <EmptyState title="No events yet" testId="timeline-empty">
        <p>Lifecycle events (created, provisioned, launched, results, failures) appear here as they happen.</p>
      </EmptyState>
    );
  }
  return (
    <ol className="timeline" data-testid="timeline" aria-label="Run lifecycle events, oldest first">
      {events.map((e) => (
        <li key={e.seq} className={`timeline-row tone-${TONE[e.type as EventType] ?? "neutral"}`} data-testid="timeline-row" data-seq={e.seq} data-event-id={e.id} data-type={e.type}>
          <time className="timeline-time" dateTime={e.createdAt} title={e.createdAt}>
            {clockTime(e.createdAt)}
          </time>
          <span className="timeline-type">{humanize(e.type)}</span>
          <span className="timeline-worker">{e.workerId ? labels.get(e.workerId) ?? e.workerId : <span className="muted">run</span>}</span>
          <div className="timeline-message">
            {e.type === "preflight_failed" ? <ReasonList reason={e.message} /> : <span className="pre-wrap">{e.message}</span>}
          </div>
        </li>
      ))}
    </ol>
  );
}
