import { sessionNameFor } from "../../bridge/tmux";
import { activityAfter } from "./feed";
import type { Panel } from "../panel";
import { getWorker } from "./results";
import { transportFor } from "../transports";
import { isUnreachable } from "../../bridge/transport/types";

/** The worker's tmux pane (with colours) and the command a human uses to attach to it. */
export async function workerTerminal(panel: Panel, runId: string, workerId: string) {
  const worker = getWorker(panel, runId, workerId);
  if (worker.runtimeLayout !== "panel") {
    // The LongTable CLI's panes are on the user's own tmux server, which the panel never touches.
    const pane = worker.paneId ?? worker.runtime?.paneId;
    return { text: null, alive: false, paneId: null, attach: pane ? `tmux select-pane -t ${pane}` : "", message: "This worker was started by the LongTable CLI in your own tmux (not the panel's socket): look at it there, or use `longtable panel status`." };
  }
  const transport = transportFor(panel, worker);
  const tmux = transport.tmux;
  const session = sessionNameFor(runId);
  const attach = transport.attachCommand(session, workerId);
  let panes;
  try {
    panes = await tmux.listPanes();
  } catch (error) {
    if (!isUnreachable(error)) throw error;
    return { text: null, alive: false, paneId: null, attach, message: `${transport.describe()} cannot be reached right now; the worker keeps running there.` };
  }
  const pane = panes.find((p) => p.paneId === worker.runtime?.paneId && p.session === session) ?? panes.find((p) => p.session === session && p.window === workerId);
  if (!pane) return { text: null, alive: false, paneId: null, attach, message: worker.runtime?.paneId ? "The worker's tmux window is closed." : "The worker has not been launched yet." };
  const text = await tmux.capture(pane.paneId);
  return { text: text ?? null, alive: !pane.dead, paneId: pane.paneId, attach, message: pane.dead ? "The worker has exited; this is its final screen." : null };
}

export function workerActivity(panel: Panel, runId: string, workerId: string, cursor?: number, limit = 500) {
  getWorker(panel, runId, workerId);
  const items = activityAfter(panel, runId, cursor ?? 0, workerId, limit);
  return { items, nextCursor: items.length === limit ? items[items.length - 1]!.seq : null };
}

