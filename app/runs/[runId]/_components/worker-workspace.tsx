"use client";

import { CopyButton } from "@/app/_components/copy-button";
import type { PanelWorker } from "@/app/_lib/types";
import { useRunSetup, type WorkerSetupOut } from "../_model/use-run-setup";
import "@/app/_components/repo-setup.css";

/** The worker's repo-config phase, from the run's setup view (fresh) or else its record. */
function useWorkerSetup(runId: string, worker: PanelWorker): WorkerSetupOut | undefined {
  const setup = useRunSetup(runId);
  return setup.data?.workers.find((w) => w.id === worker.id);
}

const PHASES: Record<string, { label: string; title: string }> = {
  waiting: { label: "waiting for approval", title: "The repository's .longtable-panel.json must be approved before this worker starts" },
  setting_up: { label: "setting up", title: "The repository's setup runs in the worker's window; the agent starts when it passes" },
  setup_failed: { label: "setup failed", title: "The repository's setup failed; the agent was not started" },
};

/** A badge for the phases the repo config adds (waiting for approval, setting up, setup failed). */
export function WorkerPhase({ runId, worker }: { runId: string; worker: PanelWorker }) {
  const view = useWorkerSetup(runId, worker);
  const status = view?.status ?? worker.status;
  const state = view ? view.setup?.state : worker.setup?.state;
  const phase = status === "pending" && state === "awaiting_approval" ? "waiting" : status === "running" && state === "running" ? "setting_up" : state === "failed" && status === "failed" ? "setup_failed" : undefined;
  if (!phase) return null;
  return (
    <span className={`badge badge-phase phase-${phase}`} title={PHASES[phase]!.title} data-testid="worker-phase" data-phase={phase}>
      {PHASES[phase]!.label}
    </span>
  );
}

/** The worker's ports: links to http://127.0.0.1:<port>, and the `ssh -L` line that reaches them from another machine. */
export function WorkerPorts({ runId, worker }: { runId: string; worker: PanelWorker }) {
  const view = useWorkerSetup(runId, worker);
  const ports = view?.ports ?? [];
  if (ports.length === 0 || !view?.tunnel) return null;
  return (
    <div className="worker-ports" data-testid="worker-ports">
      <p className="small-heading">Ports</p>
      <p className="port-links">
        {ports.map((p, i) => (
          <a key={p} href={`http://127.0.0.1:${p}`} target="_blank" rel="noreferrer noopener" className="port-link" data-testid="worker-port" title={i === 0 ? "LONGTABLE_PANEL_PORT" : `LONGTABLE_PANEL_PORT_${i}`}>
            {p}
          </a>
        ))}
      </p>
      <details className="port-tunnel">
        <summary className="small">From another machine</summary>
        <p className="small muted">Forward the ports through SSH (put your host for &lt;ssh-host&gt;), then open the links there.</p>
        <div className="command-row">
          <code className="wrap-anywhere" data-testid="worker-tunnel">{view.tunnel}</code>
          <CopyButton text={view.tunnel} />
        </div>
      </details>
    </div>
  );
}
