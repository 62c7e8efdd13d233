"use client";

import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { RelativeTime } from "@/app/_components/relative-time";
import { ErrorNotice } from "@/app/_components/states";
import { shortCommit } from "@/app/_lib/format";
import type { PanelWorker } from "@/app/_lib/types";
import { useTRPC } from "@/app/_trpc/client";
import { isActiveWorker } from "../../_model/worker-state";

/**
 * The worker's last merge, and the cleanup of its worktree after it. The cleanup shows its own
 * answer; the worker's new state (worktree removed) arrives with the run's event.
 */
export function MergedInfo({ runId, worker, readOnly }: { runId: string; worker: PanelWorker; readOnly: boolean }) {
  const trpc = useTRPC();
  const [deleteBranch, setDeleteBranch] = useState(false);
  const cleanup = useMutation(trpc.workers.cleanup.mutationOptions());
  const m = worker.merged;
  if (!m) return null;
  const removed = worker.cleanupStatus === "removed";
  return (
    <section className="card rv-merged" data-testid="merged-info" aria-labelledby="merged-title">
      <h2 id="merged-title" className="rv-h2">
        <span className="badge rv-badge-merged">merged</span> into <code>{m.target}</code> as <code title={m.commit}>{shortCommit(m.commit)}</code>
      </h2>
      <p className="muted small">
        {m.strategy} · worker head <code>{shortCommit(m.workerHead)}</code> · <RelativeTime iso={m.at} />
      </p>
      {removed ? (
        <p className="small" data-testid="cleanup-done">
          The worktree was removed.
        </p>
      ) : readOnly ? null : (
        <div className="rv-cleanup" data-testid="cleanup">
          <p className="small">
            The worktree is no longer needed. Removing it keeps the branch <code>{worker.worktreeBranch}</code> unless you ask otherwise.
          </p>
          <label className="small rv-check">
            <input type="checkbox" checked={deleteBranch} onChange={(e) => setDeleteBranch(e.target.checked)} data-testid="cleanup-delete-branch" /> Also delete the branch
          </label>
          <div>
            <button
              type="button"
              className="button button-secondary button-small"
              onClick={() => cleanup.mutate({ runId, workerId: worker.id, deleteBranch })}
              disabled={cleanup.isPending || isActiveWorker(worker)}
              data-testid="cleanup-submit"
            >
              {cleanup.isPending ? "Removing…" : "Remove the worktree"}
            </button>
          </div>
        </div>
      )}
      {cleanup.isSuccess ? (
        <p className="notice notice-ok notice-compact" role="status" data-testid="cleanup-result">
          Worktree removed{cleanup.data.branchDeleted ? "; branch deleted" : "; the branch is kept"}.
        </p>
      ) : null}
      {cleanup.isError ? (
        <div data-testid="cleanup-refused">
          <ErrorNotice error={cleanup.error} title="Cleanup refused: nothing was removed" testId="cleanup-error" />
          {!removed ? (
            <p className="small muted" data-testid="cleanup-discard-hint">
              To remove the worktree with what it still holds, use <strong>Discard…</strong> below: it lists everything that would be deleted before it does anything.
            </p>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
