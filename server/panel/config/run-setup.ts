/**
 * runs.setup (ARCHITECTURE.md §10): the repository config's part in one run, for its page — each
 * worker's setup phase and ports (with the `ssh -L` line that reaches them through a tunnel), and
 * the workers waiting for the config's approval. From the index only, no git: cheap to poll.
 */
import type { WorkerSetup } from "../../core/records";
import type { Panel } from "../panel";
import { getRun } from "../runs/queries";
import { CONFIG_FILE } from "./schema";
import { portsOf } from "./turn";

export interface WorkerSetupView {
  id: string;
  label: string;
  status: string;
  setup: WorkerSetup | null;
  ports: number[];
  /** `ssh -N -L p:127.0.0.1:p … <ssh-host>`: the worker's ports on your machine, through a tunnel. */
  tunnel: string | null;
}

export interface RunSetupView {
  runId: string;
  repoId: string;
  file: string;
  workers: WorkerSetupView[];
  /** Workers that start once the config text (`sha256`) is approved. */
  waiting: { workerId: string; label: string; sha256: string }[];
}

const STATES = new Set(["awaiting_approval", "running", "passed", "failed", "none"]);

function setupOf(s: unknown): WorkerSetup | null {
  if (!s || typeof s !== "object") return null;
  const v = s as Record<string, unknown>;
  if (typeof v.state !== "string" || !STATES.has(v.state) || typeof v.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(v.sha256)) return null;
  return {
    state: v.state as WorkerSetup["state"],
    sha256: v.sha256,
    ...(typeof v.startedAt === "string" ? { startedAt: v.startedAt.slice(0, 40) } : {}),
    ...(typeof v.finishedAt === "string" ? { finishedAt: v.finishedAt.slice(0, 40) } : {}),
    ...(Number.isInteger(v.exitCode) ? { exitCode: v.exitCode as number } : {}),
  };
}

export function tunnelLine(ports: readonly number[], sshHost = "<ssh-host>"): string | null {
  return ports.length ? `ssh -N ${ports.map((p) => `-L ${p}:127.0.0.1:${p}`).join(" ")} ${sshHost}` : null;
}

export function runSetupView(panel: Panel, runId: string): RunSetupView {
  const run = getRun(panel, runId);
  const workers = run.workers.map((w) => {
    const ports = portsOf(w);
    return { id: w.id, label: w.label, status: w.status, setup: setupOf(w.setup), ports, tunnel: tunnelLine(ports) };
  });
  const waiting = workers
    .filter((w) => w.status === "pending" && w.setup?.state === "awaiting_approval")
    .map((w) => ({ workerId: w.id, label: w.label, sha256: w.setup!.sha256 }));
  return { runId, repoId: run.repoId, file: CONFIG_FILE, workers, waiting };
}
