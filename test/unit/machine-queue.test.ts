import { describe, expect, it } from "vitest";
import { normalizeQueue } from "@/server/bridge/queue-record";
import type { PanelRun } from "@/server/core/records";
import { createRunRecord } from "@/server/panel/machine";
import {
  queueAccepted, queueItemBuilding, queueItemChecking, queueItemHeld, queueItemMerged, queueItemRemoved, queueItemRequeued, queueItemSentBack,
  queueRecovered, queueReordered, queueResumed, queueScratchCleared, queueStopped,
} from "@/server/panel/machine-queue";
import { sendBackText } from "@/server/panel/queue/send-back";
import { BUILTIN_ROLES } from "@/server/panel/roles/roles";
import { recordPaths } from "@/server/panel/runs/create";

const RUN_ID = "panel_run_mabc1234_abcd1234";
const T0 = "2026-11-30T10:00:00.000Z";
const C = (n: number) => n.toString(16).padStart(40, "0");

function run(): PanelRun {
  return createRunRecord({ runId: RUN_ID, repoPath: "/repo", prompt: "p", mode: "draft", now: T0, members: BUILTIN_ROLES.slice(0, 4).map((role) => ({ role, agent: "codex" as const })), paths: recordPaths("/repo", RUN_ID) }).run;
}
const [A, B, Cw, D] = ["worker-1-reviewer", "worker-2-theory_critic", "worker-3-methods_critic", "worker-4-measurement_auditor"];
const accept = (r: PanelRun, ids: string[], extra: Partial<Parameters<typeof queueAccepted>[1]> = {}) =>
  queueAccepted(r, { id: "queue_abc123_def4", workerIds: ids, target: "main", strategy: "squash", autoSendBack: false, now: T0, ...extra });
const states = (r: PanelRun) => r.mergeQueue!.items.map((i) => `${i.workerId.split("-")[1]}:${i.state}`);

describe("merge queue transitions (pure)", () => {
  it("accepts workers in order, once each, and says so in an event", () => {
    const first = accept(run(), [A, B]);
    expect(states(first.run)).toEqual(["1:waiting", "2:waiting"]);
    expect(first.run.mergeQueue).toMatchObject({ target: "main", strategy: "squash", state: "running" });
    expect(first.events[0]).toMatchObject({ type: "queue_updated" });
    expect(first.events[0]!.message).toContain("accepted Reviewer, Theory Critic");
    const again = accept(first.run, [B, Cw]);
    expect(states(again.run)).toEqual(["1:waiting", "2:waiting", "3:waiting"]);
    expect(() => accept(first.run, [D], { target: "dev" })).toThrow(/lands on main/);
    expect(() => accept(first.run, ["worker-9-nobody"])).toThrow(/no worker/);
  });

  it("walks an item through building, checking and merged; the build number counts candidates", () => {
    let r = accept(run(), [A]).run;
    r = queueItemBuilding(r, A, { head: C(1), targetCommit: C(2) }, T0).run;
    expect(r.mergeQueue!.items[0]).toMatchObject({ state: "building", builds: 1, head: C(1), targetCommit: C(2) });
    const checking = queueItemChecking(r, A, C(3), T0);
    expect(checking.run.mergeQueue!.scratch).toEqual({ workerId: A, build: 1 });
    expect(checking.events[0]!.message).toMatch(/checking the candidate/);
    const merged = queueItemMerged(queueScratchCleared(checking.run, T0).run, A, { mergeId: "merge_abc123_def4", previousCommit: C(2), commits: [C(3)] }, T0);
    expect(merged.run.mergeQueue!.scratch).toBeUndefined();
    expect(merged.run.mergeQueue!.items[0]).toMatchObject({ state: "merged", commits: [C(3)], previousCommit: C(2) });
    expect(merged.run.mergeQueue!.items[0]!.candidate).toBeUndefined();
    expect(merged.events[0]!.message).toMatch(/merged into main: 1 commit\(s\)/);
    expect(queueItemBuilding(merged.run, A, { head: C(1), targetCommit: C(3) }, T0).run.mergeQueue!.items[0]!.builds).toBe(2);
  });

  it("holds, sends back and requeues; a held item accepted again is retried", () => {
    let r = accept(run(), [A, B]).run;
    r = queueItemBuilding(r, A, { head: C(1), targetCommit: C(2) }, T0).run;
    const held = queueItemHeld(r, A, { state: "conflict", reason: "1 file(s) conflict", conflicts: [{ path: "x", types: ["CONFLICT (contents)"], hunks: "<<<<<<< main" }] }, T0);
    expect(held.events[0]!.message).toMatch(/held: conflict/);
    r = queueItemSentBack(held.run, A, 2, T0).run;
    expect(r.mergeQueue!.items[0]).toMatchObject({ state: "sent_back", sentBackAttempt: 2, conflicts: [{ path: "x" }] });
    r = queueItemRequeued(r, A, "attempt 2 completed", T0).run;
    expect(r.mergeQueue!.items[0]).toEqual({ workerId: A, state: "waiting", builds: 1, head: C(1), targetCommit: C(2), updatedAt: T0 });
    const failed = queueItemHeld(r, B, { state: "check_failed", reason: "the check exited 1", checkTail: "boom", checkExitCode: 1 }, T0).run;
    expect(states(accept(failed, [B]).run)).toEqual(["1:waiting", "2:waiting"]);
  });

  it("reorders (every item once), removes (not while active), stops and resumes", () => {
    let r = accept(run(), [A, B, Cw]).run;
    expect(states(queueReordered(r, [Cw, A, B], T0).run)).toEqual(["3:waiting", "1:waiting", "2:waiting"]);
    expect(() => queueReordered(r, [A, B], T0)).toThrow(/exactly once/);
    expect(() => queueReordered(r, [A, A, B], T0)).toThrow(/exactly once/);
    r = queueItemBuilding(r, A, { head: C(1), targetCommit: C(2) }, T0).run;
    expect(() => queueItemRemoved(r, A, T0)).toThrow(/stop the queue first/);
    expect(states(queueItemRemoved(r, B, T0).run)).toEqual(["1:building", "3:waiting"]);
    const stopped = queueStopped(r, undefined, T0);
    expect(stopped.run.mergeQueue!.state).toBe("stopped");
    expect(stopped.run.mergeQueue!.items[0]).toMatchObject({ state: "waiting", reason: expect.stringMatching(/stopped before it finished/) });
    expect(queueResumed(stopped.run, T0).run.mergeQueue).toMatchObject({ state: "running" });
  });

  it("after a crash: the item whose move the journal finished is merged, the one being checked is interrupted, and the queue stops saying where", () => {
    let r = accept(run(), [A, B, Cw]).run;
    r = queueItemBuilding(r, A, { head: C(1), targetCommit: C(2) }, T0).run;
    r = queueItemChecking(r, A, C(3), T0).run;
    const rec = queueRecovered(r, [{ workerId: A }], "stopped while checking Reviewer", T0);
    expect(states(rec.run)).toEqual(["1:interrupted", "2:waiting", "3:waiting"]);
    expect(rec.run.mergeQueue).toMatchObject({ state: "stopped", stopReason: "stopped while checking Reviewer" });
    expect(rec.run.mergeQueue!.scratch).toBeUndefined();
    expect(rec.events[0]).toMatchObject({ type: "queue_recovered" });
    expect(states(queueResumed(rec.run, T0).run)).toEqual(["1:waiting", "2:waiting", "3:waiting"]);
    const done = queueRecovered(r, [{ workerId: A, merged: { mergeId: "merge_abc123_def4", previousCommit: C(2), commits: [C(3)] } }], "finished", T0);
    expect(states(done.run)).toEqual(["1:merged", "2:waiting", "3:waiting"]);
    expect(done.run.mergeQueue!.state).toBe("running");
  });

  it("reads a queue from a record as data: unknown states, workers and ids are dropped", () => {
    const ids = new Set([A, B]);
    const q = normalizeQueue({
      id: "queue_abc123_def4", target: "main", strategy: "rebase", state: "exploding", autoSendBack: "yes",
      items: [
        { workerId: A, state: "merged", builds: 1, commits: [C(1), "HEAD"], head: "../../x", reason: "r".repeat(9000) },
        { workerId: "worker-9-nobody", state: "waiting", builds: 0 },
        { workerId: B, state: "teleporting", builds: 0 },
        { workerId: A, state: "waiting", builds: 0 },
      ],
      scratch: { workerId: "../../etc", build: 1 },
    }, ids, T0)!;
    expect(q).toMatchObject({ strategy: "squash", state: "stopped", autoSendBack: false });
    expect(q.items).toHaveLength(1);
    expect(q.items[0]).toMatchObject({ workerId: A, state: "merged", commits: [C(1)] });
    expect(q.items[0]!.head).toBeUndefined();
    expect(q.items[0]!.reason!.length).toBe(4000);
    expect(q.scratch).toBeUndefined();
    expect(normalizeQueue({ id: "../x", target: "main" }, ids, T0)).toBeUndefined();
  });

  it("the send-back text says what to fix: conflicting paths with excerpts, or the check's last lines", () => {
    const q = accept(run(), [A]).run.mergeQueue!;
    const conflict = sendBackText(q, { workerId: A, state: "conflict", builds: 1, targetCommit: C(5), conflicts: [{ path: "src/app.txt", types: ["CONFLICT (contents)"], hunks: "<<<<<<< main\nx\n=======\ny\n>>>>>>> w" }], updatedAt: T0 }, { label: "Reviewer" });
    expect(conflict).toMatch(/^Rebase onto the target and fix/);
    expect(conflict).toContain(`git show ${C(5)}:<path>`);
    expect(conflict).toContain("- src/app.txt (CONFLICT (contents))");
    expect(conflict).toContain("<<<<<<< main");
    const check = sendBackText(q, { workerId: A, state: "check_failed", builds: 1, checkTail: "FAIL: 2 tests", checkExitCode: 1, updatedAt: T0 }, { label: "Reviewer" });
    expect(check).toContain("the repository's check failed there (exit code 1)");
    expect(check).toContain("FAIL: 2 tests");
  });
});
