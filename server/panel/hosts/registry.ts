/**
 * The SSH transports of the registered hosts (ARCHITECTURE.md §3 "Transports"), one per host and
 * panel, made on first use; and how each host's connection is doing. A host's edit or removal
 * closes its transport (its master connection ends; workers on the host keep running in tmux).
 */
import { eq } from "drizzle-orm";
import * as t from "../../../db/schema";
import { SshTransport } from "../../bridge/ssh/transport";
import type { HostStatus } from "../../core/hosts";
import type { Panel } from "../panel";
import { getHost } from "./store";

interface Registry {
  transports: Map<string, SshTransport>;
  status: Map<string, HostStatus>;
}

/**
 * Kept on the panel object under a global symbol, not in a module-level map: the custom server
 * and the Next.js route bundles load this module twice (two module graphs, one process, one
 * panel on globalThis), and two transports of one host would fight over its ControlPath.
 */
const KEY = Symbol.for("longtable-panel.hosts");
type WithRegistry = Panel & { [KEY]?: Registry };

function registry(panel: Panel): Registry {
  const p = panel as WithRegistry;
  let r = p[KEY];
  if (!r) {
    const made: Registry = { transports: new Map(), status: new Map() };
    p[KEY] = made;
    panel.closers.push(() => closeHostTransports(panel));
    r = made;
  }
  return r;
}

/** Runs with a running worker (the supervisor checks only the ones this panel created). */
function runningRunIds(panel: Panel): string[] {
  return panel.db.selectDistinct({ runId: t.workers.runId }).from(t.workers).where(eq(t.workers.status, "running")).all().map((r) => r.runId);
}

/** The transport of a registered host (throws NOT_FOUND with what to do when it is not registered). */
export function hostTransport(panel: Panel, hostId: string): SshTransport {
  const r = registry(panel);
  let tr = r.transports.get(hostId);
  if (!tr) {
    const host = getHost(panel, hostId);
    const made = new SshTransport({
      host,
      projectRoot: panel.config.root,
      dataDir: panel.config.dataDir,
      onState: (id, state, detail) => {
        const masterPid = state === "up" ? made.conn.masterPid : undefined;
        r.status.set(id, { id, state, ...(detail ? { detail } : {}), since: new Date().toISOString(), ...(masterPid ? { masterPid } : {}) });
      },
      onChange: (runId) => void panel.supervisor?.checkRun(runId),
      // Back after an outage: its workers' runs are checked now (their results may have arrived meanwhile).
      onReconnect: () => {
        for (const runId of runningRunIds(panel)) void panel.supervisor?.checkRun(runId);
      },
    });
    r.transports.set(hostId, made);
    tr = made;
  }
  return tr;
}

export function hostStatus(panel: Panel, hostId: string): HostStatus {
  const r = registry(panel);
  const s = r.status.get(hostId);
  const tr = r.transports.get(hostId);
  if (s && tr) return s.state === "up" ? { ...s, masterPid: tr.conn.masterPid } : s;
  return { id: hostId, state: "idle", since: new Date(0).toISOString() };
}

/** Close a host's transport (after an edit or removal: the next use makes a new one from the stored settings). */
export async function dropHostTransport(panel: Panel, hostId: string): Promise<void> {
  const r = registry(panel);
  const tr = r.transports.get(hostId);
  r.transports.delete(hostId);
  r.status.delete(hostId);
  await tr?.close();
}

export async function closeHostTransports(panel: Panel): Promise<void> {
  const r = (panel as WithRegistry)[KEY];
  if (!r) return;
  const all = [...r.transports.values()];
  r.transports.clear();
  await Promise.all(all.map((tr) => tr.close()));
}
