"use client";

import type { RouterOutputs, PanelWorker } from "@/app/_lib/types";
import { ReviewLink } from "./review-link";

type Overlap = RouterOutputs["runs"]["overlap"];
type Pair = Overlap["pairs"][number];

/**
 * Which workers changed the same files or hunks, and whether each pair merges cleanly together
 * (git merge-tree of both heads): a matrix, the suggested merge order, and the shared files.
 */
export function OverlapMatrix({ runId, overlap, workers }: { runId: string; overlap: Overlap; workers: readonly PanelWorker[] }) {
  const label = (id: string) => workers.find((w) => w.id === id)?.label ?? id;
  const pairOf = (a: string, b: string): Pair | undefined => overlap.pairs.find((p) => (p.a === a && p.b === b) || (p.a === b && p.b === a));
  const ws = overlap.workers;
  const conflicting = overlap.pairs.filter((p) => !p.clean).length;

  return (
    <div className="rv-overlap" data-testid="overlap">
      {ws.length < 2 ? (
        <p className="muted" data-testid="overlap-few">
          {ws.length === 0 ? "No worker has committed changes yet." : "Only one worker has committed changes, so there is nothing to overlap."}
        </p>
      ) : (
        <>
          <p className="small">
            {conflicting === 0 ? (
              <span className="rv-verdict-ok">Every pair of workers merges cleanly together.</span>
            ) : (
              <span className="rv-verdict-bad">
                {conflicting} pair{conflicting === 1 ? "" : "s"} of workers conflict: merge one of each, then ask the other for changes on top.
              </span>
            )}
          </p>
          <div className="table-wrap">
            <table className="table rv-matrix" data-testid="overlap-matrix">
              <caption className="visually-hidden">Overlap between workers: shared files, overlapping hunks, and whether the two merge cleanly together</caption>
              <thead>
                <tr>
                  <th scope="col">Worker</th>
                  {ws.map((w) => (
                    <th key={w.workerId} scope="col" className="rv-matrix-col">
                      {label(w.workerId)}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {ws.map((row) => (
                  <tr key={row.workerId}>
                    <th scope="row">
                      <ReviewLink runId={runId} workerId={row.workerId} className="" testId="overlap-worker-link">
                        {label(row.workerId)}
                      </ReviewLink>
                      <span className="block muted small">
                        {row.files} file{row.files === 1 ? "" : "s"} <span className="diff-plus">+{row.additions}</span> <span className="diff-minus">−{row.deletions}</span>
                        {row.merged ? <span className="badge rv-badge-merged rv-badge-small">merged</span> : null}
                      </span>
                    </th>
                    {ws.map((col) => {
                      if (col.workerId === row.workerId) {
                        return (
                          <td key={col.workerId} className="rv-cell rv-cell-self" aria-label="same worker">
                            —
                          </td>
                        );
                      }
                      const p = pairOf(row.workerId, col.workerId);
                      if (!p) return <td key={col.workerId} className="rv-cell">?</td>;
                      const shared = p.sharedFiles.length;
                      return (
                        <td
                          key={col.workerId}
                          className={`rv-cell ${p.clean ? (shared ? "rv-cell-shared" : "rv-cell-clean") : "rv-cell-conflict"}`}
                          data-testid="overlap-cell"
                          data-a={row.workerId}
                          data-b={col.workerId}
                          data-clean={String(p.clean)}
                          data-shared={shared}
                          title={p.sharedFiles.map((f) => `${f.path}${f.overlaps.length ? ` (${f.overlaps.length} overlapping)` : ""}`).join("\n") || "No file in common"}
                        >
                          <span className="rv-cell-verdict">{p.clean ? "✓ clean" : `✗ ${p.conflicts.length} conflict${p.conflicts.length === 1 ? "" : "s"}`}</span>
                          <span className="block small muted">
                            {shared ? `${shared} shared file${shared === 1 ? "" : "s"}` : "no shared files"}
                            {p.overlappingHunks ? ` · ${p.overlappingHunks} overlapping hunk${p.overlappingHunks === 1 ? "" : "s"}` : ""}
                          </span>
                        </td>
                      );
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}

      {overlap.suggestedOrder.length > 0 ? (
        <section aria-labelledby="merge-order-title">
          <h3 id="merge-order-title" className="rv-h3">
            Suggested merge order
          </h3>
          <p className="hint">Fewest conflicting partners first, then fewest overlapping hunks, then the smallest change.</p>
          <ol className="rv-order" data-testid="merge-order">
            {overlap.suggestedOrder.map((id, i) => {
              const w = ws.find((x) => x.workerId === id);
              return (
                <li key={id} data-worker-id={id}>
                  <ReviewLink runId={runId} workerId={id} className="" testId="merge-order-link">
                    {label(id)}
                  </ReviewLink>
                  {i === 0 ? <span className="tag tag-default">merge first</span> : null}
                  {w && w.conflictsWith.length ? <span className="muted small"> — conflicts with {w.conflictsWith.map(label).join(", ")}</span> : null}
                </li>
              );
            })}
          </ol>
        </section>
      ) : null}

      {overlap.files.length > 0 ? (
        <section aria-labelledby="shared-files-title">
          <h3 id="shared-files-title" className="rv-h3">
            Files changed by more than one worker ({overlap.files.length})
          </h3>
          <ul className="rv-shared" data-testid="shared-files">
            {overlap.files.slice(0, 200).map((f) => (
              <li key={f.path}>
                <code>{f.path}</code>{" "}
                {f.workers.map((id) => (
                  <ReviewLink key={id} runId={runId} workerId={id} path={f.path} className="rv-chip-link" testId="shared-file-link">
                    {label(id)}
                  </ReviewLink>
                ))}
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      {overlap.skipped.length > 0 ? (
        <p className="muted small" data-testid="overlap-skipped">
          Not compared: {overlap.skipped.map((s) => `${label(s.workerId)} (${s.reason})`).join(", ")}.
        </p>
      ) : null}
    </div>
  );
}
