/**
 * runs.overlap (ARCHITECTURE.md §7): which workers of a run changed the same files and hunks, which
 * pairs merge cleanly together, and a suggested merge order. Changes nothing.
 */
import { COMMIT_ID, diffFiles, type DiffFile } from "../../bridge/diff";
import { changedRanges, rangesOverlap, type OldRange } from "../../bridge/hunks";
import { mergeTrees } from "../../bridge/merge";
import { mapBounded } from "../../core/bounded";
import type { Panel } from "../panel";
import { getRun } from "../runs/queries";
import { cliMergeHead } from "./cli-base";
import { loadWorker, resolveHead, type WorkerContext } from "./context";
import { totalsOf } from "./diff";

export interface OverlapWorker {
  workerId: string;
  role: string;
  label: string;
  baseCommit: string;
  headCommit: string;
  files: number;
  additions: number;
  deletions: number;
  merged: boolean;
  /** Workers whose changes do not merge cleanly with this one's. */
  conflictsWith: string[];
}

export interface OverlapPair {
  a: string;
  b: string;
  /** Files both changed (by base path), with the pairs of changed ranges that touch or overlap in the base file. */
  sharedFiles: { path: string; overlaps: { a: OldRange; b: OldRange }[] }[];
  overlappingHunks: number;
  /** The two workers' changes merge cleanly together (git merge-tree of both heads over a's… b's base). */
  clean: boolean;
  conflicts: string[];
}

export interface RunOverlap {
  runId: string;
  workers: OverlapWorker[];
  /** Files changed by two or more workers. */
  files: { path: string; workers: string[] }[];
  pairs: OverlapPair[];
  /** Unmerged workers in the order to merge them: fewest conflicting partners, then fewest overlapping hunks, then smallest change. */
  suggestedOrder: string[];
  /** Workers left out (not provisioned, or no changes). */
  skipped: { workerId: string; reason: string }[];
}

export const OVERLAP_CONCURRENCY = 4;

export async function runOverlap(panel: Panel, runId: string): Promise<RunOverlap> {
  const run = getRun(panel, runId);
  const skipped: RunOverlap["skipped"] = [];
  type Entry = { ctx: WorkerContext; head: string; files: DiffFile[]; ranges: Map<string, OldRange[]> };
  const loaded = await mapBounded(run.workers, OVERLAP_CONCURRENCY, async (w): Promise<Entry | undefined> => {
    const ctx = await loadWorker(panel, runId, w.id).catch((error: Error) => {
      skipped.push({ workerId: w.id, reason: /not been provisioned/.test(error.message) ? "not provisioned yet" : error.message });
      return undefined;
    });
    if (!ctx) return undefined;
    const head = await resolveHead(ctx).catch(() => undefined);
    if (!head) {
      skipped.push({ workerId: w.id, reason: "its commits are gone" });
      return undefined;
    }
    const [files, ranges] = await Promise.all([diffFiles(ctx.repo, ctx.base, head.head), changedRanges(ctx.repo, ctx.base, head.head)]);
    if (files.length === 0) {
      skipped.push({ workerId: w.id, reason: "no committed changes" });
      return undefined;
    }
    return { ctx, head: head.head, files, ranges };
  });
  const entries = loaded.filter((e): e is Entry => e !== undefined);
  const basePathsOf = (e: Entry) => new Set(e.files.map((f) => f.oldPath ?? f.path));
  const byFile = new Map<string, string[]>();
  for (const e of entries) for (const p of basePathsOf(e)) byFile.set(p, [...(byFile.get(p) ?? []), e.ctx.worker.id]);

  const pairInputs: [Entry, Entry][] = [];
  for (let i = 0; i < entries.length; i++) for (let j = i + 1; j < entries.length; j++) pairInputs.push([entries[i]!, entries[j]!]);
  const pairs = await mapBounded(pairInputs, OVERLAP_CONCURRENCY, async ([a, b]): Promise<OverlapPair> => {
    const bPaths = basePathsOf(b);
    const sharedFiles = [...basePathsOf(a)].filter((p) => bPaths.has(p)).sort().map((path) => {
      const ra = a.ranges.get(path) ?? [];
      const rb = b.ranges.get(path) ?? [];
      const overlaps: { a: OldRange; b: OldRange }[] = [];
      for (const x of ra) for (const y of rb) if (rangesOverlap(x, y)) overlaps.push({ a: x, b: y });
      // a binary or whole-file change (no ranges) on both sides counts as one overlap
      if (ra.length === 0 && rb.length === 0) overlaps.push({ a: { start: 0, lines: 0 }, b: { start: 0, lines: 0 } });
      return { path, overlaps };
    });
    const theirs = b.ctx.worker.runtimeLayout === "panel" ? b.head : await cliMergeHead(b.ctx.repo, b.ctx.base, b.head);
    const merge = await mergeTrees(a.ctx.repo, { base: b.ctx.base, ours: a.head, theirs });
    return {
      a: a.ctx.worker.id,
      b: b.ctx.worker.id,
      sharedFiles,
      overlappingHunks: sharedFiles.reduce((n, f) => n + f.overlaps.length, 0),
      clean: merge.clean,
      conflicts: merge.conflicts.map((c) => c.path),
    };
  });
  const workers: OverlapWorker[] = entries.map((e) => {
    const id = e.ctx.worker.id;
    const totals = totalsOf(e.files);
    return {
      workerId: id,
      role: e.ctx.worker.role,
      label: e.ctx.worker.label,
      baseCommit: e.ctx.base,
      headCommit: e.head,
      files: totals.files,
      additions: totals.additions,
      deletions: totals.deletions,
      merged: e.ctx.worker.merged !== undefined,
      conflictsWith: pairs.filter((p) => !p.clean && (p.a === id || p.b === id)).map((p) => (p.a === id ? p.b : p.a)),
    };
  });
  const overlapCount = (id: string) => pairs.filter((p) => p.a === id || p.b === id).reduce((n, p) => n + p.overlappingHunks, 0);
  const suggestedOrder = workers
    .filter((w) => !w.merged)
    .sort((x, y) =>
      x.conflictsWith.length - y.conflictsWith.length ||
      overlapCount(x.workerId) - overlapCount(y.workerId) ||
      x.additions + x.deletions - (y.additions + y.deletions) ||
      x.workerId.localeCompare(y.workerId))
    .map((w) => w.workerId);
  return {
    runId: run.id,
    workers,
    files: [...byFile].filter(([, ws]) => ws.length > 1).map(([path, ws]) => ({ path, workers: ws })).sort((a, b) => a.path.localeCompare(b.path)),
    pairs,
    suggestedOrder,
    skipped: run.workers.flatMap((w) => skipped.filter((x) => x.workerId === w.id)),
  };
}

