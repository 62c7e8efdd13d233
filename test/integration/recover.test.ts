/**
 * Rolling back an interrupted checkout, file by file (ARCHITECTURE.md §7 "Crash safety"): the
 * crash test kills a real server mid-merge, but git's timing decides which states it sees. Here
 * each state git can leave is made by hand — on a real repo, with a real journal written through
 * the door — and recovery must undo exactly what the checkout wrote and nothing of the user's.
 */
import { existsSync, readFileSync, unlinkSync, utimesSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { commitTree } from "@/server/bridge/merge";
import type { MergeIntent } from "@/server/core/records";
import { changeRun } from "@/server/panel/door";
import { mergeStarted } from "@/server/panel/machine-review";
import { newDirsFor, recoverMerges } from "@/server/panel/review/recover";
import { bridgeHarness, gitIn, resultFor, waitForRunStatus, type BridgeHarness } from "../support/bridge";

let h: BridgeHarness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

const FILES = { "README.md": "# demo\n", "src/app.txt": "one\ntwo\nthree\n", "notes.txt": "mine\n" };

describe("recovery of an interrupted checkout", () => {
  it("puts back what the checkout wrote (whole, partly, deleted, staged), keeps the user's, removes the panel's stale lock", async () => {
    h = await bridgeHarness({
      reviewer: [
        { write: { path: "README.md", content: "# demo\nby the worker\n" } },
        { delete: "src/app.txt" },
        { write: { path: "new/deep/a.txt", content: "a\n".repeat(100) } },
        { write: { path: "new/deep/b.txt", content: "b\n".repeat(100) } },
        { write: { path: "new/c.txt", content: "c\n" } },
        { result: resultFor("reviewer", "Reviewer") },
      ],
    }, FILES);
    const { api, repo, panel } = h;
    const run = await api.runs.create({ repoPath: repo, prompt: "p", roles: ["reviewer"], mode: "draft" });
    await api.runs.launch({ runId: run.id });
    await waitForRunStatus(h, run.id, ["completed"]);
    const worker = (await api.runs.get({ runId: run.id })).workers[0]!;
    writeFileSync(join(repo, "notes.txt"), "mine, edited\n"); // the user's uncommitted edit
    const statusBefore = gitIn(repo, "status", "--porcelain=v1", "--untracked-files=all");

    // The merge as workers.merge prepares it, and its journal entry, written through the door.
    const preview = await api.workers.mergePreview({ runId: run.id, workerId: worker.id });
    const oldCommit = preview.targetCommit;
    const newCommit = await commitTree(repo, preview.resultTree!, [oldCommit], "squash\n");
    const paths = ["README.md", "new/c.txt", "new/deep/a.txt", "new/deep/b.txt", "src/app.txt"];
    const intent: MergeIntent = {
      id: "merge_test_0001", workerId: worker.id, target: "main", strategy: "squash", oldCommit, newCommit, commits: [newCommit],
      workerHead: preview.headCommit, movedBy: "checkout", checkout: repo, paths, newDirs: newDirsFor(repo, paths), startedAt: new Date(Date.now() - 1000).toISOString(),
    };
    expect(intent.newDirs).toEqual(["new/deep", "new"]);
    await changeRun(panel, run.id, (door) => door.apply((r) => mergeStarted(r, intent), undefined, { durable: true }));

    // What git had done when it was killed: README.md written and staged, src/app.txt deleted,
    // a.txt written, b.txt half written; c.txt was then written by the user (other content); a lock.
    writeFileSync(join(repo, "README.md"), "# demo\nby the worker\n");
    gitIn(repo, "update-index", "--cacheinfo", `100644,${gitIn(repo, "rev-parse", `${newCommit}:README.md`).trim()},README.md`);
    unlinkSync(join(repo, "src/app.txt"));
    mkdirSync(join(repo, "new/deep"), { recursive: true });
    writeFileSync(join(repo, "new/deep/a.txt"), "a\n".repeat(100));
    writeFileSync(join(repo, "new/deep/b.txt"), "b\n".repeat(37) + "b");
    writeFileSync(join(repo, "new/c.txt"), "the user's own c\n");
    writeFileSync(join(repo, ".git", "index.lock"), "");
    // (the update-index above ran before the lock appeared, as git writes the index before its ref)

    const [outcome] = await recoverMerges(panel);
    expect(outcome).toMatchObject({ runId: run.id, workerId: worker.id, outcome: "rolled-back" });
    expect(outcome!.message).toMatch(/2 file\(s\) the interrupted checkout had added were removed and 2 restored; 1 file\(s\) that differ from both versions were kept as they are \(new\/c\.txt\)/);
    expect(outcome!.message).toMatch(/stale lock .*index\.lock left by the panel's git was removed/);

    expect(existsSync(join(repo, ".git", "index.lock"))).toBe(false);
    expect(gitIn(repo, "rev-parse", "main").trim()).toBe(oldCommit);
    expect(readFileSync(join(repo, "README.md"), "utf8")).toBe("# demo\n");
    expect(readFileSync(join(repo, "src/app.txt"), "utf8")).toBe("one\ntwo\nthree\n");
    expect(readFileSync(join(repo, "notes.txt"), "utf8")).toBe("mine, edited\n");
    expect(existsSync(join(repo, "new/deep"))).toBe(false); // emptied, and made by the checkout
    expect(readFileSync(join(repo, "new/c.txt"), "utf8")).toBe("the user's own c\n");
    // Exactly as before, plus the user's c.txt (which is theirs to keep).
    expect(gitIn(repo, "status", "--porcelain=v1", "--untracked-files=all")).toBe(`${statusBefore}?? new/c.txt\n`);
    expect(gitIn(repo, "diff", "--cached", "--name-only")).toBe("");
    const after = await api.runs.get({ runId: run.id });
    expect((after as { mergeJournal?: unknown }).mergeJournal).toBeUndefined();
    expect(after.workers[0]!.merged).toBeUndefined();

    // Nothing left to recover; the worker merges normally (git refuses over the user's c.txt, in words).
    expect(await recoverMerges(panel)).toEqual([]);
    unlinkSync(join(repo, "new/c.txt"));
    const merged = await api.workers.merge({ runId: run.id, workerId: worker.id });
    expect(gitIn(repo, "rev-parse", "main").trim()).toBe(merged.commit);
    expect(readFileSync(join(repo, "new/c.txt"), "utf8")).toBe("c\n");
  });

  it("a lock older than the merge is not the panel's: left in place and named, the rest rolled back", async () => {
    h = await bridgeHarness({ reviewer: [{ write: { path: "added.txt", content: "x\n" } }, { result: resultFor("reviewer", "Reviewer") }] }, FILES);
    const { api, repo, panel } = h;
    const run = await api.runs.create({ repoPath: repo, prompt: "p", roles: ["reviewer"], mode: "draft" });
    await api.runs.launch({ runId: run.id });
    await waitForRunStatus(h, run.id, ["completed"]);
    const worker = (await api.runs.get({ runId: run.id })).workers[0]!;
    const preview = await api.workers.mergePreview({ runId: run.id, workerId: worker.id });
    const newCommit = await commitTree(repo, preview.resultTree!, [preview.targetCommit], "squash\n");
    const lock = join(repo, ".git", "index.lock");
    writeFileSync(lock, "");
    utimesSync(lock, new Date(Date.now() - 600_000), new Date(Date.now() - 600_000));
    const intent: MergeIntent = {
      id: "merge_test_0002", workerId: worker.id, target: "main", strategy: "squash", oldCommit: preview.targetCommit, newCommit, commits: [newCommit],
      workerHead: preview.headCommit, movedBy: "checkout", checkout: repo, paths: ["added.txt"], startedAt: new Date().toISOString(),
    };
    await changeRun(panel, run.id, (door) => door.apply((r) => mergeStarted(r, intent), undefined, { durable: true }));
    writeFileSync(join(repo, "added.txt"), "x\n");
    const [outcome] = await recoverMerges(panel);
    expect(outcome).toMatchObject({ outcome: "rolled-back" });
    expect(outcome!.message).toMatch(/index\.lock is not the panel's and was left alone/);
    expect(existsSync(lock)).toBe(true);
    expect(existsSync(join(repo, "added.txt"))).toBe(false);
    await expect(api.workers.merge({ runId: run.id, workerId: worker.id })).rejects.toThrow(/index\.lock was left behind by a git process that is gone.*delete it/);
  });
});
