import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { moveBranch } from "@/server/bridge/merge";
import { requestFollowUp } from "@/server/panel/lifecycle/followup";
import { bridgeHarness, resultFor, waitForRunStatus, type BridgeHarness } from "../support/bridge";
import { callerFor } from "../support/panel";
import { makeRepo, removeDir, tempDir } from "../support/repo";
import { appWith, expectCode, git, MERGE_FILES, repoFingerprint } from "../support/review";
import { waitFor } from "../support/wait";

let h: BridgeHarness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});


async function completedRun(roles: string[], prepare?: (repo: string) => void) {
  const { api, repo } = h!;
  prepare?.(repo);
  const created = await api.runs.create({ repoPath: repo, prompt: "p", roles, mode: "draft" });
  await api.runs.launch({ runId: created.id });
  const run = await waitForRunStatus(h!, created.id, ["completed", "failed", "blocked"]);
  expect(run.status, JSON.stringify(run.workers.map((w) => [w.id, w.status, w.failureReason]))).toBe("completed");
  return run;
}

/** A completed run of two workers that each add one file (reviewer: r.txt, editor: e.txt). */
async function reviewerAndEditor() {
  h = await bridgeHarness(
    {
      reviewer: [{ write: { path: "r.txt", content: "r\n" } }, { result: resultFor("reviewer", "Reviewer") }],
      editor: [{ write: { path: "e.txt", content: "e\n" } }, { result: resultFor("editor", "Journal Editor") }],
    },
    MERGE_FILES,
  );
  const run = await completedRun(["reviewer", "editor"]);
  const [rev, ed] = run.workers as [typeof run.workers[0], typeof run.workers[0]];
  return { run, api: h.api, repo: h.repo, rev, ed, panel: h.panel };
}

const events = (path: string) => readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { type: string; workerId?: string; message: string });

describe("merge preview and merge with real git", () => {
  it("previews a conflicting worker with its conflicts, and a refused merge changes nothing", async () => {
    h = await bridgeHarness({ reviewer: [{ write: { path: "src/app.txt", content: appWith({ 2: "line 2 (worker)" }) } }, { result: resultFor("reviewer", "Reviewer") }] }, MERGE_FILES);
    const run = await completedRun(["reviewer"]);
    const { api, repo } = h;
    // The leader commits a competing change to the same line after the worker started.
    writeFileSync(join(repo, "src/app.txt"), appWith({ 2: "line 2 (leader)" }));
    git(repo, "commit", "-qam", "leader change");
    writeFileSync(join(repo, "notes.txt"), "local edit\n"); // and has unrelated local changes
    const ref = { runId: run.id, workerId: run.workers[0]!.id };
    const before = repoFingerprint(repo);

    const preview = await api.workers.mergePreview(ref);
    expect(preview.clean).toBe(false);
    expect(preview.target).toBe("main");
    expect(preview.targetCommit).toBe(git(repo, "rev-parse", "main").trim());
    expect(preview.mergeBase).toBe(run.workers[0]!.baseCommit);
    expect(preview.resultTree).toBeUndefined();
    expect(preview.conflicts.map((c) => c.path)).toEqual(["src/app.txt"]);
    expect(preview.conflicts[0]!.types).toContain("CONFLICT (contents)");
    expect(preview.conflicts[0]!.hunks).toContain("<<<<<<< main");
    expect(preview.conflicts[0]!.hunks).toContain("line 2 (leader)");
    expect(preview.conflicts[0]!.hunks).toContain("line 2 (worker)");
    expect(preview.conflicts[0]!.hunks).toContain(`>>>>>>> ${run.workers[0]!.worktreeBranch}`);
    expect(preview.canMerge).toBe(false);
    expect(repoFingerprint(repo)).toEqual(before);

    const err = await expectCode(api.workers.merge(ref), "CONFLICT");
    expect(err.message).toContain("src/app.txt");
    expect(repoFingerprint(repo)).toEqual(before);
    expect(h.panel.dbh.sqlite.prepare("select count(*) n from merges").get()).toEqual({ n: 0 });
    expect(events(run.eventLogPath).some((e) => e.type === "worker_merged")).toBe(false);
  });

  it("squash-merges into the checked-out target keeping unrelated local changes, without the leader snapshot", async () => {
    h = await bridgeHarness(
      { reviewer: [{ write: { path: "review.md", content: "# Review\n" } }, { write: { path: "README.md", content: "# demo\nby the worker\n" } }, { result: resultFor("reviewer", "Reviewer", { summary: "Tightened the argument.\nDetails follow." }) }] },
      MERGE_FILES,
    );
    // The leader is dirty at provisioning: line 5 becomes the leader snapshot, not the worker's work.
    const run = await completedRun(["reviewer"], (repo) => writeFileSync(join(repo, "src/app.txt"), appWith({ 5: "line 5 (leader)" })));
    const { api, repo, panel } = h;
    const w = run.workers[0]!;
    writeFileSync(join(repo, "notes.txt"), "unrelated local edit\n");
    const before = git(repo, "rev-parse", "main").trim();

    const preview = await api.workers.mergePreview({ runId: run.id, workerId: w.id });
    expect(preview).toMatchObject({ clean: true, canMerge: true, upToDate: false, commits: 1, checkout: { path: repo, blockingFiles: [] } });
    expect(preview.files.map((f) => f.path).sort()).toEqual(["README.md", "review.md"]);
    expect(preview.message.split("\n")[0]).toBe("Reviewer (reviewer): Tightened the argument.");
    expect(preview.message).toContain(`LongTable-Worker: ${w.id}`);

    const merged = await api.workers.merge({ runId: run.id, workerId: w.id, expectedTargetCommit: preview.targetCommit });
    expect(merged).toMatchObject({ target: "main", previousCommit: before, strategy: "squash", movedBy: "merge-ff", checkout: repo });
    expect(git(repo, "rev-parse", "main").trim()).toBe(merged.commit);
    expect(git(repo, "rev-parse", `${merged.commit}^`).trim()).toBe(before);
    expect(git(repo, "rev-list", "--count", `${before}..${merged.commit}`).trim()).toBe("1");
    expect(git(repo, "log", "-1", "--format=%B", merged.commit)).toBe(`${preview.message}\n`);
    // The merge commit has the worker's change, not the leader's uncommitted line 5 (the snapshot) …
    expect(git(repo, "show", "--name-only", "--format=", merged.commit).trim().split("\n").sort()).toEqual(["README.md", "review.md"]);
    expect(git(repo, "show", `${merged.commit}:src/app.txt`)).toBe(appWith({}));
    // … and the leader's working tree keeps both its local edits, plus the merged changes.
    expect(readFileSync(join(repo, "notes.txt"), "utf8")).toBe("unrelated local edit\n");
    expect(readFileSync(join(repo, "src/app.txt"), "utf8")).toBe(appWith({ 5: "line 5 (leader)" }));
    expect(readFileSync(join(repo, "review.md"), "utf8")).toBe("# Review\n");
    expect(readFileSync(join(repo, "README.md"), "utf8")).toBe("# demo\nby the worker\n");
    expect(git(repo, "--no-optional-locks", "status", "--porcelain").split("\n").filter(Boolean).sort()).toEqual([" M notes.txt", " M src/app.txt"]);

    const after = await api.runs.get({ runId: run.id });
    expect(after.workers[0]!.merged).toMatchObject({ commit: merged.commit, target: "main", strategy: "squash", previousCommit: before, workerHead: w.worktreeCommit });
    expect(events(run.eventLogPath).filter((e) => e.type === "worker_merged").map((e) => e.workerId)).toEqual([w.id]);
    expect(panel.dbh.sqlite.prepare("select type from events where run_id = ? order by seq desc limit 1").get(run.id)).toEqual({ type: "worker_merged" });
    expect(await api.workers.merges({ runId: run.id, workerId: w.id })).toMatchObject([{ id: merged.mergeId, commit: merged.commit, previousCommit: before, target: "main", strategy: "squash" }]);
    // Merging again: nothing to merge; a merge call is a no-op that says so (no second commit).
    const again = await api.workers.mergePreview({ runId: run.id, workerId: w.id });
    expect(again).toMatchObject({ clean: true, upToDate: true, canMerge: false });
    const twice = await api.workers.merge({ runId: run.id, workerId: w.id });
    expect(twice).toMatchObject({ alreadyMerged: true, commit: merged.commit, mergeId: merged.mergeId });
    expect(twice.message).toContain("already on main");
    expect(git(repo, "rev-parse", "main").trim()).toBe(merged.commit);
    expect(await api.workers.merges({ runId: run.id, workerId: w.id })).toHaveLength(1);
    // A viewer may preview but not merge.
    const viewer = callerFor(h.panel, "viewer");
    await viewer.workers.mergePreview({ runId: run.id, workerId: w.id });
    await expectCode(viewer.workers.merge({ runId: run.id, workerId: w.id }), "FORBIDDEN");
  });

  it("refuses a merge that would overwrite local changes in the checkout, changing nothing", async () => {
    h = await bridgeHarness({ reviewer: [{ write: { path: "README.md", content: "# demo\nworker\n" } }, { write: { path: "new.md", content: "new\n" } }, { result: resultFor("reviewer", "Reviewer") }] }, MERGE_FILES);
    const run = await completedRun(["reviewer"]);
    const { api, repo } = h;
    writeFileSync(join(repo, "README.md"), "# demo\nlocal, uncommitted\n");
    const ref = { runId: run.id, workerId: run.workers[0]!.id };
    const preview = await api.workers.mergePreview(ref);
    expect(preview.clean).toBe(true);
    expect(preview.checkout).toMatchObject({ path: repo, blockingFiles: ["README.md"] });
    expect(preview.canMerge).toBe(false);
    const before = repoFingerprint(repo);
    const err = await expectCode(api.workers.merge(ref), "PRECONDITION_FAILED");
    expect(err.message).toMatch(/README\.md/);
    expect(err.message).toMatch(/nothing was changed/);
    expect(repoFingerprint(repo)).toEqual(before);
    expect(readFileSync(join(repo, "README.md"), "utf8")).toBe("# demo\nlocal, uncommitted\n");
    expect((await api.runs.get({ runId: run.id })).workers[0]!.merged).toBeUndefined();
    expect(h.panel.dbh.sqlite.prepare("select count(*) n from merges").get()).toEqual({ n: 0 });
  });

  it("detects a target moved by another process, loses nothing, and replays worker commits without the leader snapshot", async () => {
    h = await bridgeHarness(
      {
        reviewer: [{ write: { path: "a.txt", content: "a\n" } }, { result: resultFor("reviewer", "Reviewer") }],
        followup: { reviewer: [{ write: { path: "b.txt", content: "b\n" } }, { result: resultFor("reviewer", "Reviewer") }] },
      } as never,
      MERGE_FILES,
    );
    const { api, repo, panel } = h;
    writeFileSync(join(repo, "notes.txt"), "leader dirty\n"); // → a leader snapshot commit in the worker branch
    const first = await completedRun(["reviewer"]);
    await requestFollowUp(panel, { runId: first.id, workerId: first.workers[0]!.id, message: "add b" });
    const run = await waitFor(async () => {
      const r = await api.runs.get({ runId: first.id });
      return r.status !== "running" && r.workers[0]!.attempt === 2 ? r : undefined;
    }, "the follow-up to finish");
    expect(run.status).toBe("completed");
    const w = run.workers[0]!;
    git(repo, "branch", "integration", "main"); // a target that is not checked out anywhere
    const ref = { runId: run.id, workerId: w.id, target: "integration" };

    const preview = await api.workers.mergePreview(ref);
    expect(preview).toMatchObject({ clean: true, checkout: null, commits: 2, target: "integration" });
    // Another process moves the target after the preview.
    const tree = git(repo, "rev-parse", "main^{tree}").trim();
    const moved = git(repo, "commit-tree", tree, "-p", preview.targetCommit, "-m", "moved by someone else").trim();
    git(repo, "update-ref", "refs/heads/integration", moved);
    const err = await expectCode(api.workers.merge({ ...ref, expectedTargetCommit: preview.targetCommit }), "CONFLICT");
    expect(err.message).toMatch(/moved since the preview/);
    expect(git(repo, "rev-parse", "integration").trim()).toBe(moved);
    // The ref update itself is compare-and-swap: a stale old value fails and leaves the ref alone.
    const stale = await moveBranch(repo, "integration", w.worktreeCommit!, preview.targetCommit, "test");
    expect(stale).toMatchObject({ ok: false, reason: "moved" });
    expect(git(repo, "rev-parse", "integration").trim()).toBe(moved);

    const before = repoFingerprint(repo);
    const merged = await api.workers.merge({ ...ref, strategy: "commits" });
    expect(merged).toMatchObject({ target: "integration", previousCommit: moved, strategy: "commits", movedBy: "update-ref", checkout: null });
    expect(merged.commits).toHaveLength(2);
    expect(git(repo, "rev-parse", "integration").trim()).toBe(merged.commit);
    const log = git(repo, "log", "--format=%an|%s", `${moved}..integration`).trim().split("\n");
    expect(log).toEqual([
      "LongTable Panel Worker|longtable panel worker worker-1-reviewer (attempt 2, follow-up)",
      "LongTable Panel Worker|longtable panel worker worker-1-reviewer",
    ]);
    expect(git(repo, "log", "--format=%s", "integration")).not.toContain("leader snapshot");
    expect(git(repo, "show", "--name-only", "--format=", merged.commits[0]!).trim()).toBe("a.txt");
    expect(git(repo, "show", "--name-only", "--format=", merged.commits[1]!).trim()).toBe("b.txt");
    expect(git(repo, "show", "integration:notes.txt")).toBe("notes\n"); // the leader's dirty edit stays the leader's
    // Nothing else moved: main, the leader checkout and the worker worktree are as they were.
    const after = repoFingerprint(repo);
    expect(after.worktrees).toEqual(before.worktrees);
    expect(after.refs.split("\n").filter((l) => !l.startsWith("refs/heads/integration "))).toEqual(before.refs.split("\n").filter((l) => !l.startsWith("refs/heads/integration ")));
    await expectCode(api.workers.merge({ ...ref, strategy: "commits", message: "x" }), "BAD_REQUEST");
    await expectCode(api.workers.mergePreview({ ...ref, target: "no-such-branch" }), "NOT_FOUND");
    await expectCode(api.workers.mergePreview({ ...ref, target: "--upload-pack=evil" }), "BAD_REQUEST");
    await expectCode(api.workers.mergePreview({ ...ref, target: "bad..name" }), "BAD_REQUEST");
    await expectCode(api.workers.mergePreview({ ...ref, target: w.worktreeBranch }), "BAD_REQUEST");
  });
});

describe("moving a branch checked out in a linked worktree", () => {
  it("fast-forwards in that worktree, keeping its unrelated local changes; refuses over overlapping ones", async () => {
    const repo = makeRepo();
    const other = join(tempDir("ltp-other-"), "wt");
    try {
      git(repo, "worktree", "add", "-q", "-b", "feature", other);
      const old = git(repo, "rev-parse", "feature").trim();
      // A descendant commit made without moving any branch (through the leader's index, then undone).
      writeFileSync(join(repo, "README.md"), "# demo\nnext\n");
      git(repo, "add", "README.md");
      const tree = git(repo, "write-tree").trim();
      git(repo, "reset", "-q");
      git(repo, "checkout", "-q", "--", "README.md");
      const next = git(repo, "commit-tree", tree, "-p", old, "-m", "next").trim();
      writeFileSync(join(other, "src/app.txt"), "local edit\n");
      const moved = await moveBranch(repo, "feature", next, old, "test");
      expect(moved).toEqual({ ok: true, movedBy: "merge-ff", checkout: other });
      expect(git(other, "rev-parse", "HEAD").trim()).toBe(next);
      expect(readFileSync(join(other, "README.md"), "utf8")).toBe("# demo\nnext\n");
      expect(readFileSync(join(other, "src/app.txt"), "utf8")).toBe("local edit\n");
      expect(git(repo, "rev-parse", "main").trim()).toBe(old);

      const tree2 = git(repo, "mktree", "--missing").trim(); // an empty tree: deletes every file
      const next2 = git(repo, "commit-tree", tree2, "-p", next, "-m", "empty").trim();
      const before = repoFingerprint(repo);
      const refused = await moveBranch(repo, "feature", next2, next, "test");
      expect(refused).toMatchObject({ ok: false, reason: "refused", checkout: other });
      expect((refused as { message: string }).message).toMatch(/src\/app\.txt/);
      expect(repoFingerprint(repo)).toEqual(before);
    } finally {
      removeDir(repo);
      removeDir(dirname(other));
    }
  });
});

describe("discard and cleanup", () => {
  it("discard says what would be lost, removes only with confirm, never touches other workers", async () => {
    const { run, api, repo, rev, ed, panel } = await reviewerAndEditor();
    writeFileSync(join(rev.worktreePath, "scratch.txt"), "uncommitted\n");
    const edBefore = { head: git(ed.worktreePath, "rev-parse", "HEAD"), files: existsSync(join(ed.worktreePath, "e.txt")) };

    const preview = await api.workers.discardPreview({ runId: run.id, workerId: rev.id, deleteBranch: true });
    expect(preview).toMatchObject({ worktreeExists: true, branchExists: true, commits: 1, uncommittedFiles: 1, uncommittedPaths: ["scratch.txt"], wouldLose: { commits: 1, uncommittedFiles: 1 }, canDiscard: true });
    expect(preview.commitList.map((c) => c.commit)).toEqual([rev.worktreeCommit]);
    const dry = await api.workers.discard({ runId: run.id, workerId: rev.id, deleteBranch: true });
    expect(dry.discarded).toBe(false);
    expect(dry.preview.wouldLose).toEqual({ commits: 1, uncommittedFiles: 1, ignoredFiles: 0 });
    expect(existsSync(join(rev.worktreePath, "scratch.txt"))).toBe(true);

    const keepBranch = await api.workers.discard({ runId: run.id, workerId: rev.id, confirm: true });
    expect(keepBranch).toMatchObject({ discarded: true, branchDeleted: false, worker: { cleanupStatus: "removed", discarded: { branchDeleted: false, uncommittedFiles: 1, commits: 0 } } });
    expect(existsSync(rev.worktreePath)).toBe(false);
    expect(git(repo, "rev-parse", rev.worktreeBranch).trim()).toBe(rev.worktreeCommit);
    expect(git(repo, "worktree", "list", "--porcelain")).not.toContain(rev.worktreePath);
    // The diff still works from the kept branch.
    expect((await api.workers.diff({ runId: run.id, workerId: rev.id })).headSource).toBe("branch");
    // A branch checked out elsewhere is not deleted, and nothing changes.
    const elsewhere = join(tempDir("ltp-elsewhere-"), "wt");
    git(repo, "worktree", "add", "-q", elsewhere, rev.worktreeBranch);
    const refused = await expectCode(api.workers.discard({ runId: run.id, workerId: rev.id, deleteBranch: true, confirm: true }), "PRECONDITION_FAILED");
    expect(refused.message).toContain(elsewhere);
    expect(git(repo, "rev-parse", rev.worktreeBranch).trim()).toBe(rev.worktreeCommit);
    git(repo, "worktree", "remove", elsewhere);
    removeDir(dirname(elsewhere));
    // Now delete the branch too.
    const gone = await api.workers.discard({ runId: run.id, workerId: rev.id, deleteBranch: true, confirm: true });
    expect(gone.branchDeleted).toBe(true);
    expect(git(repo, "branch", "--list", rev.worktreeBranch)).toBe("");
    // The other worker is untouched.
    expect(git(ed.worktreePath, "rev-parse", "HEAD")).toBe(edBefore.head);
    expect(existsSync(join(ed.worktreePath, "e.txt"))).toBe(edBefore.files);
    const after = await api.runs.get({ runId: run.id });
    expect(after.workers[1]!.cleanupStatus).toBe("retained");
    expect(events(run.eventLogPath).filter((e) => e.type === "worker_discarded").map((e) => e.workerId)).toEqual([rev.id, rev.id]);
    await expectCode(callerFor(panel, "viewer").workers.discard({ runId: run.id, workerId: ed.id, confirm: true }), "FORBIDDEN");
  });

  it("cleanup after a merge removes a clean worktree, keeps a dirty one, and deletes the branch only when merged", async () => {
    const { run, api, repo, rev, ed, panel } = await reviewerAndEditor();
    // Not merged: the branch is not deleted.
    await expectCode(api.workers.cleanup({ runId: run.id, workerId: ed.id, deleteBranch: true }), "PRECONDITION_FAILED");
    expect(existsSync(ed.worktreePath)).toBe(true);

    await api.workers.merge({ runId: run.id, workerId: rev.id });
    writeFileSync(join(rev.worktreePath, "later.txt"), "uncommitted\n");
    const kept = await expectCode(api.workers.cleanup({ runId: run.id, workerId: rev.id }), "PRECONDITION_FAILED");
    expect(kept.message).toMatch(/uncommitted/);
    expect(existsSync(join(rev.worktreePath, "later.txt"))).toBe(true);

    git(rev.worktreePath, "clean", "-fq", "--", "later.txt");
    const cleaned = await api.workers.cleanup({ runId: run.id, workerId: rev.id, deleteBranch: true });
    expect(cleaned).toMatchObject({ removed: true, branchDeleted: true, worker: { cleanupStatus: "removed" } });
    expect(existsSync(rev.worktreePath)).toBe(false);
    expect(git(repo, "branch", "--list", rev.worktreeBranch)).toBe("");
    expect(git(repo, "show", "main:r.txt")).toBe("r\n"); // the merged work is safe on main

    // Cleanup without deleteBranch keeps the branch.
    await api.workers.merge({ runId: run.id, workerId: ed.id });
    const edClean = await api.workers.cleanup({ runId: run.id, workerId: ed.id });
    expect(edClean.branchDeleted).toBe(false);
    expect(git(repo, "rev-parse", ed.worktreeBranch).trim()).toBe(ed.worktreeCommit);
    expect(events(run.eventLogPath).filter((e) => e.type === "worker_cleaned_up").map((e) => e.workerId)).toEqual([rev.id, ed.id]);
  });
});

describe("runs.overlap", () => {
  it("finds shared files and overlapping hunks, and which pairs merge cleanly", async () => {
    h = await bridgeHarness(
      {
        reviewer: [{ write: { path: "src/app.txt", content: appWith({ 2: "line 2 (A)" }) } }, { result: resultFor("reviewer", "Reviewer") }],
        editor: [{ write: { path: "src/app.txt", content: appWith({ 2: "line 2 (B)" }) } }, { result: resultFor("editor", "Journal Editor") }],
        methods_critic: [{ write: { path: "src/app.txt", content: appWith({ 18: "line 18 (C)" }) } }, { result: resultFor("methods_critic", "Methods Critic") }],
        theory_critic: [{ write: { path: "theory.md", content: "t\n" } }, { result: resultFor("theory_critic", "Theory Critic") }],
        voice_keeper: [{ result: resultFor("voice_keeper", "Voice Keeper") }],
      },
      MERGE_FILES,
    );
    const run = await completedRun(["reviewer", "editor", "methods_critic", "theory_critic", "voice_keeper"], (repo) => writeFileSync(join(repo, "notes.txt"), "dirty leader\n"));
    const { api } = h;
    const overlap = await api.runs.overlap({ runId: run.id });
    const [A, B, C, D, E] = run.workers.map((w) => w.id) as [string, string, string, string, string];
    expect(overlap.workers.map((w) => w.workerId)).toEqual([A, B, C, D]);
    expect(overlap.skipped).toEqual([{ workerId: E, reason: "no committed changes" }]);
    expect(overlap.files).toEqual([{ path: "src/app.txt", workers: [A, B, C] }]);
    const pair = (a: string, b: string) => overlap.pairs.find((p) => p.a === a && p.b === b)!;
    expect(overlap.pairs).toHaveLength(6);
    expect(pair(A, B)).toMatchObject({ clean: false, conflicts: ["src/app.txt"], overlappingHunks: 1 });
    expect(pair(A, B).sharedFiles).toEqual([{ path: "src/app.txt", overlaps: [{ a: { start: 2, lines: 1 }, b: { start: 2, lines: 1 } }] }]);
    expect(pair(A, C)).toMatchObject({ clean: true, conflicts: [], overlappingHunks: 0, sharedFiles: [{ path: "src/app.txt", overlaps: [] }] });
    expect(pair(B, C)).toMatchObject({ clean: true, overlappingHunks: 0 });
    expect(pair(A, D)).toMatchObject({ clean: true, sharedFiles: [], overlappingHunks: 0 });
    expect(overlap.workers.find((w) => w.workerId === A)!.conflictsWith).toEqual([B]);
    expect(overlap.workers.find((w) => w.workerId === C)!.conflictsWith).toEqual([]);
    expect(overlap.suggestedOrder.slice(0, 2).sort()).toEqual([C, D].sort());
    expect(overlap.suggestedOrder.slice(2).sort()).toEqual([A, B].sort());

    // After merging A, B's conflict shows up in its own preview; merged workers leave the suggested order.
    await api.workers.merge({ runId: run.id, workerId: A });
    expect((await api.workers.mergePreview({ runId: run.id, workerId: B })).clean).toBe(false);
    expect((await api.workers.mergePreview({ runId: run.id, workerId: C })).clean).toBe(true);
    const later = await api.runs.overlap({ runId: run.id });
    expect(later.suggestedOrder).not.toContain(A);
    expect(later.workers.find((w) => w.workerId === A)!.merged).toBe(true);
  });
});

describe("merge preview without detail (the fast path)", () => {
  it("agrees with the full preview and sees a target that moved since the last query", async () => {
    h = await bridgeHarness({ reviewer: [{ write: { path: "review.md", content: "r\n" } }, { result: resultFor("reviewer", "Reviewer") }] }, MERGE_FILES);
    const run = await completedRun(["reviewer"]);
    const { api, repo } = h;
    const ref = { runId: run.id, workerId: run.workers[0]!.id };
    const before = repoFingerprint(repo);
    const full = await api.workers.mergePreview(ref);
    const lean = await api.workers.mergePreview({ ...ref, detail: false });
    expect(lean).toMatchObject({ clean: true, target: "main", targetCommit: full.targetCommit, headCommit: full.headCommit, resultTree: full.resultTree });
    expect(repoFingerprint(repo)).toEqual(before);
    // the target moves (a loose ref rewritten, then packed): the long-lived resolver must see it
    writeFileSync(join(repo, "other.txt"), "o\n");
    git(repo, "add", "other.txt");
    git(repo, "commit", "-qm", "leader moves on");
    const moved = git(repo, "rev-parse", "main").trim();
    expect((await api.workers.mergePreview({ ...ref, detail: false })).targetCommit).toBe(moved);
    git(repo, "pack-refs", "--all");
    writeFileSync(join(repo, "other.txt"), "o2\n");
    git(repo, "commit", "-qam", "and again");
    const again = git(repo, "rev-parse", "main").trim();
    const p = await api.workers.mergePreview({ ...ref, detail: false });
    expect(p.targetCommit).toBe(again);
    expect(p.clean).toBe(true);
    await expect(api.workers.mergePreview({ ...ref, detail: false, target: "no-such-branch" })).rejects.toThrow(/no local branch/);
  });
});
