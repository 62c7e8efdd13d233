"use client";

import { keepPreviousData, useInfiniteQuery, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import type { MouseEvent } from "react";
import { useTRPC } from "@/app/_trpc/client";
import { humanize, isRunStatus, RUN_STATUSES } from "@/app/_lib/enums";
import type { RepoOut, RunSummary } from "@/app/_lib/types";
import { StatusBadge } from "./badge";
import { LiveIndicator } from "./live-indicator";
import { NotificationToggle } from "./notification-toggle";
import { useRunsListLive } from "./use-runs-live";
import { RelativeTime } from "./relative-time";
import { RepoHealthNotice } from "./repo-health";
import { EmptyState, ErrorNotice, Loading } from "./states";
import { useSessionRole } from "./use-role";

const PAGE_SIZE = 25;
const REPO_ID = /^repo_[a-f0-9]{12}$/;
const LEGACY = new Set(["degraded", "resumable"]);

/** The runs table with status / repo filters kept in the URL (?status=…&repo=…). */
export function RunsList() {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const { isOperator } = useSessionRole();
  const live = useRunsListLive();

  const statusParam = params.get("status") ?? "";
  const repoParam = params.get("repo") ?? "";
  const status = isRunStatus(statusParam) ? statusParam : undefined;
  const repoId = REPO_ID.test(repoParam) ? repoParam : undefined;
  const filtered = Boolean(status || repoId);

  const repos = useQuery(trpc.repos.list.queryOptions());
  const runs = useInfiniteQuery(
    trpc.runs.list.infiniteQueryOptions(
      { status, repoId, limit: PAGE_SIZE },
      { getNextPageParam: (last) => last.nextCursor, placeholderData: keepPreviousData },
    ),
  );

  function setFilter(name: "status" | "repo", value: string) {
    const next = new URLSearchParams(params.toString());
    if (value) next.set(name, value);
    else next.delete(name);
    const qs = next.toString();
    router.replace(qs ? `${pathname}?${qs}` : pathname, { scroll: false });
  }

  const items = runs.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <>
      <div className="page-head">
        <h1>Runs</h1>
        <div className="page-head-tools">
          <LiveIndicator state={live.state} onRetry={live.reconnect} testId="runs-live-state" />
          <NotificationToggle />
          {isOperator ? (
            <Link href="/runs/new" className="button">
              New run
            </Link>
          ) : null}
        </div>
      </div>
      <RepoHealthNotice repoId={repoId} />

      <form className="filters" role="search" aria-label="Filter runs" onSubmit={(e) => e.preventDefault()}>
        <div className="field field-inline">
          <label htmlFor="filter-status">Status</label>
          <select id="filter-status" value={status ?? ""} onChange={(e) => setFilter("status", e.target.value)}>
            <option value="">All statuses</option>
            {RUN_STATUSES.map((s) => (
              <option key={s} value={s}>
                {humanize(s)}
                {LEGACY.has(s) ? " (legacy)" : ""}
              </option>
            ))}
          </select>
        </div>
        <div className="field field-inline">
          <label htmlFor="filter-repo">Repository</label>
          <select
            id="filter-repo"
            value={repoId ?? ""}
            onChange={(e) => setFilter("repo", e.target.value)}
            disabled={repos.isPending}
          >
            <option value="">All repositories</option>
            {(repos.data ?? []).map((r) => (
              <option key={r.id} value={r.id} title={r.path}>
                {repoOptionLabel(r, repos.data ?? [])}
              </option>
            ))}
          </select>
        </div>
        {filtered ? (
          <button type="button" className="button button-secondary" onClick={() => router.replace(pathname, { scroll: false })}>
            Clear filters
          </button>
        ) : null}
        {runs.isFetching && !runs.isPending && !runs.isFetchingNextPage ? (
          <span className="muted small" role="status">
            Updating…
          </span>
        ) : null}
      </form>
      {repos.isError ? <ErrorNotice error={repos.error} title="Could not load the repository list" onRetry={() => repos.refetch()} /> : null}

      {runs.isPending ? (
        <Loading>Loading runs…</Loading>
      ) : !runs.data ? (
        <ErrorNotice error={runs.error} title="Could not load runs" onRetry={() => runs.refetch()} />
      ) : items.length === 0 ? (
        filtered ? (
          <EmptyState title="No runs match these filters" testId="runs-empty">
            <p>Try another status or repository, or clear the filters to see every run.</p>
            <button type="button" className="button button-secondary" onClick={() => router.replace(pathname, { scroll: false })}>
              Clear filters
            </button>
          </EmptyState>
        ) : (
          <EmptyState title="No runs yet" testId="runs-empty">
            <p>
              A run gives one prompt to a panel of workers (reviewers, critics, drafters), each in its own git worktree and
              tmux window. Runs you create appear here, newest first.
            </p>
            {isOperator ? (
              <Link href="/runs/new" className="button">
                Create your first run
              </Link>
            ) : (
              <p className="muted">This session is read-only: an operator has to create runs.</p>
            )}
          </EmptyState>
        )
      ) : (
        <>
          <div className="table-wrap">
            <table className="table runs-table stack-on-phone" data-testid="runs-table">
              <caption className="visually-hidden">Panel runs, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Status</th>
                  <th scope="col">Repository</th>
                  <th scope="col">Prompt</th>
                  <th scope="col">Mode</th>
                  <th scope="col" className="num">
                    Members
                  </th>
                  <th scope="col">Created</th>
                  <th scope="col">Last decision</th>
                </tr>
              </thead>
              <tbody>
                {items.map((run) => (
                  <RunRow key={run.id} run={run} onOpen={(href) => router.push(href)} />
                ))}
              </tbody>
            </table>
          </div>
          <div className="list-foot">
            <span className="muted small">
              {items.length} run{items.length === 1 ? "" : "s"}
              {runs.hasNextPage ? " shown; more are available" : ""}
            </span>
            {runs.hasNextPage ? (
              <button
                type="button"
                className="button button-secondary"
                onClick={() => runs.fetchNextPage()}
                disabled={runs.isFetchingNextPage}
                data-testid="runs-load-more"
              >
                {runs.isFetchingNextPage ? "Loading…" : "Load more"}
              </button>
            ) : null}
          </div>
          {runs.isFetchNextPageError ? (
            <ErrorNotice error={runs.error} title="Could not load more runs" onRetry={() => runs.fetchNextPage()} />
          ) : runs.isRefetchError ? (
            <ErrorNotice error={runs.error} title="Could not refresh the list (showing the last loaded runs)" onRetry={() => runs.refetch()} />
          ) : null}
        </>
      )}
    </>
  );
}

function repoOptionLabel(repo: RepoOut, all: RepoOut[]) {
  const sameName = all.filter((r) => r.name === repo.name).length > 1;
  return sameName ? `${repo.name} — ${repo.path}` : repo.name;
}

function RunRow({ run, onOpen }: { run: RunSummary; onOpen: (href: string) => void }) {
  const href = `/runs/${run.id}`;
  // The prompt cell holds the real link (keyboard, middle-click); a click anywhere else on the row opens it too.
  function onClick(e: MouseEvent<HTMLTableRowElement>) {
    if ((e.target as HTMLElement).closest("a, button")) return;
    if (window.getSelection()?.toString()) return;
    onOpen(href);
  }
  return (
    <tr data-testid="run-row" data-run-id={run.id} data-status={run.status} className="clickable" onClick={onClick}>
      <td data-testid="run-row-status" data-label="Status">
        <StatusBadge value={run.status} />
      </td>
      <td data-label="Repository">
        <span className="repo-name" title={run.repoPath}>
          {run.repoName}
        </span>
        {run.targetBranch ? <span className="muted small block">{run.targetBranch}</span> : null}
      </td>
      <td className="prompt-cell" data-label="Prompt">
        <Link href={href} className="row-link" title={run.promptPreview}>
          {run.promptPreview.trim() || <span className="muted">(empty prompt)</span>}
        </Link>
      </td>
      <td data-label="Mode">{run.mode}</td>
      <td className="num" data-label="Members">{run.memberCount}</td>
      <td className="nowrap" data-label="Created">
        <RelativeTime iso={run.createdAt} />
      </td>
      <td data-testid="run-row-decision" data-label="Last decision">{run.lastDecision ? <span className="decision">{run.lastDecision}</span> : <span className="muted">—</span>}</td>
    </tr>
  );
}
