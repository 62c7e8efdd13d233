"use client";

import { useState } from "react";
import type { DiffFileOut, DiffViewMode } from "@/app/_components/diff/model/types";
import { FileDiff } from "@/app/_components/diff/ui/file-diff";
import { shortCommit } from "@/app/_lib/format";
import type { PanelWorker } from "@/app/_lib/types";

/**
 * Two workers' versions of the same file: both diffs side by side (each against its own base),
 * or the difference between their versions (this worker's diff measured from the other's head
 * commit: `workers.diff` with `since: <other head>`, limited to the path).
 */
export function CompareView({
  runId, worker, other, otherHead, file, mode,
}: {
  runId: string;
  worker: PanelWorker;
  other: PanelWorker;
  otherHead: string;
  file: DiffFileOut;
  mode: DiffViewMode;
}) {
  const [view, setView] = useState<"side" | "between">("side");
  const basePath = file.oldPath ?? file.path;
  // The other worker's entry for this file is looked up by the path in the base (a rename on either side still matches).
  const otherFile: DiffFileOut = { path: basePath, status: "modified", additions: 0, deletions: 0, binary: file.binary };
  return (
    <section className="rv-compare" data-testid="compare-view" data-other={other.id} aria-label={`${worker.label} and ${other.label} on ${file.path}`}>
      <div className="rv-seg" role="group" aria-label="Comparison">
        <button type="button" aria-pressed={view === "side"} onClick={() => setView("side")} data-testid="compare-side">
          Both diffs side by side
        </button>
        <button type="button" aria-pressed={view === "between"} onClick={() => setView("between")} data-testid="compare-between">
          Between their versions
        </button>
      </div>
      {view === "side" ? (
        <div className="rv-compare-cols">
          <div>
            <p className="rv-compare-label">
              <strong>{worker.label}</strong> <span className="muted small">(this worker)</span>
            </p>
            <FileDiff runId={runId} workerId={worker.id} file={file} mode="unified" testId="compare-left" />
          </div>
          <div>
            <p className="rv-compare-label">
              <strong>{other.label}</strong> <span className="muted small">at {shortCommit(otherHead)}</span>
            </p>
            <FileDiff runId={runId} workerId={other.id} file={otherFile} mode="unified" testId="compare-right" notFoundText={`${other.label} did not change this file.`} />
          </div>
        </div>
      ) : (
        <>
          <p className="muted small">
            From <strong>{other.label}</strong>&apos;s version (<code>{shortCommit(otherHead)}</code>) to <strong>{worker.label}</strong>&apos;s: lines marked − are
            only in {other.label}&apos;s version, lines marked + only in {worker.label}&apos;s.
          </p>
          <FileDiff
            runId={runId}
            workerId={worker.id}
            file={file}
            since={otherHead}
            mode={mode}
            testId="compare-between-diff"
            notFoundText={`${worker.label} and ${other.label} have the same version of this file.`}
          />
        </>
      )}
    </section>
  );
}
