"use client";

import Link from "next/link";
import { useParams, usePathname, useRouter, useSearchParams } from "next/navigation";
import { LiveIndicator } from "@/app/_components/live-indicator";
import { NotificationToggle } from "@/app/_components/notification-toggle";
import { ReadOnlyNotice } from "@/app/_components/read-only";
import { ErrorNotice } from "@/app/_components/states";
import { Tabs } from "@/app/_components/tabs";
import { useSessionRole } from "@/app/_components/use-role";
import { useRunActivity } from "../_model/use-run-activity";
import { ReviewLink } from "../review/_components/review-link";
import { useRunStream } from "../_model/run-stream";
import { AgentLoginNote } from "./agent-login-note";
import { DecisionPanel } from "./decision-panel";
import { RunActions } from "./run-actions";
import { RunFallback } from "./run-frame";
import { RunHeader } from "./run-header";
import { RunTimeline } from "./run-timeline";
import { SandboxNotice } from "./sandbox-notice";
import { SetupNotice } from "./setup-notice";
import { SynthesisView } from "./synthesis-view";
import { WorkerList } from "./worker-list";

const VIEWS = ["timeline", "synthesis"] as const;

export function RunPage() {
  const params = useParams<{ runId: string }>();
  const runId = params?.runId ?? "";
  const router = useRouter();
  const pathname = usePathname();
  const search = useSearchParams();
  const { isViewer, isOperator } = useSessionRole();

  // Live events patch the run; it is polled only while the stream is down.
  const { run, data, ...live } = useRunStream(runId, { timeline: true });
  const activity = useRunActivity(runId);

  const viewParam = search.get("view");
  const view = (VIEWS as readonly string[]).includes(viewParam ?? "") ? (viewParam as (typeof VIEWS)[number]) : "timeline";
  function selectView(next: string) {
    const q = new URLSearchParams(search.toString());
    if (next === "timeline") q.delete("view");
    else q.set("view", next);
    const qs = q.toString();
    router.replace(qs ? `${pathname}?${qs}` : pathname, { scroll: false });
  }

  if (!data) {
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
      <SandboxNotice />
      <AgentLoginNote agents={[...new Set(data.workers.map((w) => w.agent ?? "codex"))]} />
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
