"use client";

import { ActivityView } from "./activity-view";
import { TerminalView } from "./terminal-view";
import { WorkerFrame } from "./worker-frame";

export function WorkerActivityScreen({ runId, workerId }: { runId: string; workerId: string }) {
  return (
    <WorkerFrame runId={runId} workerId={workerId} view="activity">
      {(worker) => <ActivityView runId={runId} worker={worker} />}
    </WorkerFrame>
  );
}

export function WorkerTerminalScreen({ runId, workerId }: { runId: string; workerId: string }) {
  return (
    <WorkerFrame runId={runId} workerId={workerId} view="terminal">
      {(worker) => <TerminalView runId={runId} worker={worker} />}
    </WorkerFrame>
  );
}
