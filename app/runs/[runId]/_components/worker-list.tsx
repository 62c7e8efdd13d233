import { EmptyState } from "@/app/_components/states";
import type { PanelWorker } from "@/app/_lib/types";
import type { RunActivitySummary } from "../_model/use-run-activity";
import { WorkerCard } from "./worker-card";

export function WorkerList({ runId, workers, activity }: { runId: string; workers: PanelWorker[]; activity?: RunActivitySummary }) {
  return (
    <section aria-labelledby="workers-heading" className="workers-section">
      <h2 id="workers-heading">
        Workers <span className="muted">({workers.length})</span>
      </h2>
      {workers.length === 0 ? (
        <EmptyState title="This run has no workers">
          <p>A run gets one worker per role picked when it was created. Create a new run with at least one role.</p>
        </EmptyState>
      ) : (
        <div className="worker-grid">
          {workers.map((w) => (
            <WorkerCard key={w.id} runId={runId} worker={w} last={activity?.last[w.id]} usage={activity?.usage[w.id]} />
          ))}
        </div>
      )}
    </section>
  );
}
