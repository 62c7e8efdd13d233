/**
 * Reading a run record's merge queue (ARCHITECTURE.md §4 "Reading a record", §7 "Merge queue"):
 * data, strictly — known states only, ids validated, commits as ids, texts capped; anything else
 * is dropped. Nothing in it is ever a path: the scratch worktree and the logs are derived.
 */
import { QUEUE_ITEM_STATES, type MergeQueue, type QueueConflict, type QueueItem } from "../core/queue";

const COMMIT = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;
const commit = (v: unknown) => (typeof v === "string" && COMMIT.test(v) ? v : undefined);
const text = (v: unknown, max: number) => (typeof v === "string" ? v.slice(0, max) : undefined);
const iso = (v: unknown) => (typeof v === "string" && !Number.isNaN(Date.parse(v)) ? v.slice(0, 40) : undefined);
const int = (v: unknown) => (typeof v === "number" && Number.isInteger(v) && v >= 0 && v < 1e9 ? v : undefined);

function conflicts(v: unknown): QueueConflict[] | undefined {
  if (!Array.isArray(v)) return undefined;
  return v.slice(0, 20).flatMap((c): QueueConflict[] => {
    const r = (c ?? {}) as Record<string, unknown>;
    const path = text(r.path, 4096);
    if (!path) return [];
    const types = Array.isArray(r.types) ? r.types.filter((x): x is string => typeof x === "string").slice(0, 8).map((x) => x.slice(0, 100)) : [];
    const hunks = text(r.hunks, 5000);
    return [{ path, types, ...(hunks ? { hunks } : {}) }];
  });
}

function item(v: unknown, workerIds: Set<string>, fallback: string): QueueItem | undefined {
  if (!v || typeof v !== "object") return undefined;
  const r = v as Record<string, unknown>;
  if (typeof r.workerId !== "string" || !workerIds.has(r.workerId)) return undefined;
  const state = QUEUE_ITEM_STATES.find((s) => s === r.state);
  if (!state) return undefined;
  const out: QueueItem = {
    workerId: r.workerId,
    state,
    builds: int(r.builds) ?? 0,
    reason: text(r.reason, 4000),
    conflicts: conflicts(r.conflicts),
    checkTail: text(r.checkTail, 8000),
    checkExitCode: r.checkExitCode === null ? null : int(r.checkExitCode),
    head: commit(r.head),
    targetCommit: commit(r.targetCommit),
    candidate: commit(r.candidate),
    previousCommit: commit(r.previousCommit),
    commits: Array.isArray(r.commits) ? r.commits.filter((c): c is string => !!commit(c)).slice(0, 10_000) : undefined,
    mergeId: typeof r.mergeId === "string" && /^merge_[a-z0-9_]{4,40}$/.test(r.mergeId) ? r.mergeId : undefined,
    sentBackAttempt: int(r.sentBackAttempt),
    updatedAt: iso(r.updatedAt) ?? fallback,
  };
  for (const k of Object.keys(out) as (keyof QueueItem)[]) if (out[k] === undefined) delete out[k];
  return out;
}

/** The record's merge queue, normalized; undefined when absent or unusable. */
export function normalizeQueue(v: unknown, workerIds: Set<string>, createdAt: string): MergeQueue | undefined {
  if (!v || typeof v !== "object" || Array.isArray(v)) return undefined;
  const r = v as Record<string, unknown>;
  // A branch name as the panel would accept one (never an option, a range or a full ref).
  const target = typeof r.target === "string" && /^[A-Za-z0-9._][A-Za-z0-9._\/-]{0,249}$/.test(r.target) && !/\.\.|\/\/|\.lock$|\/$|^refs\//.test(r.target) ? r.target : undefined;
  if (typeof r.id !== "string" || !/^queue_[a-z0-9_]{4,40}$/.test(r.id) || !target) return undefined;
  const seen = new Set<string>();
  const items = (Array.isArray(r.items) ? r.items.slice(0, 256) : []).flatMap((x) => {
    const i = item(x, workerIds, createdAt);
    if (!i || seen.has(i.workerId)) return [];
    seen.add(i.workerId);
    return [i];
  });
  const scratch = r.scratch as Record<string, unknown> | undefined;
  const q: MergeQueue = {
    id: r.id,
    target,
    strategy: r.strategy === "commits" ? "commits" : "squash",
    autoSendBack: r.autoSendBack === true,
    state: r.state === "running" ? "running" : "stopped",
    stopReason: text(r.stopReason, 4000),
    items,
    ...(scratch && typeof scratch.workerId === "string" && workerIds.has(scratch.workerId) ? { scratch: { workerId: scratch.workerId, build: int(scratch.build) ?? 0 } } : {}),
    createdAt: iso(r.createdAt) ?? createdAt,
    updatedAt: iso(r.updatedAt) ?? createdAt,
  };
  if (q.stopReason === undefined) delete q.stopReason;
  return q;
}
