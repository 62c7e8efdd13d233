/**
 * LongTable CLI runs in the panel, and the panel's runs in the CLI (issue 12). Run folders are made
 * the CLI's way by test/support/cli-runs.ts (real git: its worktrees, its `git add -A` commits
 * with `.longtable-worker/` and the carried-in leader edits); the checks on the panel's own runs
 * use test/support/cli-contract.ts, which encodes what the CLI's reader and `panel status` need
 * (checked against the real CLI built from source: docs/cli-interop.md).
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { addRepo } from "@/server/panel/repos";
import { indexRepoRuns } from "@/server/panel/runs/rebuild";
import { Supervisor } from "@/server/supervisor/supervisor";
import { bridgeHarness, gitIn, resultFor, waitForRunStatus, type BridgeHarness } from "../support/bridge";
import { cliStatusProblems } from "../support/cli-contract";
import { createCliRun, ensureCliWorkspace, finishCliWorker } from "../support/cli-runs";
import { callerFor, closePanel, openTestPanel } from "../support/panel";
import { makeRepo, removeDir } from "../support/repo";
import { expectCode } from "../support/review";
import { waitFor } from "../support/wait";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A panel (with its supervisor) on `repo`, started the way the server starts. */
async function panelOn(repo: string) {
  const panel = openTestPanel();
  const supervisor = new Supervisor(panel, { pollMs: 100 });
  panel.supervisor = supervisor;
  cleanups.push(async () => {
    await supervisor.stop();
    await panel.tmux.killServer();
    await closePanel(panel);
    removeDir(panel.config.dataDir);
  });
  await indexRepoRuns(panel, await addRepo(panel, repo));
  await supervisor.start();
  return { panel, api: callerFor(panel), supervisor };
}

function cliRepo() {
  const repo = makeRepo({ "README.md": "# Study\n", "src/analysis.txt": "alpha\n" });
  cleanups.push(() => removeDir(repo));
  ensureCliWorkspace(repo);
  return repo;
}

describe("LongTable CLI runs in the panel", () => {
  it("a completed CLI run: each worker's diff is its own change only, a squash merge to the default target lands only that, synthesis keeps members apart", async () => {
    const repo = cliRepo();
    const fixture = createCliRun(repo, "completed");
    const { api } = await panelOn(repo);
    const run = await api.runs.get({ runId: fixture.runId });
    expect(run.owned).toBe(false);
    expect(run.status).toBe("completed");
    const runJson = readFileSync(fixture.runJsonPath, "utf8");

    for (const fw of fixture.workers) {
      const diff = await api.workers.diff({ runId: run.id, workerId: fw.id });
      // No leader edit (README.md), no .longtable-worker/, none of the CLI's .longtable/ or CURRENT.md.
      expect(diff.files.map((f) => f.path).sort()).toEqual(fw.ownFiles);
      expect(fw.committedFiles.length).toBeGreaterThan(fw.ownFiles.length);
    }

    const [first, second] = fixture.workers;
    const preview = await api.workers.mergePreview({ runId: run.id, workerId: first!.id });
    expect(preview.target).toBe(fixture.leader.branch);
    expect(preview.reasons).toEqual([]);
    expect(preview.canMerge).toBe(true);
    await expectCode(api.workers.merge({ runId: run.id, workerId: first!.id, strategy: "commits" }), "BAD_REQUEST");
    const before = gitIn(repo, "rev-parse", fixture.leader.branch).trim();
    const merged = await api.workers.merge({ runId: run.id, workerId: first!.id, expectedHeadCommit: preview.headCommit, expectedTargetCommit: preview.targetCommit });
    expect(gitIn(repo, "diff", "--name-only", before, merged.commit).trim().split("\n").sort()).toEqual(first!.ownFiles);
    // The leader's own uncommitted edit stays where it was.
    expect(gitIn(repo, "status", "--porcelain", "--", "README.md").trim()).toBe("M README.md");
    // The merge was an explicit action: the record is written, in a shape the CLI reads back.
    expect(readFileSync(fixture.runJsonPath, "utf8")).not.toBe(runJson);
    expect(cliStatusProblems(repo, run.id).filter((p) => p.kind === "crash" || p.kind === "invalid")).toEqual([]);

    const synthesis = await api.runs.synthesis({ runId: run.id });
    expect(synthesis.members.map((m) => m.workerId).sort()).toEqual([first!.id, second!.id].sort());
    expect(synthesis.disagreements.length).toBeGreaterThan(0);
    expect(new Set(synthesis.disagreements.map((d) => `${d.a.workerId}|${d.b.workerId}`)).has(`${first!.id}|${second!.id}`) ||
      new Set(synthesis.disagreements.map((d) => `${d.a.workerId}|${d.b.workerId}`)).has(`${second!.id}|${first!.id}`)).toBe(true);
  });

  it("a CLI run that is still running stays running until its results appear, then completes; its run.json is never rewritten meanwhile", async () => {
    const repo = cliRepo();
    const fixture = createCliRun(repo, "running");
    const runJson = readFileSync(fixture.runJsonPath, "utf8");
    const { api, supervisor } = await panelOn(repo);
    for (let i = 0; i < 3; i++) await supervisor.tick();
    let run = await api.runs.get({ runId: fixture.runId });
    expect(run.status).toBe("running");
    expect(run.workers.map((w) => w.status)).toEqual(["running", "running"]);
    finishCliWorker(fixture, fixture.workers[0]!.id);
    await waitFor(async () => (await api.runs.get({ runId: fixture.runId })).workers[0]!.status === "completed" || undefined, "the first result to be seen");
    expect((await api.runs.get({ runId: fixture.runId })).status).toBe("running");
    finishCliWorker(fixture, fixture.workers[1]!.id);
    run = await waitForRunStatus({ api }, fixture.runId, ["completed"]);
    expect(run.workers.every((w) => w.status === "completed")).toBe(true);
    expect(readFileSync(fixture.runJsonPath, "utf8")).toBe(runJson);
    // The same state after a rebuild of the index from disk (derived from the result files).
    const again = await panelOn(repo);
    expect((await again.api.runs.get({ runId: fixture.runId })).status).toBe("completed");
  });

  it("a CLI run created while the panel is up is listed within 5 s", async () => {
    const repo = cliRepo();
    const { api } = await panelOn(repo);
    const started = Date.now();
    const fixture = createCliRun(repo, "planned");
    await waitFor(async () => (await api.runs.list({})).items.some((r) => r.id === fixture.runId) || undefined, "the new CLI run to be listed", 5000);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("every other shape reads: 0.1.57 (nothing to review), failed, shut down (results from the worker commits), planned", async () => {
    const repo = cliRepo();
    const old = createCliRun(repo, "completed", { version: "0.1.57" });
    const failed = createCliRun(repo, "failed");
    const shut = createCliRun(repo, "shutdown");
    const planned = createCliRun(repo, "planned");
    const { api } = await panelOn(repo);
    expect((await api.runs.list({})).items.map((r) => r.id).sort()).toEqual([old.runId, failed.runId, shut.runId, planned.runId].sort());
    const oldRun = await api.runs.get({ runId: old.runId });
    expect(oldRun.workers.every((w) => w.runtimeLayout === "cli-0.1.57")).toBe(true);
    await expectCode(api.workers.diff({ runId: old.runId, workerId: oldRun.workers[0]!.id }), "PRECONDITION_FAILED");
    expect((await api.runs.result({ runId: old.runId })).memberResults).toHaveLength(2);
    const failedRun = await api.runs.get({ runId: failed.runId });
    expect(failedRun.status).toBe("failed");
    expect(failedRun.workers.map((w) => w.status).sort()).toEqual(["completed", "failed"]);
    const shutResult = await api.runs.result({ runId: shut.runId });
    expect(shutResult.memberResults.map((m) => m.workerId).sort()).toEqual(shut.workers.map((w) => w.id).sort());
    for (const fw of shut.workers) expect((await api.workers.diff({ runId: shut.runId, workerId: fw.id })).files.map((f) => f.path).sort()).toEqual(fw.ownFiles);
    expect((await api.runs.get({ runId: planned.runId })).status).toBe("planned");
  });
});

describe("the panel's runs in the LongTable CLI", () => {
  let h: BridgeHarness | undefined;
  afterEach(async () => {
    await h?.cleanup();
    h = undefined;
  });

  it("a completed panel run in a LongTable workspace has every field the CLI reads and is in its invocation log", async () => {
    h = await bridgeHarness({ reviewer: [{ write: { path: "notes.md", content: "n\n" } }, { result: resultFor("reviewer", "Reviewer") }] });
    ensureCliWorkspace(h.repo);
    const created = await h.api.runs.create({ repoPath: h.repo, prompt: "Review it", roles: ["reviewer"], mode: "review" });
    await h.api.runs.launch({ runId: created.id });
    const run = await waitForRunStatus(h, created.id, ["completed"]);
    expect(run.diagnostics.join("\n")).toMatch(/Registered in the LongTable CLI's invocation log/);
    expect(cliStatusProblems(h.repo, run.id)).toEqual([]);
  });
});
