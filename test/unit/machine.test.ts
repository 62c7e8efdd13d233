import { describe, expect, it } from "vitest";
import type { WorkerStatus } from "@/server/panel/enums";
import { createRunRecord, deriveBridgeStatus, deriveRunStatus } from "@/server/panel/machine";
import { BUILTIN_ROLES } from "@/server/panel/roles";

const ws = (...s: WorkerStatus[]) => s.map((status) => ({ status }));

describe("deriveRunStatus (DESIGN §2 order)", () => {
  it.each([
    [ws("completed", "completed"), "completed"],
    [ws("completed", "running", "failed"), "running"],
    [ws("completed", "failed", "blocked"), "failed"],
    [ws("completed", "blocked", "stop_requested"), "blocked"],
    [ws("stopped", "stop_requested"), "stop_requested"],
    [ws("stopped", "completed"), "stopped"],
    [ws("pending", "completed"), "running"],
  ] as const)("%j → %s", (workers, expected) => {
    expect(deriveRunStatus(workers)).toBe(expected);
  });

  it("reports preflight_failed only when every worker failed preflight", () => {
    const { run } = createRunRecord({ repoPath: "/r", prompt: "p", mode: "review", roles: BUILTIN_ROLES.slice(0, 2), now: new Date().toISOString() });
    const failed = run.workers.map((w) => ({ ...w, status: "failed" as const, executionState: "preflight_failed" as const }));
    expect(deriveBridgeStatus("failed", failed)).toBe("preflight_failed");
    expect(deriveBridgeStatus("failed", [failed[0]!, { ...failed[1]!, executionState: "launch_failed" }])).toBe("failed");
    expect(deriveBridgeStatus("planned", failed)).toBe("not_requested");
  });
});

describe("createRunRecord", () => {
  it("lays out the seed's run directory and one worker per member", () => {
    const now = "2026-11-25T10:00:00.000Z";
    const { run, events } = createRunRecord({ repoPath: "/repo", prompt: "Check it", mode: "critique", roles: BUILTIN_ROLES.slice(0, 3), now });
    expect(run.status).toBe("planned");
    expect(run.bridgeStatus).toBe("not_requested");
    expect(run.runDirectory).toBe(`/repo/.longtable/panel-runs/${run.id}`);
    expect(run.workers.map((w) => w.id)).toEqual(["worker-1-reviewer", "worker-2-theory_critic", "worker-3-methods_critic"]);
    const w = run.workers[1]!;
    expect(w.worktreePath).toBe(`${run.runDirectory}/worktrees/worker-2-theory_critic`);
    expect(w.resultPath).toBe(`${w.worktreePath}/.longtable-worker/result.json`);
    expect(w.worktreeBranch).toBe(`longtable/panel/${run.id}/worker-2-theory_critic`);
    expect(w).toMatchObject({ status: "pending", executionState: "not_started", cleanupStatus: "not_started" });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: "run_created", createdAt: now });
  });
});
