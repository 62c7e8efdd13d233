/**
 * The client's run reducer (app/runs/[runId]/_model/run-reducer.ts): events patch the cached run
 * once and never roll it back; merges and decisions are added once; a change of the cached run
 * names exactly the derived queries it made stale.
 */
import { describe, expect, it } from "vitest";
import type { BusEvent } from "@/app/_lib/live";
import type { PanelWorker, RunView } from "@/app/_lib/types";
import { applyEventToRun, isEmptyStale, needsRunRefetch, staleBetween, withDecision, withMerge, type MergeRow } from "@/app/runs/[runId]/_model/run-reducer";

const RUN = "panel_run_mabc1234_reduce1";
const A = "a".repeat(40);
const B = "b".repeat(40);
const C = "c".repeat(40);

function worker(id: string, patch: Partial<PanelWorker> = {}): PanelWorker {
  return {
    id, role: id.replace(/^worker-\d+-/, ""), label: id, required: true, agent: "codex", runtimeLayout: "panel",
    status: "completed", executionState: "result_ready", cleanupStatus: "not_started",
    taskPath: "/t", resultPath: "/r", logPath: "/l", launcherPath: "/x", exitCodePath: "/e", mailboxPath: "/m", taskStatePath: "/s",
    worktreePath: `/wt/${id}`, worktreeBranch: `longtable/panel/${RUN}/${id}`, worktreeCommit: A, baseCommit: C,
    updatedAt: "2026-11-30T10:00:00.000Z", attempt: 1, diagnostics: [], ...patch,
  };
}

function run(workers: PanelWorker[], patch: Partial<RunView> = {}): RunView {
  return {
    id: RUN, schemaVersion: 1, kind: "longtable.panelWorkerRun", createdAt: "2026-11-30T09:00:00.000Z", updatedAt: "2026-11-30T10:00:00.000Z",
    status: "completed", bridgeStatus: "completed", mode: "draft", prompt: "p", workingDirectory: "/repo", invocationId: "i", planId: "p",
    runDirectory: "/repo/.longtable/panel-runs/x", worktreeDirectory: "/wt", eventLogPath: "/ev", outputSchemaPath: "/o", stopFilePath: "/s",
    aggregateResultPath: "/a", sequentialFallbackAvailable: true, workers, diagnostics: [], repoId: "repo_0123456789ab", lastDecision: null, owned: true,
    ...patch,
  };
}

let seq = 0;
function event(type: string, at: string, workers: PanelWorker[], extra: Record<string, unknown> = {}): BusEvent {
  seq += 1;
  const snap = workers.map((w) => ({
    id: w.id, agent: w.agent, status: w.status, executionState: w.executionState, cleanupStatus: w.cleanupStatus, worktreeCommit: w.worktreeCommit,
    baseCommit: w.baseCommit, attempt: w.attempt, merged: w.merged, discarded: w.discarded, updatedAt: w.updatedAt,
  }));
  return {
    seq, id: `event_${seq}`, runId: RUN, workerId: workers.length === 1 ? workers[0]!.id : null, type, message: type, path: null, createdAt: at,
    data: { run: { status: "completed", bridgeStatus: "completed", updatedAt: at, lastDecision: null }, workers: snap, ...extra },
  };
}

describe("applyEventToRun", () => {
  it("patches the workers an event carries, returns the same run for a replay, and never rolls back to an older snapshot", () => {
    const w1 = worker("worker-1-reviewer");
    const cached = run([w1, worker("worker-2-editor")]);
    const merged = { ...w1, merged: { commit: B, target: "main", previousCommit: C, strategy: "squash" as const, workerHead: A, at: "2026-11-30T10:05:00.000Z" }, updatedAt: "2026-11-30T10:05:00.000Z" };
    const e = event("worker_merged", "2026-11-30T10:05:00.000Z", [merged]);
    const next = applyEventToRun(cached, e);
    expect(next.workers[0]!.merged?.commit).toBe(B);
    expect(next.workers[1]).toBe(cached.workers[1]);
    expect(next.updatedAt).toBe("2026-11-30T10:05:00.000Z");
    expect(applyEventToRun(next, e)).toBe(next); // applied twice: nothing changes
    const older = event("worker_result", "2026-11-30T10:01:00.000Z", [{ ...w1, status: "running", updatedAt: "2026-11-30T10:01:00.000Z" }]);
    expect(applyEventToRun(next, older)).toBe(next);
  });

  it("ignores events of other runs and events without data", () => {
    const cached = run([worker("worker-1-reviewer")]);
    expect(applyEventToRun(cached, { ...event("run_created", "2026-11-30T11:00:00.000Z", []), runId: "panel_run_mabc1234_other12" })).toBe(cached);
    expect(applyEventToRun(cached, { ...event("run_created", "2026-11-30T11:00:00.000Z", []), data: null })).toBe(cached);
  });
});

describe("merges and decisions from events", () => {
  it("adds a merge once, newest first, without the worker head the merges table does not keep", () => {
    const old: MergeRow = { id: "merge_old1", runId: RUN, workerId: "worker-2-editor", strategy: "squash", target: "main", previousCommit: C, commit: A, createdAt: "2026-11-30T09:30:00.000Z" };
    const merge = { id: "merge_new1", workerId: "worker-1-reviewer", strategy: "squash" as const, target: "main", previousCommit: A, commit: B, workerHead: C, createdAt: "2026-11-30T10:05:00.000Z" };
    const once = withMerge([old], RUN, merge);
    expect(once.map((m) => m.id)).toEqual(["merge_new1", "merge_old1"]);
    expect(once[0]).not.toHaveProperty("workerHead");
    expect(withMerge(once, RUN, merge)).toBe(once);
  });

  it("adds a decision once, newest first", () => {
    const d = { id: "decision_1", answer: "revise", createdAt: "2026-11-30T10:00:00.000Z" };
    const list = withDecision([{ id: "decision_0", answer: "defer", createdAt: "2026-11-30T09:00:00.000Z" }], d);
    expect(list.map((x) => x.id)).toEqual(["decision_1", "decision_0"]);
    expect(withDecision(list, d)).toBe(list);
  });
});

describe("staleBetween: what a change of the cached run makes stale", () => {
  it("a new head: that worker's diff and previews, and the overlap — nothing of the other workers", () => {
    const before = run([worker("worker-1-reviewer"), worker("worker-2-editor")]);
    const after = { ...before, workers: [{ ...before.workers[0]!, worktreeCommit: B }, before.workers[1]!] };
    expect(staleBetween(before, after)).toEqual({ diff: ["worker-1-reviewer"], previews: ["worker-1-reviewer"], allMergePreviews: false, overlap: true, results: false, refetchRun: false });
  });

  it("a merge: every merge preview of the run (the target moved) and the overlap, not the diff", () => {
    const before = run([worker("worker-1-reviewer"), worker("worker-2-editor")]);
    const merged = { ...before.workers[0]!, merged: { commit: B, target: "main", previousCommit: C, strategy: "squash" as const, workerHead: A, at: "2026-11-30T10:05:00.000Z" } };
    const stale = staleBetween(before, { ...before, workers: [merged, before.workers[1]!] });
    expect(stale.diff).toEqual([]);
    expect(stale.previews).toEqual(["worker-1-reviewer"]);
    expect(stale.allMergePreviews).toBe(true);
    expect(stale.overlap).toBe(true);
  });

  it("a worker that finished: its previews and the results; the run turning terminal reads the run once more", () => {
    const before = run([worker("worker-1-reviewer", { status: "running" })], { status: "running" });
    const after = { ...before, status: "completed" as const, workers: [{ ...before.workers[0]!, status: "completed" as const }] };
    const stale = staleBetween(before, after);
    expect(stale).toMatchObject({ diff: [], previews: ["worker-1-reviewer"], results: true, refetchRun: true, overlap: false });
  });

  it("nothing that matters changed: nothing is stale", () => {
    const before = run([worker("worker-1-reviewer")]);
    expect(isEmptyStale(staleBetween(before, { ...before, workers: [{ ...before.workers[0]!, usage: { inputTokens: 5, cachedInputTokens: 0, outputTokens: 1 } }] }))).toBe(true);
    expect(isEmptyStale(staleBetween(before, before))).toBe(true);
  });
});

describe("needsRunRefetch", () => {
  it("only for events whose changes are outside the snapshot, and only when not older than the cached run", () => {
    const cached = run([worker("worker-1-reviewer")]);
    expect(needsRunRefetch(cached, event("shutdown_requested", "2026-11-30T10:10:00.000Z", []))).toBe(true);
    expect(needsRunRefetch(cached, event("shutdown_requested", "2026-11-30T09:10:00.000Z", []))).toBe(false);
    expect(needsRunRefetch(cached, event("worker_result", "2026-11-30T10:10:00.000Z", []))).toBe(false);
    expect(needsRunRefetch(undefined, event("shutdown_requested", "2026-11-30T10:10:00.000Z", []))).toBe(false);
  });
});
