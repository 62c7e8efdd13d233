"use client";

import { useQuery } from "@tanstack/react-query";
import { AgentBadge } from "@/app/_components/agent-badge";
import { StatusBadge } from "@/app/_components/badge";
import { EmptyState, ErrorNotice, Loading } from "@/app/_components/states";
import type { RouterOutputs, PanelWorker } from "@/app/_lib/types";
import { useTRPC } from "@/app/_trpc/client";

type SynthesisOut = RouterOutputs["runs"]["synthesis"];
type Member = SynthesisOut["members"][number];
type Group = SynthesisOut["objectionGroups"][number];
type Disagreement = SynthesisOut["disagreements"][number];

/** Save text as a file the browser downloads (no server round trip). */
export function downloadText(filename: string, text: string, type: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Members side by side, objections and open questions grouped across roles, disagreements marked; export. */
export function SynthesisView({ runId, workers }: { runId: string; workers: PanelWorker[] }) {
  const trpc = useTRPC();
  const synthesis = useQuery(trpc.runs.synthesis.queryOptions({ runId }, { staleTime: 30_000 }));

  if (synthesis.isPending) return <Loading>Reading the members&apos; results…</Loading>;
  if (!synthesis.data) return <ErrorNotice error={synthesis.error} title="Could not build the panel synthesis" onRetry={() => synthesis.refetch()} />;
  const s = synthesis.data;
  const reported = s.members.length;

  return (
    <div className="synthesis" data-testid="synthesis">
      <div className="synthesis-head">
        <p className="muted" data-testid="synthesis-state">
          {s.final
            ? `Final: the panel result of all ${reported} member${reported === 1 ? "" : "s"}.`
            : reported === 0
              ? "No member has reported a result yet."
              : `Partial: ${reported} of ${workers.length} members have reported so far. This view updates as results arrive.`}
        </p>
        <div className="button-row">
          <button
            type="button"
            className="button button-secondary button-small"
            data-testid="export-markdown"
            disabled={reported === 0}
            onClick={() => downloadText(`${runId}-panel.md`, s.markdown, "text/markdown;charset=utf-8")}
          >
            Export Markdown
          </button>
          <button
            type="button"
            className="button button-secondary button-small"
            data-testid="export-json"
            disabled={reported === 0}
            onClick={() => downloadText(`${runId}-panel-result.json`, `${JSON.stringify(s.aggregate, null, 2)}\n`, "application/json")}
          >
            Export JSON
          </button>
        </div>
      </div>

      {reported === 0 ? (
        <EmptyState title="Nothing to compare yet" testId="synthesis-empty">
          <p>When workers finish, their summaries, claims, objections and open questions appear here side by side.</p>
        </EmptyState>
      ) : (
        <>
          <section aria-labelledby="across-heading" className="across">
            <h3 id="across-heading">Across the panel</h3>
            <div className="across-grid">
              <GroupList title="Objections" groups={s.objectionGroups} testId="objection-groups" empty="No member raised an objection." />
              <GroupList title="Open questions" groups={s.questionGroups} testId="question-groups" empty="No open questions." />
              <Disagreements items={s.disagreements} />
            </div>
          </section>

          <section aria-labelledby="members-heading">
            <h3 id="members-heading">Members side by side</h3>
            <div className="member-columns" role="list" tabIndex={0} aria-label="Member results, side by side (scrolls sideways)">
              {s.members.map((m) => (
                <MemberColumn key={m.workerId} member={m} worker={workers.find((w) => w.id === m.workerId)} />
              ))}
            </div>
          </section>
        </>
      )}
    </div>
  );
}

function Bullets({ items, empty }: { items: string[]; empty: string }) {
  if (items.length === 0) return <p className="muted small">{empty}</p>;
  return (
    <ul className="bullets">
      {items.map((t, i) => (
        <li key={i}>{t}</li>
      ))}
    </ul>
  );
}

function MemberColumn({ member: m, worker }: { member: Member; worker?: PanelWorker }) {
  return (
    <article className="card member-column" role="listitem" data-testid="synthesis-member" data-role={m.role} aria-labelledby={`member-${m.workerId}`}>
      <header className="member-head">
        <h4 id={`member-${m.workerId}`}>{m.label}</h4>
        <code className="role-id">{m.role}</code>
        <AgentBadge agent={worker?.agent} model={worker?.model} />
        <StatusBadge value={m.status} label="Result status" />
      </header>
      <div className="member-section">
        <p className="small-heading">Summary</p>
        {m.summary ? (
          <p className="pre-wrap" data-testid="member-summary">
            {m.summary}
          </p>
        ) : (
          <p className="muted small" data-testid="member-summary">
            No summary.
          </p>
        )}
      </div>
      {m.error ? (
        <div className="notice notice-error notice-compact">
          <p className="notice-title">Error</p>
          <p className="pre-wrap">{m.error}</p>
        </div>
      ) : null}
      <div className="member-section">
        <p className="small-heading">Claims ({m.claims.length})</p>
        <Bullets items={m.claims} empty="None." />
      </div>
      <div className="member-section">
        <p className="small-heading">Objections ({m.objections.length})</p>
        <Bullets items={m.objections} empty="None." />
      </div>
      <div className="member-section">
        <p className="small-heading">Open questions ({m.openQuestions.length})</p>
        <Bullets items={m.openQuestions} empty="None." />
      </div>
      <div className="member-section">
        <p className="small-heading">Evidence ({m.evidenceRefs.length})</p>
        {m.evidenceRefs.length === 0 ? (
          <p className="muted small">None.</p>
        ) : (
          <ul className="bullets evidence">
            {m.evidenceRefs.map((r, i) => (
              <li key={i}>
                <code>{r}</code>
              </li>
            ))}
          </ul>
        )}
      </div>
    </article>
  );
}

function GroupList({ title, groups, empty, testId }: { title: string; groups: Group[]; empty: string; testId: string }) {
  return (
    <div className="group-list" data-testid={testId}>
      <h4>
        {title} <span className="muted">({groups.length})</span>
      </h4>
      {groups.length === 0 ? (
        <p className="muted small">{empty}</p>
      ) : (
        <ul className="groups">
          {groups.map((g, i) => (
            <li key={i} className="group" data-testid="synthesis-group">
              <p className="group-topic">{g.topic}</p>
              <p className="group-roles">
                {g.roles.length > 1 ? <span className="tag tag-shared">{g.roles.length} roles</span> : null}
                {g.items
                  .map((it) => it.label)
                  .filter((l, j, all) => all.indexOf(l) === j)
                  .map((l) => (
                    <span key={l} className="role-chip">
                      {l}
                    </span>
                  ))}
              </p>
              {g.items.length > 1 ? (
                <details>
                  <summary className="small">How each role put it</summary>
                  <ul className="bullets">
                    {g.items.map((it, j) => (
                      <li key={j}>
                        <strong>{it.label}:</strong> {it.text}
                      </li>
                    ))}
                  </ul>
                </details>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function Disagreements({ items }: { items: Disagreement[] }) {
  return (
    <div className="group-list" data-testid="disagreements">
      <h4>
        Disagreements <span className="muted">({items.length})</span>
      </h4>
      {items.length === 0 ? (
        <p className="muted small">No opposite stances on the same topic were found.</p>
      ) : (
        <ul className="groups">
          {items.map((d, i) => (
            <li key={i} className="group disagreement" data-testid="disagreement">
              <div className="versus">
                <Side side={d.a} />
                <span className="vs" aria-label="versus">
                  vs
                </span>
                <Side side={d.b} />
              </div>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function Side({ side }: { side: Disagreement["a"] }) {
  return (
    <div className={`side stance-${side.stance}`}>
      <p>
        <strong>{side.label}</strong> <span className={`stance stance-${side.stance}`}>{side.stance === "for" ? "for" : "against"}</span>
      </p>
      <p className="small">{side.text}</p>
    </div>
  );
}
