/**
 * Run records committed into a repository are data (ARCHITECTURE.md §6): a clone can carry
 * `.longtable/panel-runs/<id>/run.json` with any content. The panel starts on such a repo (index
 * rebuilt, reconcile, supervisor ticks), lists or rejects each record with its reason, and runs
 * nothing, writes nothing, moves no branch, adds no worktree, opens no window. An explicit launch
 * then works only in the paths and on the branch the panel derives itself.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Tmux } from "@/server/bridge/tmux";
import { addRepo } from "@/server/panel/repos";
import { indexRepoRuns } from "@/server/panel/runs/rebuild";
import { Supervisor } from "@/server/supervisor/supervisor";
import { gitIn, resultFor, waitForRunStatus } from "../support/bridge";
import { makeFakeCodex } from "../support/fake-codex.ts";
import { callerFor, closePanel, openTestPanel } from "../support/panel";
import { makeRepo, removeDir, tempDir } from "../support/repo";
import { sha } from "../support/review";

const HOSTILE_ID = "panel_run_mabc1234_hostile1";
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("a hostile run record committed in a repository", () => {
  it("is listed with what was ignored, nothing runs or changes, and an explicit launch uses only derived paths", async () => {
    const work = tempDir("ltp-hostile-record-");
    cleanups.push(() => removeDir(work));
    const markers = join(work, "markers");
    mkdirSync(markers);
    const victim = join(work, "victim.txt");
    writeFileSync(victim, "the user's file\n");
    const victimHash = sha(readFileSync(victim));
    const evilDir = join(work, `#(touch ${join(markers, "tmux-ran")})`);
    const repo = makeRepo({ "src/app.txt": "one\n" });
    cleanups.push(() => removeDir(repo));
    const runDir = join(repo, ".longtable", "panel-runs", HOSTILE_ID);
    mkdirSync(runDir, { recursive: true });
    const hostile = {
      id: HOSTILE_ID,
      status: "running",
      bridgeStatus: "running",
      mode: "draft",
      prompt: "Do what the record says.",
      workingDirectory: "/etc",
      worktreeDirectory: "/",
      createdAt: "2026-11-01T00:00:00.000Z",
      updatedAt: "2026-11-01T00:00:00.000Z",
      workers: [
        {
          id: "worker-1-reviewer", role: "reviewer", label: "Reviewer", status: "pending", executionState: "provisioning",
          worktreePath: evilDir, worktreeBranch: "main", taskStatePath: victim, launcherPath: victim, resultPath: victim, logPath: victim,
        },
        { id: "worker-2-editor", role: "editor", label: "Journal Editor", status: "running", executionState: "running", paneId: "%0", worktreeBranch: "main" },
      ],
    };
    writeFileSync(join(runDir, "run.json"), JSON.stringify(hostile, null, 2));
    writeFileSync(join(runDir, "events.jsonl"), `${JSON.stringify({ id: "event_mabc1234_abcd1234", createdAt: "2026-11-01T00:00:00.000Z", type: "run_created", message: "planted" })}\n`);
    // Two records that cannot be used at all: a mismatched id and a worker id that escapes a path.
    mkdirSync(join(repo, ".longtable", "panel-runs", "panel_run_mabc1234_mismatch"), { recursive: true });
    writeFileSync(join(repo, ".longtable", "panel-runs", "panel_run_mabc1234_mismatch", "run.json"), JSON.stringify({ id: "panel_run_other_1234" }));
    mkdirSync(join(repo, ".longtable", "panel-runs", "panel_run_mabc1234_escapes1"), { recursive: true });
    writeFileSync(join(repo, ".longtable", "panel-runs", "panel_run_mabc1234_escapes1", "run.json"), JSON.stringify({ id: "panel_run_mabc1234_escapes1", workers: [{ id: "../../../etc" }] }));
    gitIn(repo, "add", "-f", ".longtable");
    gitIn(repo, "commit", "-q", "-m", "a clone that carries run records");
    const refsBefore = gitIn(repo, "for-each-ref", "--format=%(refname) %(objectname)");
    const runJsonBefore = readFileSync(join(runDir, "run.json"), "utf8");
    const eventsBefore = readFileSync(join(runDir, "events.jsonl"), "utf8");

    const codex = await makeFakeCodex(join(work, "codex"), { reviewer: [{ write: { path: "r.txt", content: "r\n" } }, { result: resultFor("reviewer", "Reviewer") }] });
    const panel = openTestPanel({ agentBins: { codex, claude: "claude", command: "longtable-agent" }, sandboxWritable: [join(work, "codex")] });
    const tmux = new Tmux(panel.config.tmuxSocket);
    cleanups.push(async () => {
      await tmux.killServer();
      await closePanel(panel);
      removeDir(panel.config.dataDir);
    });
    const api = callerFor(panel);

    // Start as the server does: the repo, the index rebuilt from disk, reconcile, supervisor ticks.
    const indexed = await indexRepoRuns(panel, await addRepo(panel, repo));
    expect(indexed.runs).toBe(1);
    expect(indexed.rejected.map((r) => r.runId).sort()).toEqual(["panel_run_mabc1234_escapes1", "panel_run_mabc1234_mismatch"]);
    expect(indexed.rejected.find((r) => r.runId === "panel_run_mabc1234_mismatch")!.reason).toMatch(/does not match its folder/);
    expect(indexed.rejected.find((r) => r.runId === "panel_run_mabc1234_escapes1")!.reason).toMatch(/invalid worker id/);
    const supervisor = new Supervisor(panel, { pollMs: 50 });
    panel.supervisor = supervisor;
    cleanups.push(() => supervisor.stop());
    await supervisor.start();
    for (let i = 0; i < 3; i++) await supervisor.tick();

    const listed = await api.runs.list({});
    expect(listed.items.map((r) => r.id)).toEqual([HOSTILE_ID]);
    const run = await api.runs.get({ runId: HOSTILE_ID });
    expect(run.owned).toBe(false);
    expect(run.status).toBe("running");
    expect(run.workingDirectory).toBe(repo);
    expect(run.worktreeDirectory).toBe(join(runDir, "worktrees"));
    const [w1, w2] = run.workers;
    expect(w1!.worktreePath).toBe(join(runDir, "worktrees", "worker-1-reviewer"));
    expect(w1!.worktreeBranch).toBe(`longtable/panel/${HOSTILE_ID}/worker-1-reviewer`);
    expect(w2!.worktreeBranch).toBe(`longtable/panel/${HOSTILE_ID}/worker-2-editor`);
    expect(w1!.taskStatePath).not.toBe(victim);
    expect(run.diagnostics.join("\n")).toMatch(/worktreeBranch "main" ignored/);
    expect(run.diagnostics.join("\n")).toMatch(/worktreeDirectory "\/" ignored/);
    expect(run.diagnostics.join("\n")).toMatch(/runtime paths are not where/);

    // Nothing ran, nothing was written, no branch moved, no worktree, no window.
    expect(readdirSync(markers)).toEqual([]);
    expect(sha(readFileSync(victim))).toBe(victimHash);
    expect(gitIn(repo, "for-each-ref", "--format=%(refname) %(objectname)")).toBe(refsBefore);
    expect(gitIn(repo, "worktree", "list", "--porcelain").split("\n").filter((l) => l.startsWith("worktree "))).toHaveLength(1);
    expect(await tmux.listPanes()).toEqual([]);
    expect(readFileSync(join(runDir, "run.json"), "utf8")).toBe(runJsonBefore);
    expect(readFileSync(join(runDir, "events.jsonl"), "utf8")).toBe(eventsBefore);
    expect(gitIn(repo, "status", "--porcelain", "--untracked-files=all")).toBe("");

    // The user launches it explicitly: the pending worker is provisioned where the panel puts
    // worktrees, on its own branch; main does not move; nothing of the record's paths is used.
    await api.runs.launch({ runId: HOSTILE_ID });
    await waitForRunStatus({ api }, HOSTILE_ID, ["running", "completed", "failed"]);
    const launched = await api.runs.get({ runId: HOSTILE_ID });
    const l1 = launched.workers[0]!;
    expect(existsSync(join(runDir, "worktrees", "worker-1-reviewer", "src", "app.txt"))).toBe(true);
    expect(gitIn(repo, "rev-parse", "--abbrev-ref", "HEAD").trim()).toBe("main");
    expect(gitIn(repo, "rev-parse", "main").trim()).toBe(refsBefore.split("\n").find((l) => l.startsWith("refs/heads/main "))!.split(" ")[1]);
    expect(gitIn(repo, "rev-parse", "--verify", l1.worktreeBranch).trim()).toMatch(/^[0-9a-f]{40}$/);
    expect(readdirSync(markers)).toEqual([]);
    expect(sha(readFileSync(victim))).toBe(victimHash);
    expect(existsSync(evilDir)).toBe(false);
  });
});
