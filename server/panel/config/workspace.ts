/**
 * Preparing a worker's workspace at launch (ARCHITECTURE.md §10): which config a launch uses (the
 * leader commit the workers start from), then per worker — after its worktree is provisioned and
 * before its window opens — the files copied from the leader and its ports, recorded through the
 * door. The setup itself runs in the worker's window (bridge/launcher.ts).
 */
import { mkdir, rm } from "node:fs/promises";
import { copyIgnoredFiles, type CopyReport } from "../../bridge/copy-files";
import { worktreeGit } from "../../bridge/git";
import { workerLayout } from "../../bridge/layout";
import { allocatePorts } from "../../bridge/ports";
import { ignoredPaths } from "../../bridge/status";
import type { RunDoor } from "../door";
import { workspacePrepared } from "../machine-setup";
import type { Panel } from "../panel";
import { launchIgnored, writeLaunchIgnored } from "./ignored";
import { invalidConfigReason, repoConfigAt, type ConfigState } from "./repo-config";
import type { RepoConfig } from "./schema";
import { portsOf } from "./turn";

const nowIso = () => new Date().toISOString();

export type LaunchConfig =
  | { kind: "none" }
  | { kind: "invalid"; reason: string }
  | { kind: "awaiting"; sha256: string; commit: string }
  | { kind: "approved"; sha256: string; commit: string; config: RepoConfig };

/** The config a launch from `commit` (the leader HEAD the worktrees start from) may use. */
export async function launchConfig(panel: Panel, repoPath: string, commit: string | undefined): Promise<LaunchConfig> {
  if (!commit) return { kind: "none" };
  const s: ConfigState = await repoConfigAt(panel, repoPath, commit);
  if (s.state === "none") return { kind: "none" };
  if (s.state === "invalid") return { kind: "invalid", reason: invalidConfigReason(s) };
  if (s.state === "needs_approval") return { kind: "awaiting", sha256: s.sha256, commit };
  return { kind: "approved", sha256: s.sha256, commit, config: s.config };
}

/** Ports held by the live workers of every run in the index, but one worker's own. */
export function takenPorts(panel: Panel, except: { runId: string; workerId: string }): Set<number> {
  const rows = panel.dbh.sqlite
    .prepare(
      `select r.id as runId, json_extract(w.value, '$.id') as workerId, p.value as port
       from runs r, json_each(r.record, '$.workers') w, json_each(w.value, '$.ports') p
       where json_type(w.value, '$.ports') = 'array'`,
    )
    .all() as { runId: string; workerId: unknown; port: unknown }[];
  const taken = new Set<number>();
  for (const r of rows) {
    if (r.runId === except.runId && r.workerId === except.workerId) continue;
    if (Number.isInteger(r.port)) taken.add(r.port as number);
  }
  return taken;
}

/**
 * One worker's workspace, before its window opens: stale setup files of an earlier attempt go
 * (folded into what the launches made), the config's files are copied, its ports allocated (under one lock for the whole panel, so two
 * launches never hand out the same port) and recorded with the setup's state.
 */
export async function prepareWorkspace(panel: Panel, door: RunDoor, workerId: string, cfg: LaunchConfig): Promise<void> {
  const run = door.current;
  const worker = run.workers.find((w) => w.id === workerId)!;
  const layout = workerLayout(run.workingDirectory, run.id, workerId);
  await Promise.all([layout.setupExitPath, layout.setupLogPath].map((f) => rm(f, { force: true })));
  if (cfg.kind !== "approved") {
    // No config (any more): nothing of an earlier config's stays on the worker.
    if (worker.setup || worker.ports) await door.apply((r) => workspacePrepared(r, workerId, { ports: [], hasSetup: false, copied: { files: [], skipped: [] } }, nowIso()));
    return;
  }
  const wt = await worktreeGit(run.workingDirectory, layout.worktreePath);
  if (!wt) throw new Error(`the worktree ${layout.worktreePath} is not registered in the repository`);
  await mkdir(layout.runtimeDir, { recursive: true });
  // What earlier launches made stays known; what this copy adds joins it (config/ignored.ts).
  const made = launchIgnored(run, worker);
  await Promise.all([layout.setupIgnoredBeforePath, layout.setupIgnoredAfterPath].map((f) => rm(f, { force: true })));
  const before = new Set(await ignoredPaths(wt.workTree, wt));
  const copied: CopyReport = await copyIgnoredFiles(run.workingDirectory, wt, cfg.config.copy ?? []);
  if (copied.files.length > 0) for (const p of await ignoredPaths(wt.workTree, wt)) if (!before.has(p)) made.add(p);
  await writeLaunchIgnored(run, workerId, made);
  await panel.locks.run("ports", async () => {
    const want = cfg.config.ports ?? 0;
    const ports = want > 0 ? await allocatePorts(want, panel.config.portRange, takenPorts(panel, { runId: run.id, workerId }), portsOf(worker)) : [];
    await door.apply((r) => workspacePrepared(r, workerId, { sha256: cfg.sha256, ports, hasSetup: cfg.config.setup !== undefined, copied }, nowIso()));
  });
}
