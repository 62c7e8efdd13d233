/**
 * The merge queue (ARCHITECTURE.md §7 "Merge queue") with real git, tmux and the fake codex:
 * four workers — A and B clean and passing, C conflicting with A, D failing the check — queued
 * in that order onto the checked-out main, which holds an unrelated uncommitted edit. Then C is
 * sent back and merged on top of B; and a target moved outside the panel between the build and
 * the move is used as the new base.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { setCheckDecider } from "@/server/panel/queue/gate";
import { queueSettled } from "@/server/panel/queue/runner";
import { scratchRoot } from "@/server/bridge/scratch";
import { bridgeHarness, resultFor, waitForRunStatus, type BridgeHarness } from "../support/bridge";
import { appWith, expectCode, git, MERGE_FILES } from "../support/review";
import { waitFor } from "../support/wait";

let h: BridgeHarness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

/** The check: needs what setup made, fails when broken.txt is in the tree (what D adds). */
const CHECK = "echo checking; test -e .setup-marker || { echo 'setup did not run'; exit 9; }; if [ -e broken.txt ]; then echo 'FAIL: broken.txt is not allowed'; exit 3; fi; echo 'all good'";
const CONFIG = JSON.stringify({ setup: "echo setup ran > .setup-marker", check: CHECK });

const events = (path: string) => readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { type: string; workerId?: string; message: string });
const subjects = (repo: string, range: string) => git(repo, "log", "--reverse", "--format=%s", range).trim().split("\n").filter(Boolean);

async function fourWorkers() {
  h = await bridgeHarness(
    {
      reviewer: [{ write: { path: "src/app.txt", content: appWith({ 2: "line 2 (A)" }) } }, { write: { path: "a.txt", content: "a\n" } }, { result: resultFor("reviewer", "Reviewer", { summary: "A: change line 2" }) }],
      editor: [{ write: { path: "b.txt", content: "b\n" } }, { result: resultFor("editor", "Journal Editor", { summary: "B: add b" }) }],
      methods_critic: [{ write: { path: "src/app.txt", content: appWith({ 2: "line 2 (C)" }) } }, { result: resultFor("methods_critic", "Methods Critic", { summary: "C: change line 2 too" }) }],
      // D breaks the check, and rewrites the config's check to pass: the target's check is the one that runs.
      theory_critic: [{ write: { path: "broken.txt", content: "x\n" } }, { write: { path: ".longtable-panel.json", content: JSON.stringify({ check: "true" }) } }, { result: resultFor("theory_critic", "Theory Critic", { summary: "D: breaks the check" }) }],
      followup: {
        // C's fix: A's line 2 kept, its own change moved to line 10.
        methods_critic: [{ write: { path: "src/app.txt", content: appWith({ 2: "line 2 (A)", 10: "line 10 (C)" }) } }, { result: resultFor("methods_critic", "Methods Critic", { summary: "C: rebased" }) }],
      },
    } as never,
    { ...MERGE_FILES, ".gitignore": ".setup-marker\n", ".longtable-panel.json": CONFIG },
  );
  const { api, repo } = h;
  const created = await api.runs.create({ repoPath: repo, prompt: "p", roles: ["reviewer", "editor", "methods_critic", "theory_critic"], mode: "draft" });
  await api.runs.launch({ runId: created.id });
  // The config's text is approved by content (as setup needs it); the same approval lets the queue run its check.
  const repoId = (await api.runs.get({ runId: created.id })).repoId;
  const config = await api.repos.config({ repoId });
  expect(config.state).toBe("needs_approval");
  await api.repos.approveConfig({ repoId, sha256: config.sha256! });
  const run = await waitForRunStatus(h, created.id, ["completed", "failed", "blocked"], 60_000);
  expect(run.status).toBe("completed");
  const [A, B, C, D] = run.workers.map((w) => w.id) as [string, string, string, string];
  return { run, api, repo, A, B, C, D };
}

describe("the merge queue", () => {
  it("merges A and B in order, holds C with its conflict and D with its check output, keeps the user's uncommitted edit; C sent back lands on top of B", async () => {
    const { run, api, repo, A, B, C, D } = await fourWorkers();
    writeFileSync(join(repo, "notes.txt"), "an unrelated uncommitted edit\n");
    const before = git(repo, "rev-parse", "main").trim();

    const accepted = await api.queue.accept({ runId: run.id, workerIds: [A, B, C, D] });
    expect(accepted.queue!.items.map((i) => i.workerId)).toEqual([A, B, C, D]);
    await queueSettled(h!.panel, run.id);
    const view = await api.queue.get({ runId: run.id });
    const state = Object.fromEntries(view.queue!.items.map((i) => [i.workerId, i.state]));
    expect(state).toEqual({ [A]: "merged", [B]: "merged", [C]: "conflict", [D]: "check_failed" });

    // The target advanced by exactly A's and B's commits, in order.
    expect(subjects(repo, `${before}..main`)).toEqual(["Reviewer (reviewer): A: change line 2", "Journal Editor (editor): B: add b"]);
    const [a, b] = view.queue!.items as [NonNullable<typeof view.queue>["items"][number], NonNullable<typeof view.queue>["items"][number]];
    expect(a.commits).toHaveLength(1);
    expect(git(repo, "rev-parse", `${a.commits![0]}^`).trim()).toBe(before);
    expect(b.previousCommit).toBe(a.commits![0]);
    expect(git(repo, "rev-parse", "main").trim()).toBe(b.commits![0]);
    expect(b.landed).toEqual([{ commit: b.commits![0], subject: "Journal Editor (editor): B: add b" }]);
    // The checkout moved with its branch; the user's edit is untouched.
    expect(readFileSync(join(repo, "notes.txt"), "utf8")).toBe("an unrelated uncommitted edit\n");
    expect(readFileSync(join(repo, "b.txt"), "utf8")).toBe("b\n");
    expect(git(repo, "--no-optional-locks", "status", "--porcelain").trim()).toBe("M notes.txt");
    expect(existsSync(join(repo, "broken.txt"))).toBe(false);

    // C is held with its conflicting path and an excerpt of both sides; D with the check's last lines.
    const c = view.queue!.items.find((i) => i.workerId === C)!;
    expect(c.conflicts!.map((x) => x.path)).toEqual(["src/app.txt"]);
    expect(c.conflicts![0]!.hunks).toContain("line 2 (A)");
    expect(c.conflicts![0]!.hunks).toContain("line 2 (C)");
    const d = view.queue!.items.find((i) => i.workerId === D)!;
    expect(d.checkTail).toContain("FAIL: broken.txt is not allowed");
    expect(d.checkExitCode).toBe(3);
    expect(d.reason).toMatch(/check exited 3/);
    const log = await api.queue.checkLog({ runId: run.id, workerId: D });
    expect(log.text).toContain("checking");
    expect(log.checking).toBe(false);
    // Every candidate was checked in a scratch worktree, and none is left.
    const passed = await api.queue.checkLog({ runId: run.id, workerId: B });
    expect(passed.text).toContain("$ setup: echo setup ran > .setup-marker");
    expect(passed.text).toContain("all good");
    expect(readdirSync(scratchRoot(h!.panel.config.dataDir)).flatMap((r) => readdirSync(join(scratchRoot(h!.panel.config.dataDir), r)))).toEqual([]);
    expect(git(repo, "worktree", "list", "--porcelain")).not.toContain("scratch");
    // Merges are recorded like single merges.
    expect((await api.runs.merges({ runId: run.id })).map((m) => m.workerId).sort()).toEqual([A, B].sort());
    const types = events(run.eventLogPath).map((e) => e.type);
    expect(types.filter((t) => t === "worker_merged")).toHaveLength(2);
    expect(types).toContain("queue_item_changed");

    // Send C back: a follow-up turn; when it completes, C re-enters and lands on top of B.
    await expectCode(api.queue.sendBack({ runId: run.id, workerId: A }), "CONFLICT");
    const sent = await api.queue.sendBack({ runId: run.id, workerId: C });
    expect(sent.queue!.items.find((i) => i.workerId === C)!.state).toBe("sent_back");
    const mailbox = readFileSync(run.workers[2]!.mailboxPath, "utf8");
    expect(mailbox).toContain("Rebase onto the target and fix");
    expect(mailbox).toContain("src/app.txt");
    const merged = await waitFor(async () => {
      const q = await api.queue.get({ runId: run.id });
      const item = q.queue!.items.find((i) => i.workerId === C)!;
      return item.state === "merged" ? item : undefined;
    }, "C to be merged after its follow-up", 60_000);
    expect((await api.runs.get({ runId: run.id })).workers[2]!.attempt).toBe(2);
    expect(merged.previousCommit).toBe(b.commits![0]);
    expect(git(repo, "rev-parse", "main").trim()).toBe(merged.commits![0]);
    expect(git(repo, "show", "main:src/app.txt")).toBe(appWith({ 2: "line 2 (A)", 10: "line 10 (C)" }));
    expect(readFileSync(join(repo, "notes.txt"), "utf8")).toBe("an unrelated uncommitted edit\n");
    // D stays held until someone acts.
    expect((await api.queue.get({ runId: run.id })).queue!.items.find((i) => i.workerId === D)!.state).toBe("check_failed");
  }, 180_000);

  it("uses a target that moved outside the panel as the new base and keeps the moved commits; stop and resume", async () => {
    h = await bridgeHarness(
      {
        reviewer: [{ write: { path: "a.txt", content: "a\n" } }, { result: resultFor("reviewer", "Reviewer") }],
        editor: [{ write: { path: "b.txt", content: "b\n" } }, { result: resultFor("editor", "Journal Editor") }],
      },
      MERGE_FILES,
    );
    const { api, repo } = h;
    const created = await api.runs.create({ repoPath: repo, prompt: "p", roles: ["reviewer", "editor"], mode: "draft" });
    await api.runs.launch({ runId: created.id });
    const run = await waitForRunStatus(h, created.id, ["completed"], 60_000);
    const [A, B] = run.workers.map((w) => w.id) as [string, string];
    git(repo, "branch", "integration", "main"); // not checked out: moved by compare-and-swap update-ref
    // The check of B's first candidate: someone commits to integration meanwhile.
    let moved = "";
    setCheckDecider(h.panel, async (_p, _r, targetCommit) => {
      if (!moved && git(repo, "rev-parse", "integration").trim() !== git(repo, "rev-parse", "main").trim()) {
        const tree = git(repo, "rev-parse", `${targetCommit}^{tree}`).trim();
        moved = git(repo, "commit-tree", tree, "-p", targetCommit, "-m", "moved by someone else").trim();
        git(repo, "update-ref", "refs/heads/integration", moved);
      }
      return { kind: "none" };
    });
    await api.queue.accept({ runId: run.id, workerIds: [A, B], target: "integration" });
    await queueSettled(h.panel, run.id);
    const view = await api.queue.get({ runId: run.id });
    expect(view.queue!.items.map((i) => i.state)).toEqual(["merged", "merged"]);
    const b = view.queue!.items[1]!;
    expect(moved).not.toBe("");
    expect(b.previousCommit).toBe(moved);
    expect(b.builds).toBe(2);
    expect(git(repo, "rev-parse", `${b.commits![0]}^`).trim()).toBe(moved);
    expect(subjects(repo, "main..integration").slice(-2)).toEqual(["moved by someone else", expect.stringContaining("Journal Editor")]);
    expect(git(repo, "rev-parse", "main").trim()).toBe(run.workers[0]!.baseCommit); // the checkout's branch did not move

    // Stop and resume; a wrong reorder is refused with what to send.
    await api.queue.stop({ runId: run.id });
    expect((await api.queue.get({ runId: run.id })).queue!.state).toBe("stopped");
    const err = await expectCode(api.queue.reorder({ runId: run.id, order: [A] }), "BAD_REQUEST");
    expect(err.message).toMatch(/every item.*missing/);
    await api.queue.reorder({ runId: run.id, order: [B, A] });
    expect((await api.queue.resume({ runId: run.id })).queue!.state).toBe("running");
  }, 120_000);

  it("a merged worker that changes the config's check stops the queue until the new text is approved; then the new check runs; git refusing to write over the user's own file holds the item (refused), retried after", async () => {
    const config = (check: string) => JSON.stringify({ check });
    h = await bridgeHarness(
      {
        reviewer: [{ write: { path: ".longtable-panel.json", content: config("echo new check; exit 0") } }, { result: resultFor("reviewer", "Reviewer") }],
        editor: [{ write: { path: "b.txt", content: "b\n" } }, { result: resultFor("editor", "Journal Editor") }],
      },
      { ...MERGE_FILES, ".longtable-panel.json": config("echo old check") },
    );
    const { api, repo } = h;
    const created = await api.runs.create({ repoPath: repo, prompt: "p", roles: ["reviewer", "editor"], mode: "draft" });
    await api.runs.launch({ runId: created.id });
    const repoId = (await api.runs.get({ runId: created.id })).repoId;
    await api.repos.approveConfig({ repoId, sha256: (await api.repos.config({ repoId })).sha256! });
    const run = await waitForRunStatus(h, created.id, ["completed"], 60_000);
    const [A, B] = run.workers.map((w) => w.id) as [string, string];
    await api.queue.accept({ runId: run.id, workerIds: [A, B] });
    await queueSettled(h.panel, run.id);
    let view = await api.queue.get({ runId: run.id });
    expect(view.queue!.items.map((i) => i.state)).toEqual(["merged", "waiting"]);
    expect((await api.queue.checkLog({ runId: run.id, workerId: A })).text).toContain("old check");
    expect(view.queue!.state).toBe("stopped");
    expect(view.queue!.stopReason).toMatch(/check in \.longtable-panel\.json at main .* is not approved.*approve it/);
    // Approving what main holds now, and resuming: B is checked with the new text.
    await api.repos.approveConfig({ repoId, sha256: (await api.repos.config({ repoId })).sha256! });
    // The user has an untracked b.txt of their own in the checkout: git refuses to move main over
    // it, the item is held with git's reason, and the file stays as it is.
    writeFileSync(join(repo, "b.txt"), "the user's own b\n");
    const mainBefore = git(repo, "rev-parse", "main").trim();
    await api.queue.resume({ runId: run.id });
    await queueSettled(h.panel, run.id);
    view = await api.queue.get({ runId: run.id });
    expect(view.queue!.items[1]).toMatchObject({ state: "refused", reason: expect.stringMatching(/git refused to update main.*b\.txt.*nothing was changed/) });
    expect(readFileSync(join(repo, "b.txt"), "utf8")).toBe("the user's own b\n");
    expect(git(repo, "rev-parse", "main").trim()).toBe(mainBefore);
    expect(readFileSync(run.runDirectory + "/run.json", "utf8")).not.toContain("mergeJournal");
    rmSync(join(repo, "b.txt"));
    await api.queue.retry({ runId: run.id, workerId: B });
    await queueSettled(h.panel, run.id);
    view = await api.queue.get({ runId: run.id });
    expect(view.queue!.items.map((i) => i.state)).toEqual(["merged", "merged"]);
    expect((await api.queue.checkLog({ runId: run.id, workerId: B })).text).toContain("new check");
    expect(git(repo, "show", "main:b.txt")).toBe("b\n");
  }, 120_000);
});
