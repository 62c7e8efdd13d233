import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cliFieldsForPanelRun, cliReadProblems, cliStatusProblems, type CliProblem } from "../support/cli-contract";
import { removeDir, tempDir } from "../support/repo";

const runId = "panel_run_mx2lb855_s2ufms";
const runDir = `/repo/.longtable/panel-runs/${runId}`;
const wt = `${runDir}/worktrees/worker-1-reviewer`;

/** A 0.1.59-shaped record as the CLI writes it for a running worker (paths abbreviated to /repo). */
function cliRun(): Record<string, any> {
  return {
    schemaVersion: 1, id: runId, createdAt: "2026-11-30T01:24:03.962Z", updatedAt: "2026-11-30T01:24:04.641Z",
    invocationId: "invocation_record_mx2l4jxu_7kekm5", planId: "panel_plan_mx2l4jxt_meen8t", provider: "codex",
    prompt: "Review the study design.", mode: "review", visibility: "always_visible",
    requestedSurface: "native_workers", fallbackSurface: "sequential_fallback", status: "running",
    workingDirectory: "/repo", runDirectory: runDir, taskDirectory: `${runDir}/tasks`, resultDirectory: `${runDir}/results`,
    logDirectory: `${runDir}/logs`, launcherDirectory: `${runDir}/launchers`, mailboxDirectory: `${runDir}/mailbox`, worktreeDirectory: `${runDir}/worktrees`, eventLogPath: `${runDir}/events.jsonl`,
    outputSchemaPath: `${runDir}/panel-worker-output.schema.json`, stopFilePath: `${runDir}/stop-requested`, aggregateResultPath: `${runDir}/panel-result.json`,
    bridgeStatus: "running", sequentialFallbackAvailable: true, diagnostics: ["tmux:available", "codex:available"],
    workers: [{
      id: "worker-1-reviewer", role: "reviewer", label: "Reviewer", required: true, status: "running",
      taskPath: `${wt}/.longtable-worker/task.md`, resultPath: `${wt}/.longtable-worker/result.json`, logPath: `${wt}/.longtable-worker/worker.log`,
      launcherPath: `${wt}/.longtable-worker/launch.sh`, exitCodePath: `${wt}/.longtable-worker/result.exit.json`,
      worktreePath: wt, worktreeBranch: `longtable/panel/${runId}/worker-1-reviewer`, mailboxPath: `${wt}/.longtable-worker/mailbox.jsonl`, taskStatePath: `${wt}/.longtable-worker/state.json`,
      cleanupStatus: "retained", executionState: "running", updatedAt: "2026-11-30T01:24:04.045Z", worktreeCommit: "0ac8a368171f8acdfdf84074286fa863447d7fdf",
      paneId: "%825", runtime: { transport: "tmux", paneId: "%825", paneTarget: "%0", splitCommand: "split-window", retainPane: true, launchedAt: "2026-11-30T01:24:04.045Z" },
      startedAt: "2026-11-30T01:24:04.045Z", diagnostics: [],
    }],
  };
}

const paths = (ps: CliProblem[]) => ps.map((p) => `${p.kind} ${p.path}`);

describe("cliReadProblems (the CLI's PanelWorkerRun reader)", () => {
  it("accepts a record in the CLI's own 0.1.59 shape, including a CLI pane on the default tmux server", () => {
    expect(cliReadProblems(cliRun(), { runDirectory: runDir })).toEqual([]);
  });

  it("lists the fields only the CLI uses when a record lacks them (today's panel-made records)", () => {
    const run = cliRun();
    for (const k of ["visibility", "requestedSurface", "fallbackSurface", "taskDirectory", "resultDirectory", "logDirectory", "launcherDirectory"]) delete run[k];
    expect(paths(cliReadProblems(run)).sort()).toEqual([
      "missing fallbackSurface", "missing launcherDirectory", "missing logDirectory", "missing requestedSurface",
      "missing resultDirectory", "missing taskDirectory", "missing visibility",
    ]);
  });

  it("reports what makes the CLI throw", () => {
    expect(paths(cliReadProblems([]))).toEqual(["crash $"]);
    const noWorkers = { ...cliRun(), workers: undefined };
    expect(paths(cliReadProblems(noWorkers))).toContain("crash workers");
    const { runDirectory: _dropped, ...noRunDir } = cliRun();
    expect(paths(cliReadProblems(noRunDir))).toContain("crash runDirectory");
    const done = cliRun();
    done.status = "completed";
    done.workers[0].status = "completed";
    delete done.aggregateResultPath;
    expect(paths(cliReadProblems(done))).toContain("crash aggregateResultPath");
  });

  it("needs taskDirectory only when a worker that keeps its paths lacks taskStatePath (0.1.57 records)", () => {
    const legacy = cliRun();
    delete legacy.taskDirectory;
    delete legacy.workers[0].taskStatePath;
    expect(paths(cliReadProblems(legacy))).toContain("crash workers[0].taskStatePath");
    // An unfinished worker of a failed run is moved to the worktree layout first: no join needed.
    legacy.status = "failed";
    legacy.workers[0].status = "failed";
    expect(paths(cliReadProblems(legacy))).not.toContain("crash workers[0].taskStatePath");
  });

  it("flags values outside the CLI's enums and wrong types", () => {
    const run = cliRun();
    run.status = "merged";
    run.mode = "explain";
    run.workers[0].executionState = "waiting";
    run.workers[0].runtime.windowIndex = 3;
    run.schemaVersion = 2;
    expect(paths(cliReadProblems(run)).sort()).toEqual([
      "invalid mode", "invalid schemaVersion", "invalid status", "invalid workers[0].executionState", "invalid workers[0].runtime",
    ]);
  });

  it("warns when the CLI would write elsewhere or act on a pane of another tmux server", () => {
    expect(paths(cliReadProblems(cliRun(), { runDirectory: "/elsewhere/run" }))).toEqual(["hazard runDirectory"]);
    const panelRun = cliRun();
    panelRun.workers[0].runtime = { transport: "tmux", paneId: "%3", session: "ltp-x", socket: "longtable-panel" };
    const [problem] = cliReadProblems(panelRun);
    expect(problem?.path).toBe("workers[0].paneId");
    expect(problem?.message).toMatch(/marks the worker failed/);
    delete panelRun.workers[0].paneId; // the pane kept only under runtime: the CLI leaves it alone
    expect(cliReadProblems(panelRun)).toEqual([]);
  });
});

describe("cliStatusProblems (what `longtable panel status` needs around the record)", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) removeDir(dir);
    dir = undefined;
  });

  function workspace(withInvocation: boolean) {
    dir = tempDir("ltp-cli-contract-");
    const meta = join(dir, ".longtable");
    const rd = join(meta, "panel-runs", runId);
    mkdirSync(rd, { recursive: true });
    writeFileSync(join(meta, "project.json"), JSON.stringify({ projectName: "x" }));
    writeFileSync(join(meta, "current-session.json"), JSON.stringify({ id: "s" }));
    const run: Record<string, any> = { ...cliRun(), ...cliFieldsForPanelRun(rd), runDirectory: rd, workingDirectory: dir, status: "completed" };
    run.workers = run.workers.map((w: Record<string, unknown>) => ({ ...w, status: "completed", resultPath: join(rd, "missing-result.json"), paneId: undefined }));
    writeFileSync(join(rd, "run.json"), JSON.stringify(run));
    const inv = { id: run.invocationId, status: "planned", surface: "native_workers", intent: { kind: "panel", mode: "review", prompt: "p", roles: ["reviewer"] }, panelResult: { memberResults: [], linkedQuestionRecordIds: [], linkedDecisionRecordIds: [] } };
    writeFileSync(join(meta, "state.json"), JSON.stringify({ invocationLog: withInvocation ? [inv] : [] }));
    return { dir, rd, run };
  }

  it("passes a completed run whose invocation is in the workspace's invocation log", () => {
    const ws = workspace(true);
    expect(cliStatusProblems(ws.dir, runId)).toEqual([]);
    expect(cliStatusProblems(join(ws.dir, "sub", "dir"), runId)).toEqual([]); // the CLI walks up to the workspace
  });

  it("reports the missing invocation the CLI exits 1 on", () => {
    const ws = workspace(false);
    const problems = cliStatusProblems(ws.dir, runId);
    expect(paths(problems)).toEqual(["crash state.json:invocationLog"]);
    expect(problems[0]!.message).toContain(`No panel invocation found for ${ws.run.invocationId}.`);
  });

  it("reports a folder that is not a LongTable workspace, and a run it cannot find", () => {
    dir = tempDir("ltp-cli-contract-");
    expect(cliStatusProblems(dir, runId)[0]!.message).toContain("No LongTable workspace was found");
    removeDir(dir);
    const ws = workspace(true);
    expect(paths(cliStatusProblems(ws.dir, "panel_run_mx2lb855_zzzzzz"))).toEqual(["crash run.json"]);
  });

  it("predicts the CLI failing a worker whose result belongs to another role", () => {
    const ws = workspace(true);
    const result = join(ws.rd, "result.json");
    writeFileSync(result, JSON.stringify({ role: "theory_critic", label: "Theory Critic", status: "completed" }));
    writeFileSync(join(ws.rd, "run.json"), JSON.stringify({ ...ws.run, workers: [{ ...ws.run.workers[0], resultPath: result }] }));
    expect(paths(cliStatusProblems(ws.dir, runId))).toEqual(["invalid workers[0].resultPath"]);
  });
});
