/**
 * Which transport a worker runs through (ARCHITECTURE.md §3 "Transports"): this machine, or the
 * registered host its record names. One transport object per machine and panel.
 */
import { LocalTransport } from "../bridge/transport/local";
import type { WorkerTransport } from "../bridge/transport/types";
import type { PanelRun, PanelWorker } from "../core/records";
import { hostTransport } from "./hosts/registry";
import type { Panel } from "./panel";

/** On the panel object, like the hosts' transports (hosts/registry.ts): one per panel whatever module graph asks. */
const KEY = Symbol.for("longtable-panel.local-transport");

/** Workers on this machine: worktrees of the leader's repository, windows on the panel's tmux socket. */
export function localTransport(panel: Panel): WorkerTransport {
  const p = panel as Panel & { [KEY]?: WorkerTransport };
  p[KEY] ??= new LocalTransport({ root: panel.config.root, dataDir: panel.config.dataDir, sandboxWritable: panel.config.sandboxWritable, tmux: panel.tmux });
  return p[KEY];
}

/** The transport of the machine `worker` runs on: the registered host its record names, else this machine. */
export function transportFor(panel: Panel, worker: Pick<PanelWorker, "id" | "host">): WorkerTransport {
  return worker.host ? hostTransport(panel, worker.host) : localTransport(panel);
}

/** `workers` (default: the run's) grouped by the transport they run through, in first-seen order. */
export function byTransport(panel: Panel, run: PanelRun, workers: readonly PanelWorker[] = run.workers): Array<{ transport: WorkerTransport; workers: PanelWorker[] }> {
  const groups = new Map<WorkerTransport, PanelWorker[]>();
  for (const w of workers) {
    const t = transportFor(panel, w);
    const list = groups.get(t) ?? [];
    list.push(w);
    groups.set(t, list);
  }
  return [...groups].map(([transport, list]) => ({ transport, workers: list }));
}
