import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseRawNumstat } from "@/server/bridge/diff";
import { parseHunks, rangesOverlap } from "@/server/bridge/hunks";
import { snapshotWorktree, worktreeHead } from "@/server/bridge/snapshot";
import { requestFollowUp } from "@/server/panel/lifecycle/followup";
import { worktreeGit } from "@/server/bridge/git";
import { changeRun } from "@/server/panel/door";
import { workerPatched } from "@/server/panel/machine";
import { bridgeHarness, resultFor, waitForRunStatus, type BridgeHarness } from "../support/bridge";
import { makeRepo, removeDir, tempDir } from "../support/repo";
import { expectCode, git, indexPath, sha } from "../support/review";
import { waitFor } from "../support/wait";

let h: BridgeHarness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

const BASE_FILES = {
  "README.md": "# demo\n",
  "src/app.txt": "one\ntwo\nthree\n",
  "old-name.txt": Array.from({ length: 12 }, (_, i) => `line ${i + 1}\n`).join(""),
  "gone.txt": "bye\n",
  "tool.sh": "#!/bin/sh\necho hi\n",
};
const UNICODE = "docs/ünïcødé nàme.md";

const byPath = <T extends { path: string }>(files: T[]) => Object.fromEntries(files.map((f) => [f.path, f]));

describe("workers.diff with real git", () => {
  it("shows only the worker's own change (dirty leader), with renames, deletions, binary, no-newline, mode and non-ASCII paths", async () => {
    h = await bridgeHarness(
      {
        reviewer: [
          { rename: ["old-name.txt", "new-name.txt"] },
          { delete: "gone.txt" },
          { write: { path: "img.bin", content: "\u0000\u0001\u0002 binary\u0000" } },
          { write: { path: "README.md", content: "# demo\nmore" } },
          { shell: "chmod +x tool.sh" },
          { write: { path: UNICODE, content: "hello\n" } },
          { write: { path: "sp ace/a\tb.txt", content: "tab and space\n" } },
          { result: resultFor("reviewer", "Reviewer") },
        ],
      },
      BASE_FILES,
    );
    const { api, repo } = h;
    // The leader is dirty at provisioning: its edit becomes the leader snapshot (the base).
    writeFileSync(join(repo, "src/app.txt"), "one\ntwo (leader)\nthree\n");
    const created = await api.runs.create({ repoPath: repo, prompt: "p", roles: ["reviewer"], mode: "draft" });
    await api.runs.launch({ runId: created.id });
    const run = await waitForRunStatus(h, created.id, ["completed", "failed"]);
    expect(run.status).toBe("completed");
    const worker = run.workers[0]!;
    const ref = { runId: run.id, workerId: worker.id };

    const diff = await api.workers.diff(ref);
    expect(diff.baseCommit).toBe(worker.baseCommit);
    expect(diff.headCommit).toBe(worker.worktreeCommit);
    expect(diff.headSource).toBe("worktree");
    expect(diff.uncommitted).toBe(false);
    expect(diff.uncommittedChecked).toBe(false); // completed: worker-finish committed everything
    expect(diff.hunks).toBeUndefined();
    const files = byPath(diff.files);
    expect(Object.keys(files).sort()).toEqual(["README.md", UNICODE, "gone.txt", "img.bin", "new-name.txt", "sp ace/a\tb.txt", "tool.sh"].sort());
    expect(files["src/app.txt"]).toBeUndefined(); // the leader's edit is not the worker's work
    expect(files["new-name.txt"]).toMatchObject({ status: "renamed", oldPath: "old-name.txt", similarity: 100, additions: 0, deletions: 0, binary: false });
    expect(files["gone.txt"]).toMatchObject({ status: "deleted", additions: 0, deletions: 1, oldMode: "100644" });
    expect(files["gone.txt"]!.newMode).toBeUndefined();
    expect(files["img.bin"]).toMatchObject({ status: "added", binary: true, additions: 0, deletions: 0, newMode: "100644" });
    expect(files["README.md"]).toMatchObject({ status: "modified", additions: 1, deletions: 0 });
    expect(files["tool.sh"]).toMatchObject({ status: "modified", oldMode: "100644", newMode: "100755", additions: 0, deletions: 0 });
    expect(files[UNICODE]).toMatchObject({ status: "added", additions: 1, deletions: 0 });
    expect(diff.totals).toEqual({ files: 7, additions: 3, deletions: 1, binary: 1 });
    // Cross-check against git's own name-status.
    const nameStatus = git(repo, "diff", "--name-status", "-M", "-z", `${worker.baseCommit}..${worker.worktreeCommit}`).split("\0").filter(Boolean);
    expect(nameStatus.filter((t) => /^[A-Z]\d*$/.test(t)).length).toBe(7);

    // Hunks on demand, one file at a time.
    const readme = await api.workers.diff({ ...ref, path: "README.md" });
    expect(readme.patch).toMatchObject({ path: "README.md", binary: false, tooLarge: false });
    expect(readme.hunks).toHaveLength(1);
    expect(readme.hunks![0]).toMatchObject({ oldStart: 1, oldLines: 1, newStart: 1, newLines: 2 });
    expect(readme.hunks![0]!.lines).toEqual([
      { type: "context", oldNo: 1, newNo: 1, text: "# demo" },
      { type: "add", newNo: 2, text: "more", noNewlineAtEnd: true },
    ]);
    const bin = await api.workers.diff({ ...ref, path: "img.bin" });
    expect(bin.patch).toMatchObject({ binary: true, tooLarge: false });
    expect(bin.hunks).toEqual([]);
    const renamed = await api.workers.diff({ ...ref, path: "old-name.txt" }); // by the old name too
    expect(renamed.patch).toMatchObject({ path: "new-name.txt", oldPath: "old-name.txt" });
    expect(renamed.hunks).toEqual([]);
    expect(renamed.files).toEqual([files["new-name.txt"]]);
    const uni = await api.workers.diff({ ...ref, path: UNICODE });
    expect(uni.hunks![0]!.lines).toEqual([{ type: "add", newNo: 1, text: "hello" }]);
    const tab = await api.workers.diff({ ...ref, path: "sp ace/a\tb.txt" });
    expect(tab.hunks![0]!.lines[0]).toMatchObject({ type: "add", text: "tab and space" });
    const gone = await api.workers.diff({ ...ref, path: "gone.txt" });
    expect(gone.hunks![0]!.lines).toEqual([{ type: "del", oldNo: 1, text: "bye" }]);

    await expectCode(api.workers.diff({ ...ref, path: "src/app.txt" }), "NOT_FOUND");
    await expectCode(api.workers.diff({ ...ref, path: "docs" }), "NOT_FOUND"); // a folder is not a file
    await expectCode(api.workers.diff({ ...ref, path: "*.md" }), "NOT_FOUND"); // no globbing
    await expectCode(api.workers.diff({ ...ref, path: ".longtable-worker/result.json" }), "NOT_FOUND");
    await expectCode(api.workers.diff({ ...ref, since: "not-hex" }), "BAD_REQUEST");
    await expectCode(api.workers.diff({ ...ref, since: "previousAttempt" }), "PRECONDITION_FAILED"); // one attempt only
    await expectCode(api.workers.diff({ ...ref, since: "0123456789abcdef" }), "NOT_FOUND");
    // A viewer may read diffs.
    const { callerFor } = await import("../support/panel");
    expect((await callerFor(h.panel, "viewer").workers.diff(ref)).files).toHaveLength(7);

    // With the worktree gone, the branch is used.
    await api.runs.shutdown({ runId: run.id });
    expect(existsSync(worker.worktreePath)).toBe(false);
    const after = await api.workers.diff(ref);
    expect(after.headSource).toBe("branch");
    expect(after.files).toEqual(diff.files);
  });

  it("includes a running worker's uncommitted changes without touching its index", async () => {
    h = await bridgeHarness({});
    const gate = join(h.dir, "gate");
    writeFileSync(
      join(h.dir, "fake-codex-script.json"),
      JSON.stringify({
        reviewer: [
          { write: { path: "draft.md", content: "draft\n" } },
          { write: { path: "README.md", content: "# demo\nedited\n" } },
          { shell: `while [ ! -f '${gate}' ]; do sleep 0.05; done` },
          { result: resultFor("reviewer", "Reviewer") },
        ],
      }),
    );
    const { api, repo } = h;
    const created = await api.runs.create({ repoPath: repo, prompt: "p", roles: ["reviewer"], mode: "draft" });
    await api.runs.launch({ runId: created.id });
    const wt = join(repo, ".longtable/panel-runs", created.id, "worktrees/worker-1-reviewer");
    await waitFor(() => existsSync(join(wt, "README.md")) && readFileSync(join(wt, "README.md"), "utf8").includes("edited"), "the worker to write");
    const ref = { runId: created.id, workerId: "worker-1-reviewer" };

    const idx = indexPath(wt);
    const before = { bytes: sha(readFileSync(idx)), mtime: statSync(idx).mtimeMs, head: git(wt, "rev-parse", "HEAD") };
    const diff = await api.workers.diff(ref);
    expect(diff.uncommitted).toBe(true);
    expect(diff.uncommittedChecked).toBe(true);
    expect(diff.headCommit).toBe(before.head.trim());
    expect(diff.headCommit).toBe(diff.baseCommit); // nothing committed yet
    expect(diff.files.map((f) => [f.path, f.status, f.uncommitted]).sort()).toEqual([
      ["README.md", "modified", true],
      ["draft.md", "added", true],
    ]);
    expect(diff.files.some((f) => f.path.startsWith(".longtable-worker"))).toBe(false);
    const hunk = await api.workers.diff({ ...ref, path: "draft.md" });
    expect(hunk.hunks![0]!.lines).toEqual([{ type: "add", newNo: 1, text: "draft" }]);
    // with a path, files holds that one file
    expect(hunk.files).toEqual([{ path: "draft.md", status: "added", additions: 1, deletions: 0, binary: false, newMode: "100644", uncommitted: true }]);
    const committedOnly = await api.workers.diff({ ...ref, uncommitted: false });
    expect(committedOnly).toMatchObject({ uncommitted: false, files: [] });
    // The worker's real index: same bytes, not even rewritten.
    expect(sha(readFileSync(idx))).toBe(before.bytes);
    expect(statSync(idx).mtimeMs).toBe(before.mtime);
    expect(git(wt, "diff", "--cached", "--name-only")).toBe("");

    writeFileSync(gate, "go");
    const run = await waitForRunStatus(h, created.id, ["completed", "failed"]);
    // After the result, a change made by hand in the worktree shows when asked for.
    writeFileSync(join(wt, "by-hand.txt"), "x\n");
    const done = await api.workers.diff(ref);
    expect(done.uncommitted).toBe(false);
    expect(done.uncommittedChecked).toBe(false);
    const asked = await api.workers.diff({ ...ref, uncommitted: true });
    expect(asked.uncommitted).toBe(true);
    expect(asked.files.filter((f) => f.uncommitted).map((f) => f.path)).toEqual(["by-hand.txt"]);
    // Committed by hand after the result: HEAD moved past the recorded commit, and the diff follows HEAD.
    git(wt, "add", "by-hand.txt");
    git(wt, "-c", "user.name=U", "-c", "user.email=u@example.invalid", "commit", "-qm", "by hand");
    const moved = await api.workers.diff(ref);
    expect(moved.headCommit).toBe(git(wt, "rev-parse", "HEAD").trim());
    expect(moved.headCommit).not.toBe(run.workers[0]!.worktreeCommit);
    expect(moved.files.map((f) => f.path).sort()).toEqual(["README.md", "by-hand.txt", "draft.md"]);
    expect(done.headCommit).toBe(run.workers[0]!.worktreeCommit);
    expect(done.files.map((f) => [f.path, f.status, f.uncommitted]).sort()).toEqual([
      ["README.md", "modified", undefined],
      ["draft.md", "added", undefined],
    ]);
  });

  it("shows the change since the previous attempt, and limits huge patches unless full", async () => {
    h = await bridgeHarness({
      reviewer: [{ write: { path: "first.txt", content: "first\n" } }, { result: resultFor("reviewer", "Reviewer") }],
      followup: {
        reviewer: [
          { write: { path: "second.txt", content: "second\n" } },
          { shell: "seq 1 25000 > big.txt" },
          { result: resultFor("reviewer", "Reviewer") },
        ],
      },
    } as never);
    const { api, repo, panel } = h;
    const created = await api.runs.create({ repoPath: repo, prompt: "p", roles: ["reviewer"], mode: "draft" });
    await api.runs.launch({ runId: created.id });
    const first = (await waitForRunStatus(h, created.id, ["completed", "failed"])).workers[0]!;
    expect(first.status).toBe("completed");
    const firstCommit = first.worktreeCommit!;
    await requestFollowUp(panel, { runId: created.id, workerId: first.id, message: "more, please" });
    const run = await waitFor(async () => {
      const r = await api.runs.get({ runId: created.id });
      return r.status !== "running" && r.workers[0]!.attempt === 2 ? r : undefined;
    }, "the follow-up to finish");
    expect(run.status).toBe("completed");
    const w = run.workers[0]!;
    const ref = { runId: run.id, workerId: w.id };

    const all = await api.workers.diff(ref);
    expect(all.files.map((f) => f.path).sort()).toEqual(["big.txt", "first.txt", "second.txt"]);
    const since = await api.workers.diff({ ...ref, since: "previousAttempt" });
    expect(since.since).toEqual({ kind: "previousAttempt", commit: firstCommit });
    expect(since.fromCommit).toBe(firstCommit);
    expect(since.files.map((f) => f.path).sort()).toEqual(["big.txt", "second.txt"]);
    // The worker-finish commits decide, not a recorded previousCommit (which can be stale after a later resume).
    await changeRun(h.panel, run.id, (door) => door.apply((r) => workerPatched(r, w.id, { previousCommit: w.baseCommit }, new Date().toISOString())));
    expect((await api.workers.diff({ ...ref, since: "previousAttempt" })).fromCommit).toBe(firstCommit);
    const byId = await api.workers.diff({ ...ref, since: firstCommit.slice(0, 10) });
    expect(byId.since).toEqual({ kind: "commit", commit: firstCommit });
    expect(byId.files.map((f) => f.path).sort()).toEqual(["big.txt", "second.txt"]);

    const big = await api.workers.diff({ ...ref, path: "big.txt" });
    expect(big.patch).toMatchObject({ tooLarge: true, binary: false, changedLines: 25000 });
    expect(big.hunks).toEqual([]);
    const full = await api.workers.diff({ ...ref, path: "big.txt", full: true });
    expect(full.patch!.tooLarge).toBe(false);
    expect(full.hunks![0]!.lines).toHaveLength(25000);
    expect(full.hunks![0]!.lines[24999]).toEqual({ type: "add", newNo: 25000, text: "25000" });
  });
});

describe("worktree snapshots on a plain repo", () => {
  it("keep the runtime folder out even when it is not ignored, and never write the real index", async () => {
    const repo = makeRepo();
    const wt = join(tempDir("ltp-wt-"), "w");
    try {
      git(repo, "worktree", "add", "-q", "-b", "w", wt);
      mkdirSync(join(wt, ".longtable-worker"), { recursive: true });
      writeFileSync(join(wt, ".longtable-worker", "state.json"), "{}\n");
      writeFileSync(join(wt, "new.txt"), "new\n");
      rmSync(join(wt, "README.md"));
      const idx = indexPath(wt);
      const before = sha(readFileSync(idx));
      const wtGit = (await worktreeGit(repo, wt))!;
      const head = await worktreeHead(wtGit);
      expect(head).toBeDefined();
      const snap = await snapshotWorktree(wtGit, head!);
      expect(snap.dirty).toBe(true);
      expect(git(repo, "ls-tree", "-r", "--name-only", snap.tree).trim().split("\n").sort()).toEqual(["new.txt", "src/app.txt"]);
      expect(sha(readFileSync(idx))).toBe(before);
      // a folder that is not its own worktree top level is not taken for one
      expect(await worktreeGit(repo, join(wt, "src"))).toBeUndefined();
    } finally {
      removeDir(repo);
      removeDir(dirname(wt));
    }
  });
});

describe("diff parsers", () => {
  it("parse raw+numstat records by position, whatever the path looks like", () => {
    const out = [
      ":100644 100644 aaaa bbbb M", ":100644 100644 x y M\tweird", // a path that looks like a header
      ":100644 100644 aaaa bbbb R087", "old name", "new\nname",
      ":000000 120000 0000 cccc A", "link",
      "1\t2\t:100644 100644 x y M\tweird",
      "3\t4\t", "old name", "new\nname",
      "-\t-\tlink",
      "",
    ].join("\0");
    expect(parseRawNumstat(out)).toEqual([
      { path: ":100644 100644 x y M\tweird", status: "modified", additions: 1, deletions: 2, binary: false, oldMode: "100644", newMode: "100644" },
      { path: "new\nname", oldPath: "old name", similarity: 87, status: "renamed", additions: 3, deletions: 4, binary: false, oldMode: "100644", newMode: "100644" },
      { path: "link", status: "added", additions: 0, deletions: 0, binary: true, newMode: "120000" },
    ]);
    expect(parseRawNumstat("")).toEqual([]);
  });

  it("parse hunks by their line counts and mark missing final newlines", () => {
    const patch = [
      "diff --git a/x b/x", "--- a/x", "+++ b/x",
      "@@ -1,2 +1,2 @@ fn()", " keep", "-old", "\\ No newline at end of file", "+@@ -9,9 +9,9 @@", "+-- not a header",
    ].join("\n");
    const hunks = parseHunks(patch);
    expect(hunks).toHaveLength(1);
    expect(hunks[0]).toMatchObject({ header: "@@ -1,2 +1,2 @@ fn()", section: "fn()", oldStart: 1, oldLines: 2, newStart: 1, newLines: 2 });
    // the counts end the hunk after two new lines: the third "+" line is not consumed as content
    expect(hunks[0]!.lines).toEqual([
      { type: "context", oldNo: 1, newNo: 1, text: "keep" },
      { type: "del", oldNo: 2, text: "old", noNewlineAtEnd: true },
      { type: "add", newNo: 2, text: "@@ -9,9 +9,9 @@" },
    ]);
  });

  it("treats touching or overlapping old-file ranges as overlapping", () => {
    expect(rangesOverlap({ start: 3, lines: 1 }, { start: 3, lines: 1 })).toBe(true);
    expect(rangesOverlap({ start: 3, lines: 1 }, { start: 4, lines: 1 })).toBe(true); // adjacent
    expect(rangesOverlap({ start: 3, lines: 1 }, { start: 6, lines: 2 })).toBe(false);
    expect(rangesOverlap({ start: 5, lines: 0 }, { start: 6, lines: 1 })).toBe(true); // insertion right before line 6
    expect(rangesOverlap({ start: 1, lines: 0 }, { start: 10, lines: 3 })).toBe(false);
  });
});
