"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { FieldErrors } from "@/app/_components/field-errors";
import { RelativeTime } from "@/app/_components/relative-time";
import { ErrorNotice, Loading } from "@/app/_components/states";
import { errorInfo, issuesFor } from "@/app/_lib/errors";
import { isFinishedRun } from "@/app/_lib/live";
import type { RunView } from "@/app/_lib/types";
import { useTRPC } from "@/app/_trpc/client";
import { withDecision, type DecisionRow } from "../_model/run-reducer";

const PRESETS = [
  { value: "revise", label: "Revise", hint: "Change the work along the panel's objections" },
  { value: "evidence", label: "Gather evidence", hint: "Find or collect what the panel said is missing" },
  { value: "proceed", label: "Proceed", hint: "The work holds up; move on" },
  { value: "defer", label: "Defer", hint: "Decide later" },
  { value: "other", label: "Other", hint: "Say it in your own words" },
] as const;

type Choice = (typeof PRESETS)[number]["value"];

const FINISHED_TEXT: Record<string, string> = {
  completed: "The run has completed.",
  blocked: "The run is blocked.",
  failed: "The run failed.",
  stopped: "The run was stopped.",
};

/**
 * The decision checkpoint: once the run has finished, record what happens next; past decisions
 * below. A recorded decision goes into the list from the answer (the run's `decision_recorded`
 * event carries the same decision, added once: run-stream.ts).
 */
export function DecisionPanel({ run, canDecide }: { run: RunView; canDecide: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const ids = useId();
  const decisions = useQuery(trpc.runs.decisions.queryOptions({ runId: run.id }));
  const [choice, setChoice] = useState<Choice | "">("");
  const [other, setOther] = useState("");
  const [note, setNote] = useState("");
  const decide = useMutation(
    trpc.runs.decide.mutationOptions({
      onSuccess: (decision) => {
        setChoice("");
        setOther("");
        setNote("");
        queryClient.setQueryData<DecisionRow[]>(trpc.runs.decisions.queryKey({ runId: run.id }), (old) => (old ? (withDecision(old, decision) as DecisionRow[]) : old));
      },
    }),
  );
  const finished = isFinishedRun(run.status);
  const info = decide.isError ? errorInfo(decide.error) : undefined;
  const answer = choice === "other" ? other.trim() : choice;

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (!answer || decide.isPending) return;
    decide.mutate({ runId: run.id, answer, note: note.trim() || undefined });
  }

  const list = decisions.data ?? [];
  if (!finished && list.length === 0) return null;

  return (
    <section className="decision-section card" aria-labelledby={`${ids}-heading`} data-testid="decision-panel">
      <h2 id={`${ids}-heading`}>Decision checkpoint</h2>
      {finished && canDecide ? (
        <form className="decision-form" onSubmit={submit} data-testid="decision-form">
          <fieldset className="field">
            <legend>{FINISHED_TEXT[run.status] ?? `The run is ${run.status}.`} What happens next?</legend>
            <div className="choice-row">
              {PRESETS.map((p) => (
                <label key={p.value} className={`choice${choice === p.value ? " is-checked" : ""}`} title={p.hint}>
                  <input
                    type="radio"
                    name={`${ids}-answer`}
                    value={p.value}
                    checked={choice === p.value}
                    onChange={() => setChoice(p.value)}
                    data-testid={`decision-${p.value}`}
                  />
                  <span>{p.label}</span>
                </label>
              ))}
            </div>
            <FieldErrors id={`${ids}-answer-err`} messages={issuesFor(info, "answer")} />
          </fieldset>
          {choice === "other" ? (
            <div className="field">
              <label htmlFor={`${ids}-other`}>Your decision</label>
              <input
                id={`${ids}-other`}
                type="text"
                value={other}
                maxLength={200}
                onChange={(e) => setOther(e.target.value)}
                placeholder="e.g. split chapter 3 into two"
                data-testid="decision-other-text"
                required
              />
            </div>
          ) : null}
          <div className="field">
            <label htmlFor={`${ids}-note`}>
              Note <span className="label-secondary muted">(optional)</span>
            </label>
            <textarea id={`${ids}-note`} rows={3} value={note} onChange={(e) => setNote(e.target.value)} data-testid="decision-note" placeholder="Why, and what to do first" />
            <FieldErrors id={`${ids}-note-err`} messages={issuesFor(info, "note")} />
          </div>
          {info && info.issues.length === 0 ? <ErrorNotice error={decide.error} title="The decision was not recorded" /> : null}
          <div className="form-actions">
            <button type="submit" className="button" disabled={!answer || decide.isPending} data-testid="decision-submit">
              {decide.isPending ? "Recording…" : "Record decision"}
            </button>
            {decide.isSuccess ? (
              <span className="success" role="status">
                Recorded.
              </span>
            ) : null}
          </div>
        </form>
      ) : finished ? (
        <p className="muted">This session is read-only; an operator records decisions.</p>
      ) : null}

      <h3 className="decisions-heading">Past decisions</h3>
      {decisions.isPending ? (
        <Loading>Loading decisions…</Loading>
      ) : decisions.isError ? (
        <ErrorNotice error={decisions.error} title="Could not load the decisions" onRetry={() => decisions.refetch()} />
      ) : list.length === 0 ? (
        <p className="muted small">No decision recorded yet.</p>
      ) : (
        <ol className="decisions" data-testid="decisions">
          {list.map((d) => (
            <li key={d.id} data-testid="decision-item">
              <span className="decision" data-testid="decision-answer">
                {d.answer}
              </span>{" "}
              <span className="muted small">
                <RelativeTime iso={d.createdAt} />
              </span>
              {d.note ? <p className="pre-wrap decision-note">{d.note}</p> : null}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
