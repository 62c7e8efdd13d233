/**
 * Pure transitions of the repository config's part in a worker's life (ARCHITECTURE.md §10):
 * waiting for the operator's approval, the workspace prepared (ports, copied files), setup passed
 * or failed, teardown, ports released. Like machine.ts: records in, records and events out.
 */
import type { PanelEvent, PanelRun } from "../core/records";
import { CONFIG_FILE } from "./config/schema";
import { appendDiagnostic, makeEvent, settle, withWorker, workerFailed, type Transition } from "./machine";

/** `first`, then `next` on its record: one commit, both transitions' events. */
export function chain(first: Transition, next: (run: PanelRun) => Transition): Transition {
  const t = next(first.run);
  return { run: t.run, events: [...first.events, ...t.events], activity: [...(first.activity ?? []), ...(t.activity ?? [])] };
}

const short = (sha: string) => `${sha.slice(0, 12)}…`;

/** The config at the leader's HEAD is not approved: the workers wait (nothing was created or run). */
export function workersAwaitApproval(run: PanelRun, workerIds: readonly string[], sha256: string, commit: string, now: string): Transition {
  const ids = new Set(workerIds);
  const workers = run.workers.map((w) =>
    ids.has(w.id)
      ? {
          ...w,
          status: "pending" as const,
          executionState: "not_started" as const,
          setup: { state: "awaiting_approval" as const, sha256 },
          updatedAt: now,
          diagnostics: appendDiagnostic(w.diagnostics, `Waiting for the operator to approve ${CONFIG_FILE} (sha256 ${short(sha256)}).`),
        }
      : w,
  );
  const active = workers.some((w) => w.status === "running" || w.status === "stop_requested");
  const next = active ? settle({ ...run, workers }, now) : { ...run, workers, status: "planned" as const, bridgeStatus: "not_requested" as const, bridgeFailureReason: undefined, updatedAt: now };
  const labels = run.workers.filter((w) => ids.has(w.id)).map((w) => w.label).join(", ");
  return {
    run: next,
    events: [
      makeEvent(
        "config_approval_needed",
        `${CONFIG_FILE} at ${commit.slice(0, 12)} (sha256 ${short(sha256)}) is not approved: ${labels} wait until an operator approves it (Settings → Repository setup, or the API's repos.approveConfig). Nothing was started.`,
        now,
      ),
    ],
  };
}

export interface CopiedInfo {
  files: readonly { path: string; bytes: number }[];
  skipped: readonly { path: string; reason: string }[];
}

export interface WorkspaceInfo {
  /** The approved config text's sha256; undefined when the repo has no config. */
  sha256?: string;
  ports: readonly number[];
  hasSetup: boolean;
  copied: CopiedInfo;
}

const kb = (n: number) => (n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KB`);

/** Before the worker's window opens: its ports, the files copied from the leader, whether setup runs. */
export function workspacePrepared(run: PanelRun, workerId: string, info: WorkspaceInfo, now: string): Transition {
  const sha = info.sha256;
  const next = withWorker(run, workerId, (w) => {
    let diagnostics = w.diagnostics;
    for (const s of info.copied.skipped.slice(0, 20)) diagnostics = appendDiagnostic(diagnostics, `Not copied from the leader: ${s.path} (${s.reason}).`);
    return {
      ports: info.ports.length > 0 ? [...info.ports] : undefined,
      setup: sha ? (info.hasSetup ? { state: "running" as const, sha256: sha, startedAt: now } : { state: "none" as const, sha256: sha }) : undefined,
      diagnostics,
    };
  }, now);
  if (!sha) return { run: next, events: [] };
  const parts: string[] = [];
  if (info.ports.length > 0) parts.push(`port${info.ports.length > 1 ? "s" : ""} ${info.ports.join(", ")}`);
  const bytes = info.copied.files.reduce((n, f) => n + f.bytes, 0);
  if (info.copied.files.length > 0) {
    const names = info.copied.files.slice(0, 5).map((f) => f.path).join(", ");
    parts.push(`copied ${info.copied.files.length} file(s) (${kb(bytes)}) from the leader: ${names}${info.copied.files.length > 5 ? ", …" : ""}`);
  }
  if (info.copied.skipped.length > 0) parts.push(`${info.copied.skipped.length} not copied (see the worker's diagnostics)`);
  parts.push(info.hasSetup ? "setup runs in the worker's window before the agent" : "no setup command");
  return { run: next, events: [makeEvent("workspace_prepared", `Workspace (${CONFIG_FILE} ${short(sha)}): ${parts.join("; ")}.`, now, { workerId })] };
}

export interface SetupExit {
  exitCode: number;
  finishedAt: string;
  /** The last lines of the setup's output (for a failure). */
  tail: string;
}

/** The launcher recorded the setup's exit: passed (the agent starts), or the worker failed (it does not). */
export function setupFinished(run: PanelRun, workerId: string, exit: SetupExit, now: string): Transition {
  const w = run.workers.find((x) => x.id === workerId);
  if (!w?.setup) throw new Error(`${workerId} has no setup to finish`);
  const took = w.setup.startedAt ? ` in ${((Date.parse(exit.finishedAt) - Date.parse(w.setup.startedAt)) / 1000).toFixed(1)} s` : "";
  const setup = { ...w.setup, state: exit.exitCode === 0 ? ("passed" as const) : ("failed" as const), finishedAt: exit.finishedAt, exitCode: exit.exitCode };
  const marked = withWorker(run, workerId, () => ({ setup }), now);
  if (exit.exitCode === 0) {
    return { run: marked, events: [makeEvent("setup_finished", `${w.label}: setup passed${took}; the agent starts.`, now, { workerId, path: w.logPath })] };
  }
  const tail = exit.tail.trim();
  const reason = `setup failed (exit ${exit.exitCode})${took}; the agent was not started${tail ? `. Last lines of its output:\n${tail}` : ""}`;
  return workerFailed(marked, workerId, "running", reason, now);
}

export interface TeardownOutcome {
  exitCode: number | null;
  signal?: string | null;
  timedOut: boolean;
  tail: string;
  ms: number;
}

/** The worker's teardown ran before its worktree was removed; a failure is reported, never blocking. */
export function teardownRan(run: PanelRun, workerId: string, o: TeardownOutcome, now: string): Transition {
  const w = run.workers.find((x) => x.id === workerId);
  if (!w) throw new Error(`run ${run.id} has no worker ${workerId}`);
  const ok = o.exitCode === 0 && !o.timedOut;
  const how = o.timedOut ? "timed out and was stopped" : o.exitCode === null ? `was killed (${o.signal ?? "signal"})` : `exited with code ${o.exitCode}`;
  const message = ok
    ? `${w.label}: teardown finished in ${(o.ms / 1000).toFixed(1)} s.`
    : `${w.label}: teardown ${how}; the worktree is removed anyway.${o.tail.trim() ? ` Last lines:\n${o.tail.trim()}` : ""}`;
  const next = ok ? run : withWorker(run, workerId, (x) => ({ diagnostics: appendDiagnostic(x.diagnostics, `Teardown ${how}.`) }), now);
  const events: PanelEvent[] = [makeEvent(ok ? "teardown_finished" : "teardown_failed", message, now, { workerId })];
  return { run: next, events };
}

/** The workers' ports go back to the pool (cleanup, discard, shutdown). */
export function portsReleased(run: PanelRun, workerIds: readonly string[], now: string): Transition {
  const ids = new Set(workerIds);
  if (!run.workers.some((w) => ids.has(w.id) && w.ports !== undefined)) return { run, events: [] };
  const workers = run.workers.map((w) => (ids.has(w.id) && w.ports !== undefined ? { ...w, ports: undefined, updatedAt: now } : w));
  return { run: { ...run, workers, updatedAt: now }, events: [] };
}
