import { describe, expect, it } from "vitest";
import { normalizeRunRecord as normalize } from "@/server/bridge/run-record";

const normalizeRunRecord = (raw: unknown, repo: string, id: string) => normalize(raw, repo, id).run;

const runId = "panel_run_mabc1234_abcd1234";
const runDir = `/repo/.longtable/panel-runs/${runId}`;

describe("normalizeRunRecord", () => {
  it("reads a 0.1.57 record (tasks/ results/ logs/ launchers/) and fills the 0.1.59 fields", () => {
    const legacy = {
      id: runId,
      createdAt: "2026-01-01T00:00:00.000Z",
      status: "resumable",
      prompt: "old prompt",
      runDirectory: runDir,
      workers: [
        { id: "worker-1-reviewer", role: "reviewer", label: "Reviewer", required: true, status: "completed", taskPath: `${runDir}/tasks/worker-1-reviewer.md`, resultPath: `${runDir}/results/worker-1-reviewer.json` },
        { id: "worker-2-editor", role: "editor", label: "Journal Editor", status: "failed" },
      ],
    };
    const run = normalizeRunRecord(legacy, "/repo", runId);
    expect(run.status).toBe("resumable");
    expect(run.bridgeStatus).toBe("not_requested");
    expect(run.eventLogPath).toBe(`${runDir}/events.jsonl`);
    expect(run.mode).toBe("review");
    const [done, failed] = run.workers;
    expect(done!.resultPath).toBe(`${runDir}/results/worker-1-reviewer.json`);
    expect(done!.executionState).toBe("not_started");
    expect(done!.worktreeBranch).toBe(`longtable/panel/${runId}/worker-1-reviewer`);
    expect(done!.runtimeLayout).toBe("cli-0.1.57");
    // A worker that names no runtime paths is in the panel's own layout (outside any worktree).
    expect(failed!.resultPath).toBe(`${runDir}/workers/worker-2-editor/result.json`);
    expect(failed!.runtimeLayout).toBe("panel");
    expect(failed!.diagnostics).toEqual([]);
  });

  it("rejects records whose ids could escape a path", () => {
    expect(() => normalizeRunRecord({ id: "panel_run_../../x" }, "/repo", "panel_run_../../x")).toThrow();
    expect(() => normalizeRunRecord({ id: runId, workers: [{ id: "../../etc" }] }, "/repo", runId)).toThrow(/invalid worker id/);
    expect(() => normalizeRunRecord({ id: "panel_run_other_1234" }, "/repo", runId)).toThrow(/does not match/);
  });
});
