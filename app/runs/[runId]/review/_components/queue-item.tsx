"use client";

import { useMutation } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useEffect, useState } from "react";
import { shortCommit } from "@/app/_lib/format";
import type { RouterOutputs } from "@/app/_lib/types";
import { useTRPC } from "@/app/_trpc/client";

type QueueView = RouterOutputs["queue"]["get"];
type Item = NonNullable<QueueView["queue"]>["items"][number];

const WORDS: Record<string, string> = {
  waiting: "waiting", building: "building", checking: "checking", merged: "merged", conflict: "conflict",
  check_failed: "check failed", refused: "refused", sent_back: "sent back", interrupted: "interrupted",
};
const BADGE: Record<string, string> = {
  waiting: "status-pending", building: "status-running", checking: "status-running", merged: "rv-badge-merged", conflict: "status-failed",
  check_failed: "status-failed", refused: "status-blocked", sent_back: "status-stop_requested", interrupted: "status-blocked",
};

/** The check log of an item under check, as it is written (queue.onCheckLog), or as it was (queue.checkLog). */
function CheckLog({ runId, item }: { runId: string; item: Item }) {
  const trpc = useTRPC();
  const [text, setText] = useState("");
  const live = item.state === "checking";
  useEffect(() => setText(""), [item.builds]);
  useSubscription(trpc.queue.onCheckLog.subscriptionOptions({ runId, workerId: item.workerId, build: item.builds }, {
    enabled: live || item.hasLog,
    onData: (envelope) => setText((t) => t + (envelope.data as { text: string }).text),
  }));
  if (!text) return live ? <p className="small muted">The check is starting…</p> : null;
  return (
    <details className="rv-queue-log" open={live} data-testid="queue-check-log">
      <summary>Check log (build {item.builds}){live ? " — live" : ""}</summary>
      <pre className="rv-conflict-excerpt">{text.length > 20_000 ? `…${text.slice(-20_000)}` : text}</pre>
    </details>
  );
}

export function QueueItemRow(props: {
  runId: string;
  item: Item;
  index: number;
  count: number;
  readOnly: boolean;
  onMove: (from: number, to: number) => void;
  onSet: (data: QueueView) => void;
  dragging: string | null;
  onDrag: (id: string | null) => void;
  /** Something being dragged was dropped on this item. */
  onDropAt: (index: number) => void;
}) {
  const { runId, item, index, count, readOnly, onMove, onSet } = props;
  const trpc = useTRPC();
  const ref = { runId, workerId: item.workerId };
  const opts = { onSuccess: onSet };
  const sendBack = useMutation(trpc.queue.sendBack.mutationOptions(opts));
  const retry = useMutation(trpc.queue.retry.mutationOptions(opts));
  const remove = useMutation(trpc.queue.remove.mutationOptions(opts));
  const failed = [sendBack, retry, remove].find((m) => m.isError)?.error;
  const active = item.state === "building" || item.state === "checking";
  const held = item.state === "conflict" || item.state === "check_failed" || item.state === "refused" || item.state === "interrupted";

  return (
    <li
      className="rv-queue-item"
      data-testid="queue-item"
      data-worker-id={item.workerId}
      data-state={item.state}
      draggable={!readOnly}
      onDragStart={(e) => {
        props.onDrag(item.workerId);
        e.dataTransfer.setData("text/plain", item.workerId);
      }}
      onDragEnd={() => props.onDrag(null)}
      onDragOver={(e) => props.dragging && e.preventDefault()}
      onDrop={(e) => {
        e.preventDefault();
        props.onDropAt(index);
      }}
    >
      <div className="rv-queue-item-head">
        <span className="muted small">{index + 1}.</span> <strong>{item.label}</strong> <code className="role-id">{item.role}</code>{" "}
        <span className={`badge ${BADGE[item.state] ?? ""}`} data-testid="queue-item-state">{WORDS[item.state] ?? item.state}</span>
        {item.state === "waiting" && (item.workerStatus === "running" || item.workerStatus === "pending") ? <span className="muted small"> (its worker is still running)</span> : null}
        {item.state === "sent_back" ? <span className="muted small"> (attempt {item.sentBackAttempt}; worker {item.workerStatus})</span> : null}
        {!readOnly ? (
          <span className="rv-queue-item-actions">
            <button type="button" className="button button-secondary button-small" aria-label={`Move ${item.label} up`} disabled={index === 0} onClick={() => onMove(index, index - 1)} data-testid="queue-up">↑</button>
            <button type="button" className="button button-secondary button-small" aria-label={`Move ${item.label} down`} disabled={index === count - 1} onClick={() => onMove(index, index + 1)} data-testid="queue-down">↓</button>
            {item.state === "conflict" || item.state === "check_failed" ? (
              <button type="button" className="button button-small" onClick={() => sendBack.mutate(ref)} disabled={sendBack.isPending} data-testid="queue-send-back">Send back</button>
            ) : null}
            {held || item.state === "sent_back" ? (
              <button type="button" className="button button-secondary button-small" onClick={() => retry.mutate(ref)} disabled={retry.isPending} data-testid="queue-retry">Retry</button>
            ) : null}
            {!active && item.state !== "merged" ? (
              <button type="button" className="button button-secondary button-small" onClick={() => remove.mutate(ref)} disabled={remove.isPending} data-testid="queue-remove">Remove</button>
            ) : null}
          </span>
        ) : null}
      </div>
      {item.reason && item.state !== "merged" ? <p className="small" data-testid="queue-item-reason">{item.reason}</p> : null}
      {failed ? <p className="small notice notice-error notice-compact" role="alert">{failed.message}</p> : null}
      {item.landed && item.landed.length > 0 ? (
        <ul className="small rv-queue-landed" data-testid="queue-landed">
          {item.landed.map((c) => (
            <li key={c.commit}><code title={c.commit}>{shortCommit(c.commit)}</code> {c.subject}</li>
          ))}
        </ul>
      ) : null}
      {item.conflicts && item.conflicts.length > 0 ? (
        <ul className="rv-conflicts" data-testid="queue-conflicts">
          {item.conflicts.map((c) => (
            <li key={c.path}>
              <code>{c.path}</code> <span className="muted small">{c.types.join(", ")}</span>
              {c.hunks ? <pre className="rv-conflict-excerpt">{c.hunks}</pre> : null}
            </li>
          ))}
        </ul>
      ) : null}
      {item.checkTail && item.state === "check_failed" ? <pre className="rv-conflict-excerpt" data-testid="queue-check-tail">{item.checkTail}</pre> : null}
      {item.state === "checking" || item.hasLog ? <CheckLog runId={runId} item={item} /> : null}
    </li>
  );
}
