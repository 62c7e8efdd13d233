"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { StatusBadge } from "@/app/_components/badge";
import { EmptyState, ErrorNotice, Loading } from "@/app/_components/states";
import { useSessionRole } from "@/app/_components/use-role";
import type { RepoOut, RouterOutputs } from "@/app/_lib/types";
import { useTRPC } from "@/app/_trpc/client";
import "@/app/_components/repo-setup.css";

type ConfigOut = RouterOutputs["repos"]["config"];

const STATE_TEXT: Record<ConfigOut["state"], string> = {
  none: "No config: workers start as they are (no setup, no copied files, no ports).",
  invalid: "Refused: launches fail until the fields below are fixed and committed. Nothing from it runs.",
  needs_approval: "Not approved: launches wait (nothing runs) until an operator approves this exact text.",
  approved: "Approved: new workers get this setup, these files and ports.",
};

/** Each known repository's .longtable-panel.json: text, field errors, approval and what changed since (ARCHITECTURE.md §10). */
export function RepoSetup() {
  const trpc = useTRPC();
  const repos = useQuery(trpc.repos.list.queryOptions());
  return (
    <section aria-labelledby="repo-setup-heading" className="repo-setup" data-testid="repo-setup">
      <h2 id="repo-setup-heading">Repository setup</h2>
      <p className="muted">
        A repository&apos;s committed <code>.longtable-panel.json</code> says what each new worker&apos;s worktree needs before
        its agent starts: a <code>setup</code> command (and a <code>teardown</code> before the worktree is removed), local
        files to <code>copy</code> from your checkout (git-ignored ones, like <code>.env</code>), how many <code>ports</code>{" "}
        each worker gets, extra <code>env</code>, and the <code>check</code> that proves a change. Setup and teardown run with
        your rights, inside the agents&apos; sandbox: they are code from whoever wrote the repository, so they run only after
        an operator approved the exact text (its sha256) here. A changed file — one a merged worker changed too — needs
        approval again.
      </p>
      {repos.isPending ? (
        <Loading>Loading repositories…</Loading>
      ) : !repos.data ? (
        <ErrorNotice error={repos.error} title="Could not load the repositories" onRetry={() => repos.refetch()} />
      ) : repos.data.length === 0 ? (
        <EmptyState title="No repositories yet">
          <p>Add one when you create a run.</p>
        </EmptyState>
      ) : (
        <div className="repo-setup-list">
          {repos.data.map((r) => (
            <RepoConfigCard key={r.id} repo={r} />
          ))}
        </div>
      )}
    </section>
  );
}

function RepoConfigCard({ repo }: { repo: RepoOut }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { isOperator } = useSessionRole();
  const config = useQuery(trpc.repos.config.queryOptions({ repoId: repo.id }));
  const approve = useMutation(
    trpc.repos.approveConfig.mutationOptions({
      onSuccess: async (data) => {
        queryClient.setQueryData(trpc.repos.config.queryKey({ repoId: repo.id }), data);
        await queryClient.invalidateQueries({ queryKey: trpc.runs.setup.queryKey() });
      },
    }),
  );
  const c = config.data;
  return (
    <article className="card repo-setup-card" id={`repo-setup-${repo.id}`} data-testid="repo-config" data-repo-id={repo.id} data-repo-path={repo.path} aria-labelledby={`repo-setup-${repo.id}-h`}>
      <header>
        <h3 id={`repo-setup-${repo.id}-h`}>{repo.name}</h3>
        <p className="muted small wrap-anywhere">{repo.path}</p>
      </header>
      {config.isPending ? (
        <Loading>Reading its config…</Loading>
      ) : !c ? (
        <ErrorNotice error={config.error} title="Could not read the config" onRetry={() => config.refetch()} />
      ) : (
        <>
          <div className="badges">
            <span data-testid="config-state" data-state={c.state}>
              <StatusBadge value={c.state === "needs_approval" ? "needs_approval" : c.state} label="Config" />
            </span>
            {c.sha256 ? <code className="small" title={c.sha256} data-testid="config-sha">sha256 {c.sha256.slice(0, 12)}…</code> : null}
            {c.commit ? <span className="small muted">at HEAD {c.commit.slice(0, 12)}</span> : null}
          </div>
          <p>{STATE_TEXT[c.state]}</p>
          {c.uncommittedEdits ? (
            <p className="notice notice-warn notice-compact" data-testid="config-uncommitted">
              Your checkout has uncommitted changes to <code>{c.file}</code>: only the committed text is ever used. Commit them to have them reviewed here.
            </p>
          ) : null}
          {c.issues.length > 0 ? (
            <ul className="notice notice-error notice-compact config-issues" data-testid="config-issues">
              {c.issues.map((i, n) => (
                <li key={n} data-testid="config-issue" data-field={i.field}>
                  {i.field ? <code>{i.field}</code> : null}
                  {i.message}
                </li>
              ))}
            </ul>
          ) : null}
          {c.waiting.length > 0 ? (
            <p data-testid="config-waiting">
              Waiting for approval: {c.waiting.map((w) => `${w.label} (${w.runId})`).join(", ")}.
            </p>
          ) : null}
          {c.diff ? (
            <details open={c.state === "needs_approval"}>
              <summary>What changed since the approved text ({c.approved ? new Date(c.approved.approvedAt).toLocaleString() : ""})</summary>
              <pre className="config-diff" data-testid="config-diff">
                {c.diff.split("\n").map((line, n) => (
                  <span key={n} className={line.startsWith("+") && !line.startsWith("+++") ? "add" : line.startsWith("-") && !line.startsWith("---") ? "del" : undefined}>
                    {line}
                    {"\n"}
                  </span>
                ))}
              </pre>
            </details>
          ) : null}
          {c.text !== null ? (
            <details open={c.state !== "approved"}>
              <summary>The text at HEAD</summary>
              <pre className="config-text" data-testid="config-text">{c.text}</pre>
            </details>
          ) : null}
          {c.state === "needs_approval" ? (
            <div className="repo-setup-actions">
              {isOperator ? (
                <button type="button" className="button" data-testid="config-approve" disabled={approve.isPending} onClick={() => approve.mutate({ repoId: repo.id, sha256: c.sha256! })}>
                  {approve.isPending ? "Approving…" : "Approve this text"}
                </button>
              ) : (
                <p className="muted small">Only an operator can approve it (this session is read-only).</p>
              )}
            </div>
          ) : null}
          {approve.error ? <ErrorNotice error={approve.error} title="Not approved" onRetry={() => config.refetch()} /> : null}
        </>
      )}
    </article>
  );
}
