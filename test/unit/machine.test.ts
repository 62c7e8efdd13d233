import { describe, expect, it } from "vitest";
import type { WorkerStatus } from "@/server/core/enums";
import { deriveBridgeStatus, deriveRunStatus } from "@/server/core/status";
import { createRunRecord, type CreateRunInput } from "@/server/panel/machine";
import { BUILTIN_ROLES, type RoleDefinition } from "@/server/panel/roles/roles";
import { recordPaths } from "@/server/panel/runs/create";

const ws = (...s: WorkerStatus[]) => s.map((status) => ({ status }));
const RUN_ID = "panel_run_mabc1234_abcd1234";
/** A createRunRecord input with the paths the bridge's layout derives. */
function recordInput(repoPath: string, roles: readonly RoleDefinition[], extra: Partial<CreateRunInput> & { now: string; prompt: string; mode: CreateRunInput["mode"] }): CreateRunInput {
  return { runId: RUN_ID, repoPath, members: roles.map((role) => ({ role, agent: "codex" })), paths: recordPaths(repoPath, RUN_ID), ...extra };
}

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
    const { run } = createRunRecord(recordInput("/r", BUILTIN_ROLES.slice(0, 2), { prompt: "p", mode: "review", now: new Date().toISOString() }));
    const failed = run.workers.map((w) => ({ ...w, status: "failed" as const, executionState: "preflight_failed" as const }));
    expect(deriveBridgeStatus("failed", failed)).toBe("preflight_failed");
    expect(deriveBridgeStatus("failed", [failed[0]!, { ...failed[1]!, executionState: "launch_failed" }])).toBe("failed");
    expect(deriveBridgeStatus("planned", failed)).toBe("not_requested");
  });
});

describe("createRunRecord", () => {
  it("lays out the seed's run directory and one worker per member", () => {
    const now = "2026-11-25T10:00:00.000Z";
    const { run, events } = createRunRecord(recordInput("/repo", BUILTIN_ROLES.slice(0, 3), { prompt: "Check it", mode: "critique", now }));
    expect(run.status).toBe("planned");
    expect(run.bridgeStatus).toBe("not_requested");
    expect(run.runDirectory).toBe(`/repo/.longtable/panel-runs/${run.id}`);
    expect(run.workers.map((w) => w.id)).toEqual(["worker-1-reviewer", "worker-2-theory_critic", "worker-3-methods_critic"]);
    const w = run.workers[1]!;
    expect(w.worktreePath).toBe(`${run.runDirectory}/worktrees/worker-2-theory_critic`);
    // Runtime files live outside the worktree (the agent cannot write them).
    expect(w.resultPath).toBe(`${run.runDirectory}/workers/worker-2-theory_critic/result.json`);
    expect(w).toMatchObject({ agent: "codex", runtimeLayout: "panel" });
    expect(w.worktreeBranch).toBe(`longtable/panel/${run.id}/worker-2-theory_critic`);
    expect(w).toMatchObject({ status: "pending", executionState: "not_started", cleanupStatus: "not_started" });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: "run_created", createdAt: now });
  });
});
