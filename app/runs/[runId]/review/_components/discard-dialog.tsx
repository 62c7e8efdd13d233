"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { ConfirmDialog } from "@/app/_components/dialog";
import { ErrorNotice, Loading } from "@/app/_components/states";
import { TextList } from "@/app/_components/text-list";
import { shortCommit } from "@/app/_lib/format";
import type { PanelWorker } from "@/app/_lib/types";
import { useTRPC } from "@/app/_trpc/client";

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/**
 * "Discard…": a confirmation that says exactly what would be lost (uncommitted files, ignored
 * files such as built outputs and data, and the branch's commits when deleting it too —
 * `workers.discardPreview`), then `workers.discard`. The discard shows its own answer; the
 * worker's new state arrives with the run's `worker_discarded` event.
 */
export function DiscardButton({ runId, worker }: { runId: string; worker: PanelWorker }) {
  const trpc = useTRPC();
  const [open, setOpen] = useState(false);
  const [deleteBranch, setDeleteBranch] = useState(false);
  const preview = useQuery(
    trpc.workers.discardPreview.queryOptions({ runId, workerId: worker.id, deleteBranch }, { enabled: open, staleTime: 0, retry: false }),
  );
  const discard = useMutation(
    trpc.workers.discard.mutationOptions({
      onSuccess: () => setOpen(false),
    }),
  );
  const p = preview.data;
  const gone = worker.cleanupStatus === "removed";
  return (
    <>
      <button
        type="button"
        className="button button-secondary rv-button-danger-outline"
        onClick={() => {
          discard.reset();
          setOpen(true);
        }}
        disabled={gone}
        title={gone ? "The worktree was already removed" : undefined}
        data-testid="discard-open"
      >
        Discard…
      </button>
      {discard.isSuccess ? (
        <p className="notice notice-ok notice-compact" role="status" data-testid="discard-result">
          Discarded: the worktree was removed{discard.data.branchDeleted ? " and the branch deleted" : "; the branch is kept"}.
        </p>
      ) : null}
      <ConfirmDialog
        variant="review"
        open={open}
        title={`Discard ${worker.label}'s work?`}
        confirmLabel={deleteBranch ? "Discard and delete the branch" : "Discard"}
        danger
        busy={discard.isPending}
        confirmDisabled={!p || !p.canDiscard}
        onCancel={() => setOpen(false)}
        onConfirm={() => discard.mutate({ runId, workerId: worker.id, deleteBranch, confirm: true })}
        testId="discard-dialog"
        confirmTestId="dialog-confirm"
      >
        {preview.isPending ? (
          <Loading>Checking what would be lost…</Loading>
        ) : !p ? (
          <ErrorNotice error={preview.error} title="Could not check what would be lost" onRetry={() => preview.refetch()} />
        ) : (
          <>
            <p data-testid="discard-summary" data-commits={p.wouldLose.commits} data-uncommitted={p.wouldLose.uncommittedFiles} data-ignored={p.wouldLose.ignoredFiles}>
              {p.wouldLose.commits === 0 && p.wouldLose.uncommittedFiles === 0 && p.wouldLose.ignoredFiles === 0 ? (
                <>Nothing unsaved would be lost: </>
              ) : (
                <>
                  <strong>
                    {[
                      p.wouldLose.commits ? plural(p.wouldLose.commits, "commit") : "",
                      p.wouldLose.uncommittedFiles ? plural(p.wouldLose.uncommittedFiles, "uncommitted file") : "",
                      p.wouldLose.ignoredFiles ? `${p.wouldLose.ignoredFiles} ignored ${p.wouldLose.ignoredFiles === 1 ? "file or folder" : "files or folders"}` : "",
                    ]
                      .filter(Boolean)
                      .join(", ")
                      .replace(/, ([^,]*)$/, " and $1")}
                  </strong>{" "}
                  would be lost for good:{" "}
                </>
              )}
              the worktree <code>{p.worktreePath}</code> is removed{p.worktreeExists ? "" : " (already gone)"}.
            </p>
            {p.uncommittedPaths.length > 0 ? (
              <ul className="rv-path-list">
                {p.uncommittedPaths.slice(0, 12).map((path) => (
                  <li key={path}>
                    <code>{path}</code>
                  </li>
                ))}
                {p.uncommittedFiles > 12 ? <li className="muted">… and {p.uncommittedFiles - 12} more</li> : null}
              </ul>
            ) : null}
            {p.ignoredFiles > 0 ? (
              <div data-testid="discard-ignored" data-count={p.ignoredFiles}>
                <p>
                  <strong>
                    {p.ignoredFiles} ignored {p.ignoredFiles === 1 ? "file or folder" : "files or folders"}
                  </strong>{" "}
                  (built outputs, data) will be deleted with the worktree; git does not keep them anywhere else:
                </p>
                <ul className="rv-path-list" data-testid="discard-ignored-paths">
                  {p.ignoredPaths.slice(0, 12).map((path) => (
                    <li key={path}>
                      <code>{path}</code>
                    </li>
                  ))}
                  {p.ignoredFiles > 12 ? <li className="muted">… and {p.ignoredFiles - 12} more</li> : null}
                </ul>
              </div>
            ) : null}
            {p.launchMadeFiles > 0 ? (
              <p className="muted" data-testid="discard-launch-made" data-count={p.launchMadeFiles}>
                {p.launchMadeFiles} ignored {p.launchMadeFiles === 1 ? "entry" : "entries"} the launch made (files copied from your checkout, what setup added) go too;
                a new launch makes them again.
              </p>
            ) : null}
            <label className="rv-check">
              <input type="checkbox" checked={deleteBranch} onChange={(e) => setDeleteBranch(e.target.checked)} data-testid="discard-delete-branch" disabled={!p.branchExists} /> Also delete
              the branch <code>{p.branch}</code>
              {p.branchExists ? ` (${plural(p.commits, "commit")}${p.merged ? `, merged as ${shortCommit(p.merged.commit)}` : ", not merged"})` : " (already deleted)"}
            </label>
            {!p.canDiscard ? (
              <div className="notice notice-warn notice-compact">
                <TextList className="issues" items={p.reasons} />
              </div>
            ) : null}
            {discard.isError ? <ErrorNotice error={discard.error} title="Discard refused: nothing was removed" /> : null}
          </>
        )}
      </ConfirmDialog>
    </>
  );
}
