/**
 * Reading a run.json found on disk (ARCHITECTURE.md §4, §6 "Records are data"). The file may
 * have been written by this panel, by the LongTable CLI (0.1.57 or 0.1.59+), or committed into a
 * cloned repository by anyone. So:
 *
 * - ids are validated (a record whose ids could escape a path is rejected);
 * - every path and branch is DERIVED from the repo, the run folder and the ids
 *   (server/bridge/layout.ts); the record's own values are only compared with the derived
 *   candidates, to tell which runtime layout a CLI worker used, and a value that matches none
 *   is ignored and named in `diagnostics`;
 * - enums fall back to safe values, strings are size-limited.
 */
import { normalizeQueue } from "./queue-record";
import {
  AGENT_IDS, BRIDGE_STATUSES, CLEANUP_STATUSES, EXECUTION_STATES, RECORD_MODES, RUN_STATUSES, WORKER_STATUSES, type AgentId,
} from "../core/enums";
import { HOST_ID_PATTERN } from "../core/hosts";
import { RUN_ID_PATTERN, WORKER_ID_PATTERN } from "../core/ids";
import type { Decision, MergeIntent, MergeRecord, PanelRun, PanelWorker, RuntimeLayout } from "../core/records";
import { deriveBridgeStatus } from "../core/status";
import { runLayout, workerLayout, type WorkerLayout } from "./layout";

/** The largest run.json read at all. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;
const MAX_TEXT = 100 * 1024;
const MAX_SHORT = 1000;

export class RecordError extends Error {
  override name = "RecordError";
}

function oneOf<T extends string>(values: readonly T[], value: unknown, fallback: T): T {
  return typeof value === "string" && (values as readonly string[]).includes(value) ? (value as T) : fallback;
}
const str = (v: unknown, max = MAX_SHORT): string | undefined => (typeof v === "string" ? v.slice(0, max) : undefined);
const strings = (v: unknown, max = 200): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string").slice(0, max).map((x) => x.slice(0, MAX_SHORT)) : []);
const commitId = (v: unknown): string | undefined => (typeof v === "string" && /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/.test(v) ? v : undefined);
const iso = (v: unknown): string | undefined => (typeof v === "string" && v.length <= 40 && !Number.isNaN(Date.parse(v)) ? v : undefined);

/** A worker's runtime facts, as data: scalar values only, a transport the panel knows, a pane id of tmux's shape. */
function runtimeOf(v: unknown): PanelWorker["runtime"] {
  if (!v || typeof v !== "object" || Array.isArray(v)) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>).slice(0, 40)) {
    if (typeof x === "string") out[k] = x.slice(0, 500);
    else if (typeof x === "number" || typeof x === "boolean") out[k] = x;
  }
  if (out.paneId !== undefined && !(typeof out.paneId === "string" && /^%\d+$/.test(out.paneId))) delete out.paneId;
  return { ...out, transport: "tmux" } as PanelWorker["runtime"];
}

const PATH_FIELDS = ["taskPath", "resultPath", "logPath", "launcherPath", "exitCodePath", "mailboxPath", "taskStatePath"] as const;
const LAYOUTS: readonly RuntimeLayout[] = ["panel", "cli-0.1.59", "cli-0.1.57"];

/** Which derived layout the record's own runtime paths match (a record without paths is the panel's). */
function detectLayout(repoPath: string, runId: string, workerId: string, raw: Record<string, unknown>): { layout: RuntimeLayout; matched: boolean } {
  if (typeof raw.runtimeLayout === "string" && (LAYOUTS as readonly string[]).includes(raw.runtimeLayout)) {
    return { layout: raw.runtimeLayout as RuntimeLayout, matched: true };
  }
  const given = PATH_FIELDS.map((k) => raw[k]).filter((v): v is string => typeof v === "string");
  if (given.length === 0) return { layout: "panel", matched: true };
  for (const layout of LAYOUTS) {
    const derived = workerLayout(repoPath, runId, workerId, layout);
    if (PATH_FIELDS.every((k) => raw[k] === undefined || raw[k] === derived[k])) return { layout, matched: true };
  }
  return { layout: "panel", matched: false };
}

function derivedPaths(l: WorkerLayout): Pick<PanelWorker, (typeof PATH_FIELDS)[number] | "worktreePath" | "worktreeBranch"> {
  return {
    taskPath: l.taskPath, resultPath: l.resultPath, logPath: l.logPath, launcherPath: l.launcherPath, exitCodePath: l.exitCodePath,
    mailboxPath: l.mailboxPath, taskStatePath: l.taskStatePath, worktreePath: l.worktreePath, worktreeBranch: l.worktreeBranch,
  };
}

function normalizeWorker(repoPath: string, runId: string, w: Record<string, unknown>, createdAt: string, problems: string[]): PanelWorker {
  const id = typeof w.id === "string" ? w.id : "";
  if (!WORKER_ID_PATTERN.test(id)) throw new RecordError(`run ${runId} has an invalid worker id ${JSON.stringify(w.id)?.slice(0, 80)}`);
  const { layout, matched } = detectLayout(repoPath, runId, id, w);
  const paths = derivedPaths(workerLayout(repoPath, runId, id, layout));
  if (!matched) problems.push(`${id}: its runtime paths are not where the panel or the LongTable CLI puts them; they were ignored`);
  if (w.worktreePath !== undefined && w.worktreePath !== paths.worktreePath) problems.push(`${id}: worktreePath ${JSON.stringify(str(w.worktreePath, 200))} ignored (the worktree is ${paths.worktreePath})`);
  if (w.worktreeBranch !== undefined && w.worktreeBranch !== paths.worktreeBranch) problems.push(`${id}: worktreeBranch ${JSON.stringify(str(w.worktreeBranch, 200))} ignored (the worker's branch is ${paths.worktreeBranch})`);
  const usage = w.usage && typeof w.usage === "object" ? (w.usage as Record<string, unknown>) : undefined;
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0);
  const merged = w.merged && typeof w.merged === "object" ? (w.merged as Record<string, unknown>) : undefined;
  const discarded = w.discarded && typeof w.discarded === "object" ? (w.discarded as Record<string, unknown>) : undefined;
  const attempt = typeof w.attempt === "number" && Number.isInteger(w.attempt) && w.attempt >= 0 && w.attempt < 10_000 ? w.attempt : undefined;
  const worker: PanelWorker = {
    // Unknown fields of newer CLI versions are kept as data (never used as paths or commands).
    ...w,
    id,
    role: str(w.role, 40) ?? id.replace(/^worker-\d+-/, ""),
    label: str(w.label, 200) ?? str(w.role, 40) ?? id,
    required: typeof w.required === "boolean" ? w.required : true,
    agent: oneOf<AgentId>(AGENT_IDS, w.agent, "codex"),
    model: str(w.model, 200),
    runtimeLayout: layout,
    // The host is a name the panel looks up among the hosts the user registered; anything else is dropped.
    host: typeof w.host === "string" && HOST_ID_PATTERN.test(w.host) ? w.host : undefined,
    status: oneOf(WORKER_STATUSES, w.status, "pending"),
    executionState: oneOf(EXECUTION_STATES, w.executionState, "not_started"),
    cleanupStatus: oneOf(CLEANUP_STATUSES, w.cleanupStatus, "not_started"),
    ...paths,
    worktreeCommit: commitId(w.worktreeCommit),
    baseCommit: commitId(w.baseCommit),
    previousCommit: commitId(w.previousCommit),
    paneId: typeof w.paneId === "string" && /^%\d+$/.test(w.paneId) ? w.paneId : undefined,
    runtime: runtimeOf(w.runtime),
    startedAt: iso(w.startedAt),
    completedAt: iso(w.completedAt),
    updatedAt: iso(w.updatedAt) ?? createdAt,
    // The CLI writes error: "" after a good result: no error.
    error: str(w.error, MAX_TEXT) || undefined,
    failureReason: str(w.failureReason, MAX_TEXT) || undefined,
    threadId: typeof w.threadId === "string" && /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/.test(w.threadId) ? w.threadId : undefined,
    attempt,
    usage: usage ? { inputTokens: num(usage.inputTokens), cachedInputTokens: num(usage.cachedInputTokens), outputTokens: num(usage.outputTokens), ...(typeof usage.costUsd === "number" ? { costUsd: num(usage.costUsd) } : {}) } : undefined,
    diagnostics: strings(w.diagnostics),
    merged: merged && commitId(merged.commit) && commitId(merged.workerHead) && commitId(merged.previousCommit)
      ? { commit: merged.commit as string, target: str(merged.target, 250) ?? "", previousCommit: merged.previousCommit as string, strategy: merged.strategy === "commits" ? "commits" : "squash", workerHead: merged.workerHead as string, at: iso(merged.at) ?? createdAt }
      : undefined,
    discarded: discarded ? { at: iso(discarded.at) ?? createdAt, branchDeleted: discarded.branchDeleted === true, commits: num(discarded.commits), uncommittedFiles: num(discarded.uncommittedFiles) } : undefined,
  };
  for (const k of Object.keys(worker) as (keyof PanelWorker)[]) if (worker[k] === undefined) delete worker[k];
  return worker;
}

function normalizeMerges(v: unknown, workerIds: Set<string>): MergeRecord[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: MergeRecord[] = [];
  for (const m of v.slice(0, 10_000)) {
    if (!m || typeof m !== "object") continue;
    const r = m as Record<string, unknown>;
    const commit = commitId(r.commit);
    const previousCommit = commitId(r.previousCommit);
    const workerHead = commitId(r.workerHead);
    if (typeof r.id !== "string" || !/^merge_[a-z0-9_]{4,40}$/.test(r.id) || typeof r.workerId !== "string" || !workerIds.has(r.workerId) || !commit || !previousCommit || !workerHead) continue;
    out.push({ id: r.id, workerId: r.workerId, strategy: r.strategy === "commits" ? "commits" : "squash", target: str(r.target, 250) ?? "", previousCommit, commit, workerHead, createdAt: iso(r.createdAt) ?? new Date(0).toISOString() });
  }
  return out;
}

/** A merge journal entry, strictly: every commit an id, every path repository-relative; else dropped. */
function normalizeJournal(v: unknown, workerIds: Set<string>): MergeIntent | undefined {
  if (!v || typeof v !== "object") return undefined;
  const j = v as Record<string, unknown>;
  const commits = Array.isArray(j.commits) ? j.commits.filter((c): c is string => !!commitId(c)) : [];
  const relPath = (p: unknown): p is string => typeof p === "string" && p.length > 0 && p.length < 4096 && !p.startsWith("/") && !p.split("/").includes("..") && !p.includes("\0");
  const paths = Array.isArray(j.paths) ? j.paths.filter(relPath) : [];
  const newDirs = Array.isArray(j.newDirs) ? j.newDirs.filter(relPath) : [];
  if (typeof j.id !== "string" || !/^merge_[a-z0-9_]{4,40}$/.test(j.id) || typeof j.workerId !== "string" || !workerIds.has(j.workerId)) return undefined;
  if (!commitId(j.oldCommit) || !commitId(j.newCommit) || !commitId(j.workerHead) || typeof j.target !== "string") return undefined;
  if (j.movedBy !== "checkout" && j.movedBy !== "update-ref") return undefined;
  return {
    id: j.id, workerId: j.workerId, target: j.target.slice(0, 250), strategy: j.strategy === "commits" ? "commits" : "squash",
    oldCommit: j.oldCommit as string, newCommit: j.newCommit as string, commits, workerHead: j.workerHead as string,
    movedBy: j.movedBy, ...(typeof j.checkout === "string" ? { checkout: j.checkout } : {}), paths, ...(newDirs.length ? { newDirs } : {}), startedAt: iso(j.startedAt) ?? new Date(0).toISOString(),
  };
}

function normalizeDecisions(v: unknown): Decision[] | undefined {
  if (!Array.isArray(v)) return undefined;
  return v.slice(0, 1000).flatMap((d): Decision[] => {
    if (!d || typeof d !== "object") return [];
    const r = d as Record<string, unknown>;
    if (typeof r.id !== "string" || !/^decision_[a-z0-9_]{4,40}$/.test(r.id) || typeof r.answer !== "string") return [];
    return [{ id: r.id, answer: r.answer.slice(0, 200), note: str(r.note, 10_000), createdAt: iso(r.createdAt) ?? new Date(0).toISOString() }];
  });
}

/**
 * A normalized run record, and the problems found in the file (fields that were ignored).
 * Throws RecordError when the record cannot be used at all.
 */
export function normalizeRunRecord(raw: unknown, repoPath: string, runId: string): { run: PanelRun; problems: string[] } {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new RecordError(`run ${runId}: run.json is not a JSON object`);
  const r = raw as Record<string, unknown>;
  if (r.id !== runId || !RUN_ID_PATTERN.test(runId)) {
    throw new RecordError(`run record id ${JSON.stringify(r.id)?.slice(0, 80)} does not match its folder ${runId}`);
  }
  const problems: string[] = [];
  const layout = runLayout(repoPath, runId);
  if (r.workingDirectory !== undefined && r.workingDirectory !== repoPath) problems.push(`workingDirectory ${JSON.stringify(str(r.workingDirectory, 200))} ignored (the run belongs to ${repoPath})`);
  if (r.worktreeDirectory !== undefined && r.worktreeDirectory !== layout.worktreeDirectory) problems.push(`worktreeDirectory ${JSON.stringify(str(r.worktreeDirectory, 200))} ignored (worktrees are in ${layout.worktreeDirectory})`);
  const status = oneOf(RUN_STATUSES, r.status, "planned");
  const createdAt = iso(r.createdAt) ?? new Date(0).toISOString();
  const rawWorkers = Array.isArray(r.workers) ? r.workers : [];
  if (rawWorkers.length > 256) throw new RecordError(`run ${runId} lists ${rawWorkers.length} workers; at most 256 are read`);
  const workers = rawWorkers.map((w) => normalizeWorker(repoPath, runId, w && typeof w === "object" ? (w as Record<string, unknown>) : {}, createdAt, problems));
  if (new Set(workers.map((w) => w.id)).size !== workers.length) throw new RecordError(`run ${runId} lists a worker id twice`);
  const run: PanelRun = {
    ...r,
    id: runId,
    schemaVersion: 1,
    kind: "longtable.panelWorkerRun",
    createdAt,
    updatedAt: iso(r.updatedAt) ?? createdAt,
    status,
    bridgeStatus: typeof r.bridgeStatus === "string" ? oneOf(BRIDGE_STATUSES, r.bridgeStatus, "not_requested") : deriveBridgeStatus(status, workers),
    bridgeFailureReason: str(r.bridgeFailureReason, MAX_TEXT),
    mode: oneOf(RECORD_MODES, r.mode, "review"),
    prompt: str(r.prompt, 200 * 1024) ?? "",
    workingDirectory: repoPath,
    invocationId: str(r.invocationId, 200) ?? runId.replace(/^panel_run_/, "invocation_"),
    planId: str(r.planId, 200) ?? runId.replace(/^panel_run_/, "plan_"),
    targetBranch: str(r.targetBranch, 250),
    leaderHead: commitId(r.leaderHead),
    runDirectory: layout.runDirectory,
    worktreeDirectory: layout.worktreeDirectory,
    eventLogPath: layout.eventLogPath,
    outputSchemaPath: layout.outputSchemaPath,
    stopFilePath: layout.stopFilePath,
    aggregateResultPath: layout.aggregateResultPath,
    sequentialFallbackAvailable: r.sequentialFallbackAvailable !== false,
    workers,
    diagnostics: strings(r.diagnostics),
    decisions: normalizeDecisions(r.decisions),
    merges: normalizeMerges(r.merges, new Set(workers.map((w) => w.id))),
    mergeJournal: normalizeJournal(r.mergeJournal, new Set(workers.map((w) => w.id))),
    mergeQueue: normalizeQueue(r.mergeQueue, new Set(workers.map((w) => w.id)), createdAt),
  };
  for (const k of Object.keys(run)) if (run[k] === undefined) delete run[k];
  return { run, problems };
}
