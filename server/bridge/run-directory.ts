/**
 * The run directory on disk (DESIGN §3): atomic JSON writes, the events.jsonl log and the
 * reading (with normalization) of run records, including those written by the LongTable CLI.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { appendFile, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { BRIDGE_STATUSES, EXECUTION_STATES, MODES, RUN_STATUSES, WORKER_STATUSES, CLEANUP_STATUSES } from "../panel/enums";
import { RUN_ID_PATTERN, WORKER_ID_PATTERN, branchFor } from "../panel/ids";
import { deriveBridgeStatus, runDirectoryFor, workerRuntimePaths } from "../panel/machine";
import type { PanelEvent, PanelRun, PanelWorker } from "../panel/records";

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

export async function writeFileAtomic(path: string, text: string | Buffer, mode?: number): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    await writeFile(tmp, text, mode === undefined ? undefined : { mode });
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

export async function appendEvents(path: string, events: readonly PanelEvent[]): Promise<void> {
  if (events.length === 0) return;
  await appendFile(path, events.map((e) => `${JSON.stringify(e)}\n`).join(""), "utf8");
}

export async function readEvents(path: string): Promise<PanelEvent[]> {
  if (!existsSync(path)) return [];
  const text = await readFile(path, "utf8");
  const out: PanelEvent[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as PanelEvent;
      if (e && typeof e.id === "string" && typeof e.type === "string") out.push(e);
    } catch {
      // A torn last line (the writer was killed mid-append) is skipped, never fatal.
    }
  }
  return out;
}

export function runsRoot(repoPath: string): string {
  return join(repoPath, ".longtable", "panel-runs");
}

export async function listRunIds(repoPath: string): Promise<string[]> {
  const root = runsRoot(repoPath);
  if (!existsSync(root)) return [];
  const entries = await readdir(root, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory() && RUN_ID_PATTERN.test(e.name)).map((e) => e.name).sort();
}

export async function readRunRecord(repoPath: string, runId: string): Promise<PanelRun | undefined> {
  const path = join(runDirectoryFor(repoPath, runId), "run.json");
  if (!existsSync(path)) return undefined;
  const raw = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
  return normalizeRunRecord(raw, repoPath, runId);
}

function oneOf<T extends string>(values: readonly T[], value: unknown, fallback: T): T {
  return typeof value === "string" && (values as readonly string[]).includes(value) ? (value as T) : fallback;
}
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

/**
 * Fill in what older records lack (0.1.57 layout with tasks/ results/ logs/ launchers/, or
 * 0.1.59 without our additions). Worker ids and the run id are validated: a record with an
 * id that could escape a path is rejected.
 */
export function normalizeRunRecord(raw: Record<string, unknown>, repoPath: string, runId: string): PanelRun {
  if (raw.id !== runId || !RUN_ID_PATTERN.test(runId)) {
    throw new Error(`run record id ${JSON.stringify(raw.id)} does not match its folder ${runId}`);
  }
  const runDirectory = runDirectoryFor(repoPath, runId);
  const status = oneOf(RUN_STATUSES, raw.status, "planned");
  const worktreeDirectory = str(raw.worktreeDirectory) ?? join(runDirectory, "worktrees");
  const createdAt = str(raw.createdAt) ?? new Date(0).toISOString();
  const rawWorkers = Array.isArray(raw.workers) ? (raw.workers as Record<string, unknown>[]) : [];
  const workers: PanelWorker[] = rawWorkers.map((w) => {
    const id = str(w.id) ?? "";
    if (!WORKER_ID_PATTERN.test(id)) throw new Error(`run ${runId} has an invalid worker id ${JSON.stringify(w.id)}`);
    const worktreePath = str(w.worktreePath) ?? join(worktreeDirectory, id);
    const p = workerRuntimePaths(worktreePath);
    const wStatus = oneOf(WORKER_STATUSES, w.status, "pending");
    // Unfinished workers of a stopped/failed/planned run move to the 0.1.59 layout; finished ones keep their paths.
    const moveToWorktree = !["completed", "blocked", "running"].includes(wStatus) &&
      ["planned", "failed", "stopped", "stop_requested", "resumable"].includes(status);
    const keep = (key: keyof typeof p, legacy: string) => (moveToWorktree ? p[key] : str(w[key]) ?? legacy);
    return {
      ...w,
      id,
      role: str(w.role) ?? id.replace(/^worker-\d+-/, ""),
      label: str(w.label) ?? str(w.role) ?? id,
      required: typeof w.required === "boolean" ? w.required : true,
      status: wStatus,
      executionState: oneOf(EXECUTION_STATES, w.executionState, "not_started"),
      cleanupStatus: oneOf(CLEANUP_STATUSES, w.cleanupStatus, "not_started"),
      taskPath: keep("taskPath", join(runDirectory, "tasks", `${id}.md`)),
      resultPath: keep("resultPath", join(runDirectory, "results", `${id}.json`)),
      logPath: keep("logPath", join(runDirectory, "logs", `${id}.log`)),
      launcherPath: keep("launcherPath", join(runDirectory, "launchers", `${id}.sh`)),
      exitCodePath: keep("exitCodePath", join(runDirectory, "results", `${id}.exit.json`)),
      mailboxPath: keep("mailboxPath", join(runDirectory, "mailbox", `${id}.jsonl`)),
      taskStatePath: keep("taskStatePath", join(runDirectory, "tasks", `${id}.state.json`)),
      worktreePath,
      worktreeBranch: str(w.worktreeBranch) ?? branchFor(runId, id),
      updatedAt: str(w.updatedAt) ?? createdAt,
      diagnostics: strings(w.diagnostics),
    } as PanelWorker;
  });
  const run = {
    ...raw,
    id: runId,
    schemaVersion: 1,
    kind: "longtable.panelWorkerRun",
    createdAt,
    updatedAt: str(raw.updatedAt) ?? createdAt,
    status,
    bridgeStatus: oneOf(BRIDGE_STATUSES, raw.bridgeStatus, "not_requested"),
    mode: oneOf(MODES, raw.mode, "review"),
    prompt: str(raw.prompt) ?? "",
    workingDirectory: repoPath,
    invocationId: str(raw.invocationId) ?? runId.replace(/^panel_run_/, "invocation_"),
    planId: str(raw.planId) ?? runId.replace(/^panel_run_/, "plan_"),
    runDirectory,
    worktreeDirectory,
    eventLogPath: join(runDirectory, "events.jsonl"),
    outputSchemaPath: join(runDirectory, "panel-worker-output.schema.json"),
    stopFilePath: join(runDirectory, "stop-requested"),
    aggregateResultPath: join(runDirectory, "panel-result.json"),
    sequentialFallbackAvailable: raw.sequentialFallbackAvailable !== false,
    workers,
    diagnostics: strings(raw.diagnostics),
  } as PanelRun;
  if (typeof raw.bridgeStatus !== "string") run.bridgeStatus = deriveBridgeStatus(status, workers);
  return run;
}

export async function ensureDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true });
}

export async function readJsonIfExists<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as T;
  } catch {
    return undefined;
  }
}
