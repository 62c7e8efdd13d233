"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useSessionRole } from "@/app/_components/use-role";
import { ErrorNotice, Loading } from "@/app/_components/states";
import { errorInfo } from "@/app/_lib/errors";
import { shortCommit } from "@/app/_lib/format";
import type { PanelWorker, RouterOutputs } from "@/app/_lib/types";
import { useTRPC } from "@/app/_trpc/client";
import { QueueItemRow } from "./queue-item";

type QueueView = RouterOutputs["queue"]["get"];

/**
 * The run's merge queue (ARCHITECTURE.md §7 "Merge queue"): accept workers (picked in order, or
 * all completed ones), then watch each land on the target one by one — building, checking (the
 * live check log), merged with its commits, or held with the reason and a Send back button.
 * Reorder by drag or with the ↑/↓ buttons (keyboard); Stop / Resume the queue. The queue is read
 * again when the run's live stream says it changed (run-stream.ts).
 */
export function QueuePanel({ runId, workers, targetBranch }: { runId: string; workers: readonly PanelWorker[]; targetBranch: string | undefined }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { isViewer } = useSessionRole();
  const view = useQuery(trpc.queue.get.queryOptions({ runId }, { staleTime: 2_000 }));
  const set = (data: QueueView) => queryClient.setQueryData(trpc.queue.get.queryKey({ runId }), data);
  const opts = { onSuccess: set };
  const accept = useMutation(trpc.queue.accept.mutationOptions(opts));
  const reorder = useMutation(trpc.queue.reorder.mutationOptions(opts));
  const stop = useMutation(trpc.queue.stop.mutationOptions(opts));
  const resume = useMutation(trpc.queue.resume.mutationOptions(opts));
  const configure = useMutation(trpc.queue.configure.mutationOptions(opts));
  const [picked, setPicked] = useState<string[]>([]);
  const [strategy, setStrategy] = useState<"squash" | "commits">("squash");
  const [auto, setAuto] = useState(false);
  const [dragging, setDragging] = useState<string | null>(null);

  if (view.isPending) return <Loading>Reading the merge queue…</Loading>;
  if (!view.data) return <ErrorNotice error={view.error} title="Could not read the merge queue" onRetry={() => view.refetch()} />;
  const q = view.data.queue;
  const queued = new Set(q?.items.map((i) => i.workerId) ?? []);
  const candidates = workers.filter((w) => !queued.has(w.id) && !w.discarded && w.baseCommit && w.status !== "failed" && !(w.merged && w.merged.workerHead === w.worktreeCommit));
  const error = [accept, reorder, stop, resume, configure].find((m) => m.isError)?.error;
  const order = q?.items.map((i) => i.workerId) ?? [];
  const move = (from: number, to: number) => {
    if (to < 0 || to >= order.length || from === to) return;
    const next = [...order];
    const [id] = next.splice(from, 1);
    next.splice(to, 0, id!);
    reorder.mutate({ runId, order: next });
  };
  const toggle = (id: string) => setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p, id]));

  return (
    <section className="card rv-queue" aria-labelledby="queue-title" data-testid="queue-panel" data-state={q?.state ?? "none"}>
      <div className="rv-merge-head">
        <h2 id="queue-title" className="rv-h2">
          Merge queue{q ? <> into <code data-testid="queue-target">{q.target}</code></> : null}
        </h2>
        {q ? (
          <span className="muted small">
            {q.strategy} · {q.target} at <code data-testid="queue-target-commit">{shortCommit(view.data.targetCommit ?? "")}</code>
          </span>
        ) : null}
        {q && !isViewer ? (
          q.state === "running" ? (
            <button type="button" className="button button-secondary button-small" onClick={() => stop.mutate({ runId })} disabled={stop.isPending} data-testid="queue-stop">
              Stop the queue
            </button>
          ) : (
            <button type="button" className="button button-small" onClick={() => resume.mutate({ runId })} disabled={resume.isPending} data-testid="queue-resume">
              Resume the queue
            </button>
          )
        ) : null}
      </div>
      <p className="small muted">
        Accepted workers land on {q?.target ?? targetBranch ?? "the target"} one by one, each on top of the target as it is then (the ones before it included), behind the repository&apos;s
        check when its config has one. Your checkout&apos;s uncommitted work is never touched.
      </p>
      {q?.state === "stopped" ? (
        <p className="notice notice-warn notice-compact" data-testid="queue-stopped">
          The queue is stopped{q.stopReason ? `: ${q.stopReason}` : "."}
        </p>
      ) : null}
      {error ? <p className="notice notice-error notice-compact" role="alert" data-testid="queue-error">{errorInfo(error).message}</p> : null}

      {q && q.items.length > 0 ? (
        <ol className="rv-queue-items" data-testid="queue-items">
          {q.items.map((item, index) => (
            <QueueItemRow
              key={item.workerId}
              runId={runId}
              item={item}
              index={index}
              count={q.items.length}
              readOnly={isViewer}
              onMove={move}
              onSet={set}
              dragging={dragging}
              onDrag={setDragging}
              onDropAt={(to) => {
                if (dragging) move(order.indexOf(dragging), to);
                setDragging(null);
              }}
            />
          ))}
        </ol>
      ) : null}
      {q && !isViewer ? (
        <label className="small rv-queue-auto">
          <input type="checkbox" checked={q.autoSendBack} onChange={(e) => configure.mutate({ runId, autoSendBack: e.target.checked })} data-testid="queue-auto" /> Send held items back to their workers automatically
        </label>
      ) : null}

      {!isViewer && candidates.length > 0 ? (
        <div className="rv-queue-accept" data-testid="queue-accept">
          <h3 className="rv-h3">Accept into the queue</h3>
          <p className="small muted">Pick workers in the order they should land (the number shows it), or take every completed one in the run&apos;s order.</p>
          <ul className="rv-queue-candidates">
            {candidates.map((w) => (
              <li key={w.id}>
                <label>
                  <input type="checkbox" checked={picked.includes(w.id)} onChange={() => toggle(w.id)} data-testid="queue-pick" data-worker-id={w.id} />{" "}
                  {picked.includes(w.id) ? <span className="tag">{picked.indexOf(w.id) + 1}</span> : null} {w.label} <code className="role-id">{w.role}</code>{" "}
                  <span className="muted small">{w.status}</span>
                </label>
              </li>
            ))}
          </ul>
          <div className="rv-queue-actions">
            {!q ? (
              <label className="small">
                Strategy{" "}
                <select value={strategy} onChange={(e) => setStrategy(e.target.value as "squash" | "commits")} data-testid="queue-strategy">
                  <option value="squash">squash (one commit per worker)</option>
                  <option value="commits">the worker&apos;s commits</option>
                </select>
              </label>
            ) : null}
            {!q ? (
              <label className="small">
                <input type="checkbox" checked={auto} onChange={(e) => setAuto(e.target.checked)} /> send held items back automatically
              </label>
            ) : null}
            <button type="button" className="button" disabled={picked.length === 0 || accept.isPending} data-testid="queue-accept-picked"
              onClick={() => accept.mutate({ runId, workerIds: picked, ...(q ? {} : { strategy, autoSendBack: auto }) }, { onSuccess: (d) => (set(d), setPicked([])) })}>
              Accept {picked.length || ""} into the queue
            </button>
            <button type="button" className="button button-secondary" disabled={accept.isPending || !candidates.some((w) => w.status === "completed")} data-testid="queue-accept-all"
              onClick={() => accept.mutate({ runId, allCompleted: true, ...(q ? {} : { strategy, autoSendBack: auto }) })}>
              Accept all completed, in this order
            </button>
          </div>
        </div>
      ) : null}
    </section>
  );
}
