import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cliStatusProblems } from "../support/cli-contract";
import { CLI_RUN_KINDS, createCliRun, finishCliWorker, type CliRunFixture, type CliVersion } from "../support/cli-runs";
import { gitIn } from "../support/bridge";
import { makeRepo, removeDir } from "../support/repo";

let repo: string | undefined;
afterEach(() => {
  if (repo) removeDir(repo);
  repo = undefined;
});

const json = (path: string) => JSON.parse(readFileSync(path, "utf8"));
const runJson = (f: CliRunFixture) => json(f.runJsonPath);
const events = (f: CliRunFixture) => readFileSync(join(f.runDirectory, "events.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
const git = (...args: string[]) => gitIn(repo!, ...args).trim();
const files = (rev: string) => git("show", "--name-only", "--format=", rev).split("\n").filter(Boolean).sort();

function make(kind: (typeof CLI_RUN_KINDS)[number], version: CliVersion) {
  repo = makeRepo();
  return createCliRun(repo, kind, { version });
}

describe.each(["0.1.57", "0.1.59"] as const)("CLI %s run fixtures", (version) => {
  it.each(CLI_RUN_KINDS)("%s: passes the CLI contract and is laid out as the CLI lays it out", (kind) => {
    const f = make(kind, version);
    expect(cliStatusProblems(repo!, f.runId)).toEqual([]);
    const run = runJson(f);
    expect(run.id).toBe(f.runId);
    expect(run.invocationId).toBe(f.invocationId);
    const state = json(join(repo!, ".longtable", "state.json"));
    expect(state.invocationLog.map((i: { id: string }) => i.id)).toContain(f.invocationId);
    const dirs = readdirSync(f.runDirectory).sort();
    if (version === "0.1.57") {
      expect(dirs).toEqual(expect.arrayContaining(["launchers", "logs", "results", "tasks", "run.json", "schema.json"]));
      expect(dirs).not.toContain("events.jsonl");
      expect(dirs).not.toContain("worktrees");
      expect(run).not.toHaveProperty("bridgeStatus");
      expect(git("branch", "--list", "longtable/*")).toBe("");
      for (const w of run.workers) expect(w.taskPath).toBe(join(f.runDirectory, "tasks", `${w.id}.md`));
    } else {
      expect(dirs).toEqual(expect.arrayContaining(["events.jsonl", "worktrees", "run.json", "schema.json", "panel-worker-output.schema.json"]));
      expect(dirs).not.toContain("tasks"); // named in run.json, never created since 0.1.59
      expect(run.taskDirectory).toBe(join(f.runDirectory, "tasks"));
      expect(events(f)[0]).toMatchObject({ type: "run_created", message: "LongTable native worker bridge run created." });
      for (const w of run.workers) expect(w.resultPath).toBe(join(w.worktreePath, ".longtable-worker", "result.json"));
    }
  });
});

describe("0.1.59 worker commits made the CLI's way", () => {
  it("completed: one `git add -A` commit per worker on its branch, carrying .longtable-worker/ and the leader's edits", () => {
    const f = make("completed", "0.1.59");
    const run = runJson(f);
    expect([run.status, run.bridgeStatus]).toEqual(["completed", "completed"]);
    expect(f.leader.carriedFiles).toEqual([".longtable/state.json", "CURRENT.md", "README.md"]);
    expect(git("status", "--porcelain", "--", "README.md")).toBe("M README.md"); // the leader edit stays uncommitted in the leader
    for (const w of f.workers) {
      const rec = run.workers.find((x: { id: string }) => x.id === w.id);
      expect(rec).toMatchObject({ status: "completed", executionState: "result_ready", cleanupStatus: "retained", worktreeCommit: w.commit });
      expect(rec).not.toHaveProperty("baseCommit");
      expect(git("rev-parse", w.branch!)).toBe(w.commit);
      expect(git("log", "-1", "--format=%an <%ae>|%s", w.commit!)).toBe(`LongTable Panel Worker <longtable-panel-worker@example.invalid>|longtable panel worker ${w.id}`);
      expect(git("rev-parse", `${w.commit}^`)).toBe(f.leader.head);
      expect(git("reflog", "show", "--format=%gs", w.branch!).split("\n").pop()).toBe("branch: Created from HEAD");
      expect(files(w.commit!)).toEqual(w.committedFiles);
      expect(w.committedFiles).toEqual(expect.arrayContaining([".longtable-worker/result.json", ".longtable-worker/launch.sh", ".longtable-worker/state.json", ...f.leader.carriedFiles, ...w.ownFiles]));
      expect(w.committedFiles).not.toContain(".longtable-worker/result.json.commit"); // written after the commit
      expect(git("show", `${w.commit}:README.md`)).toBe(readFileSync(join(repo!, "README.md"), "utf8").trimEnd());
      const own = git("diff", "--name-only", `${w.commit}^`, w.commit!, "--", ".", ":(exclude).longtable-worker").split("\n").filter((p) => !f.leader.carriedFiles.includes(p));
      expect(own).toEqual(w.ownFiles);
      expect(readFileSync(`${rec.resultPath}.commit`, "utf8").trim()).toBe(w.commit);
      expect(json(rec.exitCodePath)).toMatchObject({ exitCode: 0 });
    }
    const aggregate = json(run.aggregateResultPath);
    expect(Object.keys(aggregate).sort()).toEqual(["createdAt", "id", "interactionDepth", "linkedDecisionRecordIds", "linkedQuestionRecordIds", "memberResults", "planId", "provider", "status", "surface", "updatedAt"]);
    expect(aggregate.memberResults.map((m: Record<string, unknown>) => [m.role, "workerId" in m])).toEqual([["reviewer", false], ["methods_critic", false]]);
    const inv = json(join(repo!, ".longtable", "state.json")).invocationLog.find((i: { id: string }) => i.id === f.invocationId);
    expect([inv.status, inv.panelResult.memberResults.length]).toEqual(["completed", 2]);
  });

  it("running: panes only, no results; a launcher finishing writes its files and commit but never run.json", () => {
    const f = make("running", "0.1.59");
    const before = readFileSync(f.runJsonPath, "utf8");
    const run = JSON.parse(before);
    expect([run.status, run.bridgeStatus]).toEqual(["running", "running"]);
    for (const w of run.workers) {
      expect(w).toMatchObject({ status: "running", executionState: "running", runtime: { transport: "tmux", splitCommand: "split-window", paneId: w.paneId } });
      expect(w.runtime).not.toHaveProperty("socket");
      expect(w.worktreeCommit).toBe(f.leader.head); // before a result, worktreeCommit is the fork point
      expect(existsSync(w.resultPath)).toBe(false);
      expect(readFileSync(`${w.resultPath}.stdout`, "utf8")).toBe("");
      expect(readFileSync(w.logPath, "utf8")).toMatch(/^started_at=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/);
      expect(gitIn(w.worktreePath, "status", "--porcelain").trimEnd().split("\n").sort()).toEqual([" M .longtable/state.json", " M CURRENT.md", " M README.md", "?? .longtable-worker/"]);
    }
    expect(events(f).map((e) => e.type)).toEqual(["run_created", "worktree_provisioned", "worker_launched", "worktree_provisioned", "worker_launched"]);
    const { commit } = finishCliWorker(f, "worker-1-reviewer", { summary: "done", files: { "late.md": "late\n" } });
    expect(readFileSync(f.runJsonPath, "utf8")).toBe(before);
    expect(json(run.workers[0].resultPath)).toMatchObject({ role: "reviewer", status: "completed", summary: "done" });
    expect(files(commit!)).toEqual(expect.arrayContaining(["late.md", ".longtable-worker/result.json", "README.md"]));
    expect(cliStatusProblems(repo!, f.runId)).toEqual([]);
  });

  it("failed: the agent exits 3; the launcher still commits (its own folder and the leader's edits) and the run is failed", () => {
    const f = make("failed", "0.1.59");
    const run = runJson(f);
    expect([run.status, run.bridgeStatus, run.bridgeFailureReason]).toEqual(["failed", "failed", "codex exec exited 3"]);
    const bad = run.workers[1];
    expect(bad).toMatchObject({ status: "failed", executionState: "launch_failed", error: "codex exec exited 3", failureReason: "codex exec exited 3" });
    expect(bad).not.toHaveProperty("completedAt");
    expect(json(bad.exitCodePath)).toMatchObject({ exitCode: 3 });
    expect(json(bad.resultPath)).toMatchObject({ status: "error", error: "codex exec exited 3" });
    expect(f.workers[1]!.ownFiles).toEqual([]);
    expect(f.workers[1]!.committedFiles).toContain(".longtable-worker/result.json.stdout"); // the empty stdout of a silent failure
    expect(existsSync(run.aggregateResultPath)).toBe(false);
  });

  it("shutdown: worktrees removed, branches and commits kept, results only in the commits and panel-result.json", () => {
    const f = make("shutdown", "0.1.59");
    const run = runJson(f);
    expect([run.status, run.bridgeStatus]).toEqual(["stopped", "shutdown"]);
    expect(existsSync(run.stopFilePath)).toBe(true);
    expect(events(f).at(-1)).toMatchObject({ type: "shutdown_requested" });
    for (const w of f.workers) {
      expect(existsSync(w.worktreePath!)).toBe(false);
      expect(git("rev-parse", w.branch!)).toBe(w.commit);
      expect(JSON.parse(git("show", `${w.branch}:.longtable-worker/result.json`))).toMatchObject({ role: w.role, status: "completed" });
    }
    expect(run.workers.map((w: Record<string, unknown>) => [w.status, w.executionState, w.cleanupStatus])).toEqual([["completed", "shutdown", "removed"], ["completed", "shutdown", "removed"]]);
    expect(json(run.aggregateResultPath).memberResults).toHaveLength(2);
  });

  it("planned: a record and an empty worktrees folder; no branch, pane or result", () => {
    const f = make("planned", "0.1.59");
    const run = runJson(f);
    expect([run.status, run.bridgeStatus]).toEqual(["planned", "not_requested"]);
    expect(run.workers.map((w: Record<string, unknown>) => [w.status, w.executionState, w.cleanupStatus, "paneId" in w])).toEqual([["pending", "not_started", "not_started", false], ["pending", "not_started", "not_started", false]]);
    expect(readdirSync(join(f.runDirectory, "worktrees"))).toEqual([]);
    expect(git("branch", "--list", "longtable/*")).toBe("");
    expect(events(f).map((e) => e.type)).toEqual(["run_created"]);
  });
});

describe("0.1.57 read-only workers", () => {
  it("completed: results in results/, the task written at creation, panes from new-window; failed runs are 'resumable'", () => {
    const done = make("completed", "0.1.57");
    const run = runJson(done);
    expect(run.status).toBe("completed");
    for (const w of run.workers) {
      expect(json(w.resultPath)).toMatchObject({ role: w.role, status: "completed" });
      expect(readFileSync(w.taskPath, "utf8")).toContain("- Work read-only unless the researcher explicitly asked for drafting.");
      expect(readFileSync(w.launcherPath, "utf8")).toContain(`codex exec -s read-only -C '${repo}'`);
      expect(w).not.toHaveProperty("worktreePath");
    }
    expect(done.tmux.launch).toContain("new-window");
    removeDir(repo!);
    const failed = make("failed", "0.1.57");
    expect(runJson(failed).status).toBe("resumable");
    removeDir(repo!);
    const stopped = make("shutdown", "0.1.57");
    expect(runJson(stopped).status).toBe("stop_requested");
    expect(runJson(stopped).workers.map((w: { status: string }) => w.status)).toEqual(["stopped", "stopped"]);
  });
});
