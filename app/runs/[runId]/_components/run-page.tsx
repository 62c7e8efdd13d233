"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useParams, usePathname, useRouter, useSearchParams } from "next/navigation";
import { LiveIndicator } from "@/app/_components/live-indicator";
import { NotificationToggle } from "@/app/_components/notification-toggle";
import { ReadOnlyNotice } from "@/app/_components/read-only";
import { ErrorNotice } from "@/app/_components/states";
import { Tabs } from "@/app/_components/tabs";
import { useSessionRole } from "@/app/_components/use-role";
import { useTRPC } from "@/app/_trpc/client";
import { useRunActivity } from "../_model/use-run-activity";
import { ReviewLink } from "../review/_components/review-link";
import { useRunLive } from "../_model/use-run-live";
import { CodexLoginNote } from "./codex-login-note";
import { DecisionPanel } from "./decision-panel";
import { RunActions } from "./run-actions";
import { RunFallback } from "./run-frame";
import { RunHeader } from "./run-header";
import { RunTimeline } from "./run-timeline";
import { SetupNotice } from "./setup-notice";
import { SynthesisView } from "./synthesis-view";
import { WorkerList } from "./worker-list";

/** Statuses in which a run changes by itself; without a live stream the page polls while in one. */
const ACTIVE = new Set(["running", "stop_requested"]);
const VIEWS = ["timeline", "synthesis"] as const;

export function RunPage() {
  const trpc = useTRPC();
  const params = useParams<{ runId: string }>();
  const runId = params?.runId ?? "";
  const router = useRouter();
  const pathname = usePathname();
  const search = useSearchParams();
  const { isViewer, isOperator } = useSessionRole();

  const live = useRunLive(runId);
  const activity = useRunActivity(runId);
  const run = useQuery(
    trpc.runs.get.queryOptions(
      { runId },
      {
        // Live events patch this cache; poll only while the stream is down and the run is moving.
        refetchInterval: (q) => (live.state !== "live" && q.state.data && ACTIVE.has(q.state.data.status) ? 5_000 : false),
      },
    ),
  );

  const viewParam = search.get("view");
  const view = (VIEWS as readonly string[]).includes(viewParam ?? "") ? (viewParam as (typeof VIEWS)[number]) : "timeline";
  function selectView(next: string) {
    const q = new URLSearchParams(search.toString());
    if (next === "timeline") q.delete("view");
    else q.set("view", next);
    const qs = q.toString();
    router.replace(qs ? `${pathname}?${qs}` : pathname, { scroll: false });
  }

  if (!run.data) {
    return (
      <RunFallback
        runId={runId}
        run={run}
        loading={<>Loading run {runId}…</>}
        notFound={(code) =>
          code === "NOT_FOUND" ? (
            <>
              No run with the id <code>{runId}</code> is known to this panel. The link may be mistyped, or the run
              belongs to a repository this panel no longer lists.
            </>
          ) : (
            <>
              <code>{runId}</code> is not a run id. Run ids look like <code>panel_run_…</code>.
            </>
          )
        }
      />
    );
  }

  const data = run.data;
  return (
    <div className="run-page">
      <p className="breadcrumb">
        <Link href="/">← All runs</Link>
      </p>
      <RunHeader
        run={data}
        usage={activity.total}
        live={
          <>
            <LiveIndicator state={live.state} onRetry={live.reconnect} />
            <NotificationToggle />
          </>
        }
        actions={
          <div className="run-toolbar">
            {isOperator ? <RunActions run={data} /> : null}
            {data.workers.some((w) => w.baseCommit) ? <ReviewLink runId={runId} className="button button-secondary" testId="open-run-review" /> : null}
          </div>
        }
      />
      {isViewer ? <ReadOnlyNotice>You can watch this run live, but not launch, stop or change it.</ReadOnlyNotice> : null}
      <CodexLoginNote />
      <SetupNotice run={data} />
      {run.isRefetchError ? (
        <ErrorNotice error={run.error} title="Could not refresh this run (showing the last loaded state)" onRetry={() => run.refetch()} />
      ) : null}
      <WorkerList runId={runId} workers={data.workers} activity={activity} />
      <DecisionPanel run={data} canDecide={isOperator} />
      <Tabs
        label="Run details"
        testIdPrefix="tab-"
        selected={view}
        onSelect={selectView}
        tabs={[
          {
            id: "timeline",
            label: (
              <>
                Timeline <span className="muted">({live.timeline.length})</span>
              </>
            ),
            panel: <RunTimeline events={live.timeline} workers={data.workers} />,
          },
          { id: "synthesis", label: "Panel synthesis", panel: <SynthesisView runId={runId} workers={data.workers} /> },
        ]}
      />
    </div>
  );
}
