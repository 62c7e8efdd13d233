"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { FileStatus } from "@/app/_components/diff/ui/file-status";
import { RelativeTime } from "@/app/_components/relative-time";
import { ErrorNotice, Loading } from "@/app/_components/states";
import { TextList } from "@/app/_components/text-list";
import { errorInfo } from "@/app/_lib/errors";
import { shortCommit } from "@/app/_lib/format";
import type { RouterOutputs, PanelWorker } from "@/app/_lib/types";
import { useTRPC } from "@/app/_trpc/client";
import { isActiveWorker } from "../../_model/worker-state";
import { DiscardButton } from "./discard-dialog";
import { MergedInfo } from "./merged-info";

type MergeOutcome = RouterOutputs["workers"]["merge"];

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/**
 * Merging one worker: the preview (target branch and commit, clean or the conflicting files
 * with their conflict excerpts, what would change), then squash (message prefilled, editable)
 * or commits; a refusal says why and that nothing changed. After a merge: the commit, and the
 * cleanup of the worktree (the branch only on request). Discard lives here too.
 *
 * The merge sends the target commit and the worker head the preview showed; the server refuses
 * (nothing changed) when either moved since. The merge shows its own answer and changes no cache:
 * the run's `worker_merged` event brings the worker's new state, the merge history, and marks
 * the previews it made stale (run-stream.ts).
 */
export function MergePanel({ runId, worker, readOnly }: { runId: string; worker: PanelWorker; readOnly: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const ref = { runId, workerId: worker.id };
  const preview = useQuery(trpc.workers.mergePreview.queryOptions(ref, { staleTime: 0, refetchOnWindowFocus: true, retry: false }));
  const merges = useQuery(trpc.workers.merges.queryOptions(ref));
  const [strategy, setStrategy] = useState<"squash" | "commits">("squash");
  const [message, setMessage] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<MergeOutcome | null>(null);
  /** The worker head the last merge request said the user reviewed. */
  const [sentHead, setSentHead] = useState<string | null>(null);
  const p = preview.data;

  // The prefilled message follows the preview until the user edits it.
  const prefilled = p?.message ?? "";
  const text = message ?? prefilled;
  useEffect(() => {
    setMessage(null);
    setOutcome(null);
    setSentHead(null);
  }, [worker.id]);

  const merge = useMutation(
    trpc.workers.merge.mutationOptions({
      onSuccess: (out) => {
        setOutcome(out);
        setMessage(null);
      },
      // Show what is there now (the refusal says what moved); a new worker head is held below.
      onError: () => void preview.refetch(),
    }),
  );
  // The worker's branch moved since the preview the user merged from: its new commits were not
  // reviewed, so merging waits until the user looks again (a silent retry would merge them).
  const headMoved = merge.isError && sentHead !== null && p !== undefined && p.headCommit !== sentHead;
  const previewAgain = () => {
    merge.reset();
    setSentHead(null);
    void preview.refetch();
    // The branch moved outside any event: the Changes tab must read the new commits too.
    void queryClient.invalidateQueries({ queryKey: trpc.workers.diff.queryKey(ref) });
  };

  if (preview.isPending) return <Loading>Checking how {worker.label}&apos;s changes merge…</Loading>;
  if (!p) {
    const info = errorInfo(preview.error);
    return (
      <div className="rv-merge" data-testid="merge-panel">
        <ErrorNotice error={preview.error} title={info.code === "PRECONDITION_FAILED" ? "Nothing to merge yet" : "Could not preview the merge"} onRetry={() => preview.refetch()} testId="merge-preview-error" />
        <MergedInfo runId={runId} worker={worker} readOnly={readOnly} />
        {!readOnly ? <DiscardButton runId={runId} worker={worker} /> : null}
      </div>
    );
  }

  const busy = merge.isPending;
  const canSubmit = !readOnly && p.canMerge && !busy && !headMoved && (strategy === "commits" || text.trim().length > 0);

  return (
    <div className="rv-merge" data-testid="merge-panel" data-clean={String(p.clean)} data-can-merge={String(p.canMerge)}>
      <section className="rv-merge-preview card" aria-labelledby="merge-preview-title">
        <div className="rv-merge-head">
          <h2 id="merge-preview-title" className="rv-h2">
            Merge into <code data-testid="merge-target">{p.target}</code>
          </h2>
          <span className="muted small">
            at <code title={p.targetCommit} data-testid="merge-target-commit">{shortCommit(p.targetCommit)}</code> · {p.commits} commit{p.commits === 1 ? "" : "s"} from{" "}
            <code title={p.headCommit} data-testid="merge-head-commit">{shortCommit(p.headCommit)}</code>
          </span>
          <button type="button" className="button button-secondary button-small" onClick={() => preview.refetch()} disabled={preview.isFetching} data-testid="merge-refresh">
            {preview.isFetching ? "Checking…" : "Check again"}
          </button>
        </div>

        {p.clean && !p.upToDate ? (
          <p className="rv-verdict rv-verdict-ok" data-testid="merge-verdict" data-verdict="clean">
            ✓ Merges cleanly: {p.files.length} file{p.files.length === 1 ? "" : "s"} would change in {p.target}.
          </p>
        ) : p.upToDate ? (
          <p className="rv-verdict rv-verdict-info" data-testid="merge-verdict" data-verdict="up-to-date">
            {p.target} already has these changes: nothing to merge.
          </p>
        ) : (
          <p className="rv-verdict rv-verdict-bad" data-testid="merge-verdict" data-verdict="conflicts">
            ✗ {p.conflicts.length} file{p.conflicts.length === 1 ? "" : "s"} conflict with {p.target}.
          </p>
        )}

        {p.conflicts.length > 0 ? (
          <ul className="rv-conflicts" data-testid="merge-conflicts">
            {p.conflicts.map((c) => (
              <li key={c.path} data-testid="merge-conflict" data-path={c.path}>
                <p>
                  <code>{c.path}</code> <span className="muted small">{c.types.join(", ")}</span>
                </p>
                {c.messages.length ? <p className="small muted">{c.messages.join(" ")}</p> : null}
                {c.hunks ? <pre className="rv-conflict-excerpt">{c.hunks}</pre> : null}
              </li>
            ))}
          </ul>
        ) : null}

        {p.clean && p.files.length > 0 ? (
          <details className="rv-merge-files" open={p.files.length <= 8}>
            <summary>Files this merge changes ({p.files.length})</summary>
            <ul data-testid="merge-files">
              {p.files.map((f) => (
                <li key={f.path}>
                  <FileStatus status={f.status} similarity={f.similarity} /> <code>{f.oldPath ? `${f.oldPath} → ${f.path}` : f.path}</code>
                </li>
              ))}
            </ul>
          </details>
        ) : null}

        {p.checkout ? (
          <p className="small muted" data-testid="merge-checkout">
            {p.target} is checked out at <code>{p.checkout.path}</code>
            {p.checkout.dirtyFiles > 0 ? ` with ${p.checkout.dirtyFiles} local change${p.checkout.dirtyFiles === 1 ? "" : "s"}` : ""}: the merge fast-forwards it there
            {p.checkout.dirtyFiles > 0 ? " and git refuses rather than overwrite a local change" : ""}.
          </p>
        ) : null}
        {p.checkout && p.checkout.ignoredFiles.length > 0 ? (
          <div className="notice notice-warn notice-compact" data-testid="merge-ignored" data-count={p.checkout.ignoredFiles.length}>
            <p className="notice-title">
              The merge would overwrite {plural(p.checkout.ignoredFiles.length, "ignored file")} in <code className="wrap-anywhere">{p.checkout.path}</code>
            </p>
            <p className="small">
              {worker.label} committed files that this checkout keeps untracked and ignored (a local configuration, built outputs, data). The panel never overwrites them: move them
              aside, or remove them from the worker branch, then check again.
            </p>
            <ul className="rv-path-list">
              {p.checkout.ignoredFiles.slice(0, 12).map((path) => (
                <li key={path}>
                  <code>{path}</code>
                </li>
              ))}
              {p.checkout.ignoredFiles.length > 12 ? <li className="muted">… and {p.checkout.ignoredFiles.length - 12} more</li> : null}
            </ul>
          </div>
        ) : null}
        {p.worktreeUncommittedFiles > 0 ? (
          <p className="notice notice-warn notice-compact" data-testid="merge-uncommitted">
            The worktree has {p.worktreeUncommittedFiles} uncommitted file{p.worktreeUncommittedFiles === 1 ? "" : "s"}: they are not part of this merge.
          </p>
        ) : null}
        {!p.canMerge && p.reasons.length > 0 && !p.upToDate ? (
          <div className="notice notice-warn notice-compact" data-testid="merge-reasons">
            <p className="notice-title">Not ready to merge</p>
            <TextList className="issues" items={p.reasons} />
          </div>
        ) : null}
      </section>

      {outcome?.alreadyMerged ? (
        <div className="notice notice-info" role="status" data-testid="merge-result" data-already-merged="true">
          <p className="notice-title">Already merged</p>
          <p>{outcome.message}</p>
        </div>
      ) : outcome ? (
        <div className="notice notice-ok" role="status" data-testid="merge-result">
          <p className="notice-title">
            Merged into {outcome.target}: <code title={outcome.commit} data-testid="merge-result-commit">{shortCommit(outcome.commit)}</code>
          </p>
          <p>
            {outcome.strategy === "squash" ? "One squash commit" : `${outcome.commits.length} commit${outcome.commits.length === 1 ? "" : "s"} replayed`} on top of{" "}
            <code>{shortCommit(outcome.previousCommit)}</code>
            {outcome.movedBy === "merge-ff" && outcome.checkout ? (
              <>
                ; the checkout at <code>{outcome.checkout}</code> was fast-forwarded
              </>
            ) : null}
            .
          </p>
        </div>
      ) : null}
      {merge.isError ? (
        <div className="rv-refusal" data-testid="merge-refusal" data-head-moved={String(headMoved)}>
          <ErrorNotice error={merge.error} title="The merge was refused" testId="merge-error" />
          {headMoved ? (
            <p className="notice notice-warn notice-compact" data-testid="merge-head-moved">
              {worker.label}&apos;s branch is now at <code title={p.headCommit}>{shortCommit(p.headCommit)}</code>, not the <code title={sentHead ?? ""}>{shortCommit(sentHead ?? "")}</code> you
              reviewed. Read its new changes (Changes tab), then preview again before merging.
            </p>
          ) : null}
          <button type="button" className="button button-secondary button-small" onClick={previewAgain} disabled={preview.isFetching} data-testid="merge-preview-again">
            {preview.isFetching ? "Checking…" : "Preview again"}
          </button>
        </div>
      ) : null}
      <MergedInfo runId={runId} worker={worker} readOnly={readOnly} />

      {p.upToDate ? null : readOnly ? (
        <p className="muted small" data-testid="merge-read-only">
          This session is read-only: an operator merges, cleans up or discards.
        </p>
      ) : (
        <form
          className="rv-merge-form card"
          onSubmit={(e) => {
            e.preventDefault();
            if (!canSubmit) return;
            setSentHead(p.headCommit);
            merge.mutate({
              ...ref,
              strategy,
              expectedTargetCommit: p.targetCommit,
              expectedHeadCommit: p.headCommit,
              ...(strategy === "squash" ? { message: text } : {}),
            });
          }}
          data-testid="merge-form"
        >
          <fieldset className="field">
            <legend>Strategy</legend>
            <div className="rv-radios">
              <label>
                <input type="radio" name="strategy" value="squash" checked={strategy === "squash"} onChange={() => setStrategy("squash")} data-testid="strategy-squash" /> Squash into one
                commit <span className="muted small">(default)</span>
              </label>
              <label>
                <input type="radio" name="strategy" value="commits" checked={strategy === "commits"} onChange={() => setStrategy("commits")} data-testid="strategy-commits" /> Keep the
                worker&apos;s {p.commits} commit{p.commits === 1 ? "" : "s"}
              </label>
            </div>
          </fieldset>
          {strategy === "squash" ? (
            <div className="field">
              <label htmlFor="merge-message">Commit message</label>
              <textarea id="merge-message" value={text} onChange={(e) => setMessage(e.target.value)} rows={7} className="rv-mono" data-testid="merge-message" />
              <p className="hint">
                Prefilled from the worker&apos;s role, label and result summary.{" "}
                {message !== null && message !== prefilled ? (
                  <button type="button" className="link-button" onClick={() => setMessage(null)}>
                    Reset
                  </button>
                ) : null}
              </p>
            </div>
          ) : (
            <p className="hint">Each commit keeps its own message and author; a commit that conflicts on replay stops the merge and nothing changes.</p>
          )}
          <div className="form-actions">
            <button type="submit" className="button" disabled={!canSubmit} data-testid="merge-submit">
              {busy ? "Merging…" : `Merge into ${p.target}`}
            </button>
            {isActiveWorker(worker) ? <span className="muted small">Wait for the worker to finish.</span> : null}
          </div>
        </form>
      )}

      {merges.data && merges.data.length > 0 ? (
        <section aria-labelledby="merge-history-title">
          <h2 id="merge-history-title" className="rv-h2">
            Merge history
          </h2>
          <ul className="rv-history" data-testid="merge-history">
            {merges.data.map((m) => (
              <li key={m.id}>
                <code title={m.commit}>{shortCommit(m.commit)}</code> into <code>{m.target}</code> ({m.strategy}) · <RelativeTime iso={m.createdAt} />
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      {!readOnly ? (
        <section className="rv-danger" aria-labelledby="discard-title">
          <h2 id="discard-title" className="rv-h2">
            Discard
          </h2>
          <p className="muted small">Remove the worktree without merging (and, if you choose, the branch with its commits).</p>
          <DiscardButton runId={runId} worker={worker} />
        </section>
      ) : null}
    </div>
  );
}
