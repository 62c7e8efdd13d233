/** The hosts procedures' services (ARCHITECTURE.md §3 "Transports"). */
import { PanelError } from "../../core/errors";
import type { HostSettings, HostStatus } from "../../core/hosts";
import type { Panel } from "../panel";
import { getRun } from "../runs/queries";
import { transportFor } from "../transports";
import { dropHostTransport, hostStatus } from "./registry";
import type { HostInput } from "./schemas";
import { addHost, listHosts, removeHost, updateHost } from "./store";

export interface HostView extends HostSettings {
  status: HostStatus;
}

export function hostsWithStatus(panel: Panel): HostView[] {
  return listHosts(panel).map((h) => ({ ...h, status: hostStatus(panel, h.id) }));
}

export async function registerHost(panel: Panel, input: HostInput): Promise<HostView> {
  const h = await addHost(panel, input);
  return { ...h, status: hostStatus(panel, h.id) };
}

/** Edit a host: its connection is closed and made again from the new settings on next use. */
export async function editHost(panel: Panel, input: HostInput): Promise<HostView> {
  const h = await updateHost(panel, input);
  await dropHostTransport(panel, h.id);
  return { ...h, status: hostStatus(panel, h.id) };
}

export async function unregisterHost(panel: Panel, id: string): Promise<{ removed: true }> {
  await removeHost(panel, id);
  await dropHostTransport(panel, id);
  return { removed: true };
}

/** Bring a worker's commits from its host now (its branch into the panel's repository). */
export async function fetchHostWorker(panel: Panel, runId: string, workerId: string): Promise<{ head: string | null }> {
  const run = getRun(panel, runId);
  const worker = run.workers.find((w) => w.id === workerId);
  if (!worker) throw new PanelError("NOT_FOUND", `worker ${workerId} was not found in run ${runId}`);
  if (!worker.host) throw new PanelError("BAD_REQUEST", `${worker.label} runs on this machine: its commits are in the repository already`);
  if (!worker.baseCommit) throw new PanelError("PRECONDITION_FAILED", `${worker.label} has not been provisioned yet: launch the run first`);
  try {
    return { head: (await transportFor(panel, worker).fetchWorker(run, worker)) ?? null };
  } catch (error) {
    throw new PanelError("PRECONDITION_FAILED", `${(error as Error).message}; try again when the host is reachable`);
  }
}
