"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ConfirmDialog } from "@/app/_components/dialog";
import { ErrorNotice } from "@/app/_components/states";
import type { RunView } from "@/app/_lib/types";
import { useTRPC } from "@/app/_trpc/client";
import { allowedActions, type RunAction } from "../_model/actions";

const LABEL: Record<RunAction, string> = { launch: "Launch", stop: "Stop", resume: "Resume", shutdown: "Shut down" };
const WHY_NOT: Record<RunAction, string> = {
  launch: "Only a planned run can be launched",
  stop: "Only a running run, or one whose workers wait for approval, can be stopped",
  resume: "Only a stopped or failed run that was not shut down can be resumed",
  shutdown: "This run is already shut down",
};
const HELP: Record<RunAction, string> = {
  launch: "Create each worker's worktree and tmux window, and start the agents",
  stop: "Stop the unfinished workers",
  resume: "Relaunch the workers that did not finish",
  shutdown: "Close the tmux windows and remove worktrees whose changes are committed",
};

/** Launch / Stop / Resume / Shut down, enabled where the run's state allows; Stop and Shut down ask first. */
export function RunActions({ run }: { run: RunView }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [confirm, setConfirm] = useState<"stop" | "shutdown" | null>(null);
  const allowed = allowedActions(run);
  const runKey = trpc.runs.get.queryKey({ runId: run.id });

  const onSuccess = (next: RunView) => {
    // The mutation returns the run after the action; keep whichever state is newer (events may have moved on).
    queryClient.setQueryData<RunView>(runKey, (old) => (!old || next.updatedAt >= old.updatedAt ? next : old));
    setConfirm(null);
  };
  const launch = useMutation(trpc.runs.launch.mutationOptions({ onSuccess: (r) => onSuccess(r as RunView) }));
  const stop = useMutation(trpc.runs.stop.mutationOptions({ onSuccess: (r) => onSuccess(r as RunView) }));
  const resume = useMutation(trpc.runs.resume.mutationOptions({ onSuccess: (r) => onSuccess(r as RunView) }));
  const shutdown = useMutation(trpc.runs.shutdown.mutationOptions({ onSuccess: (r) => onSuccess(r as RunView) }));
  const mutations = { launch, stop, resume, shutdown };
  const busy = Object.values(mutations).some((m) => m.isPending);
  const failed = (Object.entries(mutations) as [RunAction, (typeof mutations)[RunAction]][]).find(([, m]) => m.isError);

  function press(action: RunAction) {
    if (action === "stop" || action === "shutdown") {
      setConfirm(action);
      return;
    }
    for (const m of Object.values(mutations)) m.reset();
    mutations[action].mutate({ runId: run.id });
  }

  const unfinished = run.workers.filter((w) => !["completed", "blocked", "failed"].includes(w.status)).length;

  return (
    <div className="run-actions" data-testid="run-actions">
      <div className="button-row" role="group" aria-label="Run actions">
        {(["launch", "stop", "resume", "shutdown"] as const).map((action) => {
          const m = mutations[action];
          return (
            <button
              key={action}
              type="button"
              className={`button ${action === "launch" || action === "resume" ? "" : "button-secondary"} ${action === "shutdown" ? "button-danger-outline" : ""}`}
              data-testid={`action-${action}`}
              disabled={!allowed[action] || busy}
              title={allowed[action] ? HELP[action] : WHY_NOT[action]}
              onClick={() => press(action)}
            >
              {m.isPending ? `${LABEL[action]}…` : LABEL[action]}
            </button>
          );
        })}
      </div>
      {failed ? (
        <ErrorNotice error={failed[1].error} title={`${LABEL[failed[0]]} did not go through`} testId="action-error" />
      ) : null}

      <ConfirmDialog
        open={confirm === "stop"}
        title="Stop this run?"
        confirmLabel="Stop run"
        busy={stop.isPending}
        onConfirm={() => stop.mutate({ runId: run.id })}
        onCancel={() => setConfirm(null)}
        testId="confirm-stop"
      >
        <p>
          The tmux windows of the {unfinished === 1 ? "unfinished worker" : `${unfinished} unfinished workers`} are closed and
          they are marked <strong>stopped</strong>. Workers that already finished keep their results.
        </p>
        <p>Worktrees and branches stay as they are, so you can look at the work and Resume the run later.</p>
      </ConfirmDialog>

      <ConfirmDialog
        open={confirm === "shutdown"}
        title="Shut down this run?"
        confirmLabel="Shut down run"
        danger
        busy={shutdown.isPending}
        onConfirm={() => shutdown.mutate({ runId: run.id })}
        onCancel={() => setConfirm(null)}
        testId="confirm-shutdown"
      >
        <ul>
          <li>Every tmux window of the run is closed; workers still running are stopped.</li>
          <li>
            Each worker&apos;s worktree is <strong>removed if all its changes are committed</strong>. A worktree with
            uncommitted changes is kept, and the run shows why.
          </li>
          <li>
            <strong>Branches are kept</strong> (<code>longtable/panel/{run.id}/…</code>), so worker commits can still be
            reviewed and merged.
          </li>
          <li>A shut-down run cannot be resumed; create a new run to continue.</li>
        </ul>
      </ConfirmDialog>
    </div>
  );
}
