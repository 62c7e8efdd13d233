/**
 * Issue 5 from the browser: review a worker's diff (file tree, word-level highlight, binary,
 * rename, viewed marks that survive a reload, keyboard), merge it (squash) into the leader
 * branch, clean up, and request changes from another worker whose follow-up commit then shows
 * alone in "Since previous attempt". The spec runs its own server with its own fake codex.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect as baseExpect, test, type Page } from "@playwright/test";
import { makeFakeCodex, type FakeCodexScript } from "../test/support/fake-codex";
import { openGateIn, waitForGate } from "./support/fake-script";
import { apiOf, git, loginTo, makeRepoWith, stopOwnServer, waitForWorkers, type RunRecord, type ServerApi } from "./support/review-server";
import { closeFileDrawer, contextOptions, expectPhoneFriendly, isPhone, openFileDrawer } from "./support/phone";
import { startServer, type RunningServer } from "./support/server";

const expect = baseExpect.configure({ timeout: 30_000 });

const LONG = Array.from({ length: 60 }, (_, i) => `line ${i + 1}`);
const FILES = {
  ".gitignore": "build/\n",
  "README.md": "# review e2e\n",
  "src/app.txt": "alpha\nbeta\ngamma\n",
  "src/util.ts": "// Arithmetic helpers.\nexport function combine(a: number, b: number): number {\n  return a + b;\n}\n",
  "docs/guide.md": "# Guide\n\nStart with the README.\nThen read the notes.\nThat is all.\n",
  "src/long.txt": LONG.join("\n") + "\n",
};
const BINARY = "\u0000\u0001\u0002PNG\u0000binary\u00ff\n";
const result = (role: string, label: string, summary: string) => ({
  role, label, status: "completed", summary, claims: [], objections: [], openQuestions: [], evidenceRefs: [], error: "",
});
const codexDir = realpathSync(mkdtempSync(join(tmpdir(), "ltp-e2e-review-codex-")));
const gates = join(codexDir, "gates");

const SCRIPT: FakeCodexScript = {
  reviewer: [
    { write: { path: "src/util.ts", content: "// Arithmetic helpers.\nexport function combine(a: number, b: number): number {\n  return a * b;\n}\n" } },
    { rename: ["docs/guide.md", "docs/handbook.md"] },
    { write: { path: "assets/logo.bin", content: BINARY } },
    { result: result("reviewer", "Reviewer", "Combine multiplies; the guide is now the handbook.") },
  ],
  methods_critic: [
    { write: { path: "notes/methods.md", content: "# Methods\n\nThe sample is small.\n" } },
    { write: { path: "src/app.txt", content: "alpha\nBETA\ngamma\n" } },
    { result: result("methods_critic", "Methods Critic", "Methods notes added.") },
  ],
  // A big change: 1,200 generated files in 12 folders, a file over the size limit, a two-hunk
  // edit, and the same line of src/util.ts as the reviewer (so the two conflict).
  measurement_auditor: [
    { shell: "for i in $(seq 1 1200); do d=data/gen/$((i % 12)); mkdir -p $d; echo \"value $i\" > $d/file-$i.txt; done; seq 1 20500 > data/big.csv" },
    { write: { path: "src/long.txt", content: LONG.map((l, i) => (i === 4 ? "line five, measured" : i === 49 ? "line fifty, measured" : l)).join("\n") + "\n" } },
    { write: { path: "src/util.ts", content: "// Arithmetic helpers.\nexport function combine(a: number, b: number): number {\n  return a - b;\n}\n" } },
    { result: result("measurement_auditor", "Measurement Auditor", "Generated the measurement data.") },
  ],
  followup: {
    methods_critic: [
      { write: { path: "notes/methods.md", content: "# Methods\n\nThe sample is small.\nA power analysis is now included.\n" } },
      { shell: waitForGate(gates, "gate-followup", 900, true) },
      { result: result("methods_critic", "Methods Critic", "Power analysis added.") },
    ],
  },
};

let server: RunningServer | undefined;
let api: ServerApi;
let repo: string;
let run: RunRecord;

test.describe("diff review and merge", () => {
  // The tests share one run and build on each other (merge, then conflicts with the merged branch).
  test.describe.configure({ mode: "serial" });
  test.setTimeout(180_000);

  test.beforeAll(async () => {
    test.setTimeout(300_000);
    const codexBin = await makeFakeCodex(codexDir, SCRIPT);
    repo = makeRepoWith(FILES);
    server = await startServer({ repo, env: { LONGTABLE_CODEX_BIN: codexBin, LONGTABLE_SANDBOX_WRITABLE: codexDir } });
    api = apiOf(server);
    const created = await api.mutate<RunRecord>("runs.create", { repoPath: repo, prompt: "Tidy the helpers and write methods notes.", roles: ["reviewer", "methods_critic", "measurement_auditor"], mode: "draft" });
    await api.mutate("runs.launch", { runId: created.id });
    run = await waitForWorkers(api, created.id, ["completed"], 60_000);
  });

  test.afterAll(async () => {
    await stopOwnServer(server);
  });

  const fileRow = (page: Page, path: string) => page.locator(`[data-testid="file-row"][data-path="${path}"]`);
  const wide = () => contextOptions({ viewport: { width: 1500, height: 950 } });

  test("review a worker's diff, keep viewed marks across a reload, merge it (squash) and clean up", async ({ browser }) => {
    const context = await browser.newContext(wide());
    const page = await loginTo(context, server!, server!.token);

    // The run's review: both workers, a clean pair in the overlap matrix, a merge order.
    await page.goto(`${server!.baseURL}/runs/${run.id}/review`);
    await expect(page.getByTestId("review-worker-row")).toHaveCount(3);
    const cell = (a: string, b: string) => page.locator(`[data-testid="overlap-cell"][data-a="${a}"][data-b="${b}"]`);
    await expect(cell("worker-1-reviewer", "worker-2-methods_critic")).toHaveAttribute("data-clean", "true");
    await expect(cell("worker-1-reviewer", "worker-2-methods_critic")).toHaveAttribute("data-shared", "0");
    await expect(cell("worker-1-reviewer", "worker-3-measurement_auditor")).toHaveAttribute("data-clean", "false");
    await expect(cell("worker-3-measurement_auditor", "worker-1-reviewer")).toHaveAttribute("data-shared", "1");
    await expect(cell("worker-2-methods_critic", "worker-3-measurement_auditor")).toHaveAttribute("data-clean", "true");
    // The worker that conflicts with nobody comes first.
    await expect(page.getByTestId("merge-order").locator("li")).toHaveCount(3);
    await expect(page.getByTestId("merge-order").locator("li").first()).toHaveAttribute("data-worker-id", "worker-2-methods_critic");
    await expect(page.getByTestId("shared-files")).toContainText("src/util.ts");
    await expectPhoneFriendly(page, "run review");

    await page.locator('[data-testid="review-worker-row"][data-worker-id="worker-1-reviewer"]').getByTestId("open-review").click();
    await page.waitForURL(/\/review\/worker-1-reviewer/);

    // The file tree: a binary file, a rename (with its similarity), a modification; tree order.
    await openFileDrawer(page);
    await expectPhoneFriendly(page, "file tree drawer");
    await expect(page.getByTestId("file-row")).toHaveCount(3);
    await expect(page.getByTestId("file-row")).toHaveText([/logo\.bin/, /handbook\.md/, /util\.ts/]);
    await expect(fileRow(page, "assets/logo.bin")).toHaveAttribute("data-binary", "true");
    await expect(fileRow(page, "docs/handbook.md")).toHaveAttribute("data-status", "renamed");
    await expect(fileRow(page, "docs/handbook.md")).toContainText("guide.md 100%");
    await expect(fileRow(page, "src/util.ts")).toHaveAttribute("data-status", "modified");
    await closeFileDrawer(page);
    await expect(page.getByTestId("diff-totals")).toContainText("3 files");
    if (isPhone()) await expect(page.getByTestId("shortcut-hint")).toBeHidden(); // no keyboard on a phone
    else await expect(page.getByTestId("shortcut-hint")).toContainText("next hunk");

    // The first file opens by itself: the binary file is named, not dumped.
    await expect(page.getByTestId("file-diff")).toHaveAttribute("data-path", "assets/logo.bin");
    await expect(page.getByTestId("diff-binary")).toBeVisible();

    // j moves down the tree; the rename shows as one pair without content changes.
    await page.keyboard.press("j");
    await expect(page.getByTestId("file-diff")).toHaveAttribute("data-path", "docs/handbook.md");
    await expect(page.getByTestId("file-diff")).toContainText("docs/guide.md");
    await expect(page.getByTestId("diff-no-content")).toContainText("Renamed without changes");

    // The modified file: its hunk, with the changed operator highlighted word by word.
    await page.keyboard.press("j");
    const diff = page.getByTestId("file-diff");
    await expect(diff).toHaveAttribute("data-path", "src/util.ts");
    await expect(diff.getByTestId("diff-hunk")).toHaveCount(1);
    await expect(diff.locator('[data-testid="diff-line"][data-type="del"]')).toContainText("return a + b;");
    await expect(diff.getByTestId("word-del")).toHaveText("+");
    await expect(diff.getByTestId("word-add")).toHaveText("*");
    await expect(diff.locator(".hljs-keyword").first()).toHaveText("export"); // syntax highlighting (TypeScript)

    await expectPhoneFriendly(page, "worker review: a file's diff");
    if (isPhone()) {
      // A phone shows the unified diff only: Split is unavailable, and s changes nothing.
      await expect(page.getByTestId("mode-split")).toBeDisabled();
      await page.keyboard.press("s");
      await expect(page.getByTestId("diff-body")).toHaveAttribute("data-mode", "unified");
      await expect(diff.getByTestId("diff-pair")).toHaveCount(0);
    } else {
      // s switches to the split view and back.
      await page.keyboard.press("s");
      await expect(page.getByTestId("diff-body")).toHaveAttribute("data-mode", "split");
      await expect(diff.getByTestId("diff-pair").filter({ has: page.getByTestId("word-add") })).toHaveCount(1);
      await page.keyboard.press("s");
      await expect(page.getByTestId("diff-body")).toHaveAttribute("data-mode", "unified");
    }

    // The auditor changed the same line: compare both diffs, then their two versions.
    await page.locator('[data-testid="compare-with"][data-worker-id="worker-3-measurement_auditor"]').click();
    const compare = page.getByTestId("compare-view");
    await expect(compare.getByTestId("compare-left").locator('[data-testid="diff-line"][data-type="add"] .diff-code')).toHaveText(["  return a * b;"]);
    await expect(compare.getByTestId("compare-right").locator('[data-testid="diff-line"][data-type="add"] .diff-code')).toHaveText(["  return a - b;"]);
    await compare.getByTestId("compare-between").click();
    const between = compare.getByTestId("compare-between-diff");
    await expect(between.locator('[data-testid="diff-line"][data-type="del"] .diff-code')).toHaveText(["  return a - b;"]);
    await expect(between.locator('[data-testid="diff-line"][data-type="add"] .diff-code')).toHaveText(["  return a * b;"]);
    await page.locator('[data-testid="compare-with"][data-worker-id="worker-3-measurement_auditor"]').click();
    await expect(page.getByTestId("compare-view")).toHaveCount(0);

    // v marks the file viewed; the mark survives a reload (localStorage, keyed by head commit).
    await page.keyboard.press("v");
    await openFileDrawer(page);
    await expect(fileRow(page, "src/util.ts")).toHaveAttribute("data-viewed", "true");
    await expect(page.getByTestId("viewed-count")).toHaveText("1 / 3 viewed");
    await closeFileDrawer(page);
    await page.reload();
    await openFileDrawer(page);
    await expect(fileRow(page, "src/util.ts")).toHaveAttribute("data-viewed", "true");
    await expect(fileRow(page, "docs/handbook.md")).toHaveAttribute("data-viewed", "false");
    await closeFileDrawer(page);
    await expect(page.getByTestId("file-diff")).toHaveAttribute("data-path", "src/util.ts"); // ?file= kept the selection
    await expect(page.getByTestId("viewed-toggle")).toBeChecked();

    // The merge panel: a clean preview against main at its current commit.
    const mainBefore = git(repo, "rev-parse", "main").trim();
    await page.getByTestId("review-tab-merge").click();
    await expect(page.getByTestId("merge-verdict")).toHaveAttribute("data-verdict", "clean");
    await expect(page.getByTestId("merge-target")).toHaveText("main");
    await expect(page.getByTestId("merge-target-commit")).toHaveText(mainBefore.slice(0, 10));
    await expect(page.getByTestId("strategy-squash")).toBeChecked();
    await expect(page.getByTestId("merge-message")).toHaveValue(/^Reviewer \(reviewer\): Combine multiplies/);
    await expectPhoneFriendly(page, "merge panel");
    await page.getByTestId("merge-message").fill("Reviewer: combine multiplies\n\nMerged from the e2e review.");

    // The worker's branch moves after the preview (a commit nobody reviewed): the merge is
    // refused, changes nothing, and waits until the user previews again.
    const worker1 = run.workers.find((w) => w.id === "worker-1-reviewer")!;
    const reviewed = git(repo, "rev-parse", worker1.worktreeBranch).trim();
    await expect(page.getByTestId("merge-head-commit")).toHaveText(reviewed.slice(0, 10));
    git(worker1.worktreePath, "commit", "-q", "--allow-empty", "-m", "a commit after the review");
    const unreviewed = git(repo, "rev-parse", worker1.worktreeBranch).trim();
    await page.getByTestId("merge-submit").click();
    await expect(page.getByTestId("merge-error")).toContainText("moved since you reviewed it");
    await expect(page.getByTestId("merge-error")).toContainText("nothing was changed");
    await expect(page.getByTestId("merge-head-moved")).toContainText(unreviewed.slice(0, 10));
    await expect(page.getByTestId("merge-submit")).toBeDisabled();
    expect(git(repo, "rev-parse", "main").trim()).toBe(mainBefore);
    await expectPhoneFriendly(page, "merge refused: the worker moved");
    await page.getByTestId("merge-preview-again").click();
    await expect(page.getByTestId("merge-head-commit")).toHaveText(unreviewed.slice(0, 10));
    await expect(page.getByTestId("merge-refusal")).toHaveCount(0);
    await expect(page.getByTestId("merge-submit")).toBeEnabled();

    // The leader moves after the preview: the merge is refused, says why, and changes nothing.
    git(repo, "commit", "-q", "--allow-empty", "-m", "leader moved");
    const moved = git(repo, "rev-parse", "main").trim();
    await page.getByTestId("merge-submit").click();
    await expect(page.getByTestId("merge-error")).toContainText("moved since the preview");
    await expect(page.getByTestId("merge-error")).toContainText("nothing was changed");
    expect(git(repo, "rev-parse", "main").trim()).toBe(moved);
    await expect(page.getByTestId("merge-target-commit")).toHaveText(moved.slice(0, 10)); // the preview refreshed after the refusal
    await expect(page.getByTestId("merge-message")).toHaveValue(/^Reviewer: combine multiplies/); // the edited message is kept
    // From the button to the cache: the merge answers for itself; the worker's new state, the
    // history and a fresh preview come from the run's worker_merged event — runs.get is not read again.
    const runReads: string[] = [];
    page.on("request", (r) => void (new URL(r.url()).pathname.includes("runs.get") && runReads.push(r.url())));
    await page.getByTestId("merge-submit").click();

    await expect(page.getByTestId("merge-result")).toBeVisible();
    await expect(page.getByTestId("worker-merged")).toBeVisible();
    await expect(page.getByTestId("merge-verdict")).toHaveAttribute("data-verdict", "up-to-date");
    const mainAfter = git(repo, "rev-parse", "main").trim();
    expect(mainAfter).not.toBe(moved);
    await expect(page.getByTestId("merge-result-commit")).toHaveText(mainAfter.slice(0, 10));
    expect(git(repo, "rev-parse", "main^").trim()).toBe(moved); // one squash commit on top
    expect(git(repo, "log", "-1", "--format=%s", "main").trim()).toBe("Reviewer: combine multiplies");
    expect(git(repo, "show", "main:src/util.ts")).toContain("return a * b;");
    expect(git(repo, "show", "main:docs/handbook.md")).toContain("Start with the README.");
    expect(git(repo, "ls-tree", "--name-only", "-r", "main").split("\n")).toEqual(expect.arrayContaining(["assets/logo.bin", "docs/handbook.md"]));
    expect(git(repo, "ls-tree", "--name-only", "-r", "main").split("\n")).not.toContain("docs/guide.md");
    // main is the leader checkout's branch: its files moved with it, and it stays clean.
    expect(readFileSync(join(repo, "src", "util.ts"), "utf8")).toContain("return a * b;");
    expect(git(repo, "status", "--porcelain")).toBe("");
    const merged = (await api.query<RunRecord>("runs.get", { runId: run.id })).workers.find((w) => w.id === "worker-1-reviewer")!;
    expect(merged.merged?.commit).toBe(mainAfter);
    await expect(page.getByTestId("merge-history")).toContainText(mainAfter.slice(0, 10));
    expect(runReads).toEqual([]);

    // Cleanup after the merge keeps a worktree with ignored files (built outputs) and says how to remove it.
    mkdirSync(join(worker1.worktreePath, "build"));
    writeFileSync(join(worker1.worktreePath, "build", "out.bin"), "built\n");
    await expect(page.getByTestId("cleanup-delete-branch")).not.toBeChecked();
    await page.getByTestId("cleanup-submit").click();
    await expect(page.getByTestId("cleanup-error")).toContainText("ignored file");
    await expect(page.getByTestId("cleanup-error")).toContainText("discard it");
    await expect(page.getByTestId("cleanup-discard-hint")).toBeVisible();
    expect(existsSync(join(worker1.worktreePath, "build", "out.bin"))).toBe(true);
    // Without them, the worktree goes and the branch stays (the checkbox is off by default).
    rmSync(join(worker1.worktreePath, "build"), { recursive: true });
    await page.getByTestId("cleanup-submit").click();
    await expect(page.getByTestId("cleanup-result")).toContainText("the branch is kept");
    expect(existsSync(worker1.worktreePath)).toBe(false);
    expect(git(repo, "branch", "--list", worker1.worktreeBranch).trim()).toContain(worker1.worktreeBranch);

    // The run review shows it merged, and a viewer sees the merge panel without any action.
    await page.goto(`${server!.baseURL}/runs/${run.id}/review`);
    await expect(page.locator('[data-testid="review-worker-row"][data-worker-id="worker-1-reviewer"]').getByTestId("row-merged")).toBeVisible();
    const viewerContext = await browser.newContext(contextOptions());
    const viewer = await loginTo(viewerContext, server!, server!.viewerToken);
    await viewer.goto(`${server!.baseURL}/runs/${run.id}/review/worker-2-methods_critic?tab=merge`);
    await expect(viewer.getByTestId("merge-verdict")).toHaveAttribute("data-verdict", "clean");
    await expect(viewer.getByTestId("merge-read-only")).toBeVisible();
    await expect(viewer.getByTestId("merge-submit")).toHaveCount(0);
    await expect(viewer.getByTestId("discard-open")).toHaveCount(0);
    await viewer.getByTestId("review-tab-changes").click();
    await openFileDrawer(viewer);
    await expect(viewer.getByTestId("file-row")).toHaveCount(2);
    await closeFileDrawer(viewer);
    await expect(viewer.getByTestId("viewed-toggle")).toBeVisible(); // viewed marks are the viewer's own
    await expect(viewer.getByTestId("quote-line")).toHaveCount(0);
    await viewerContext.close();
    await context.close();
  });

  test("request changes with a quoted line; the follow-up shows live, then alone in 'since previous attempt'", async ({ browser }) => {
    const context = await browser.newContext(wide());
    const page = await loginTo(context, server!, server!.token);
    const worker = run.workers.find((w) => w.id === "worker-2-methods_critic")!;
    await page.goto(`${server!.baseURL}/runs/${run.id}/review/${worker.id}?file=notes/methods.md`);
    await openFileDrawer(page);
    await expect(page.getByTestId("file-row")).toHaveCount(2);
    await closeFileDrawer(page);
    await expect(page.getByTestId("since-previous")).toBeDisabled(); // one attempt so far

    // Quote the line the feedback is about.
    const line = page.locator('[data-testid="diff-line"][data-type="add"]').filter({ hasText: "The sample is small." });
    await line.hover();
    await line.getByTestId("quote-line").click();
    await expect(page.getByTestId("quote-note")).toContainText("notes/methods.md:3");

    await page.getByTestId("review-tab-feedback").click();
    await expect(page.getByTestId("feedback-quote")).toHaveCount(1);
    await expectPhoneFriendly(page, "request changes");
    await page.getByTestId("feedback-message").fill("Add a power analysis to the methods notes.");
    await page.getByTestId("feedback-submit").click();
    await expect(page.getByTestId("feedback-sent")).toContainText("attempt 2");
    // The quote reached the worker's mailbox with the message.
    const mailbox = readFileSync(worker.mailboxPath, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { kind?: string; message?: string; quotes?: unknown[] });
    expect(mailbox.at(-1)).toMatchObject({ kind: "followup", message: "Add a power analysis to the methods notes.", quotes: [{ path: "notes/methods.md", line: 3, text: "The sample is small." }] });

    // The worker runs again; its uncommitted edit shows up live in the file tree.
    await expect(page.getByTestId("review-worker-status")).toHaveText("running");
    await page.getByTestId("review-tab-changes").click();
    await openFileDrawer(page);
    await expect(fileRow(page, "notes/methods.md")).toHaveAttribute("data-uncommitted", "true");
    await closeFileDrawer(page);
    await expect(page.getByTestId("uncommitted-note")).toBeVisible();
    const liveAdds = page.getByTestId("file-diff").locator('[data-testid="diff-line"][data-type="add"]');
    await expect(liveAdds).toHaveCount(4);
    await expect(liveAdds.filter({ hasText: "A power analysis is now included." })).toHaveCount(1);

    // Let the follow-up finish: a new commit, attempt 2, no uncommitted marks.
    openGateIn(gates, run.id, "gate-followup");
    await expect(page.getByTestId("review-worker-status")).toHaveText("completed", { timeout: 45_000 });
    await expect(page.getByTestId("review-attempt")).toHaveText("attempt 2");
    await openFileDrawer(page);
    await expect(fileRow(page, "notes/methods.md")).toHaveAttribute("data-uncommitted", "false");
    await closeFileDrawer(page);
    const after = await api.query<RunRecord>("runs.get", { runId: run.id });
    const head = after.workers.find((w) => w.id === worker.id)!.worktreeCommit!;
    expect(head).not.toBe(worker.worktreeCommit);
    await expect(page.getByTestId("diff-head")).toHaveText(head.slice(0, 10));

    // Since the previous attempt: only the new line of notes/methods.md.
    await expect(page.getByTestId("since-previous")).toBeEnabled();
    await page.getByTestId("since-previous").click();
    await expect(page.getByTestId("changes-view")).toHaveAttribute("data-since", "previousAttempt");
    await openFileDrawer(page);
    await expect(page.getByTestId("file-row")).toHaveCount(1);
    await expect(fileRow(page, "notes/methods.md")).toBeVisible();
    await closeFileDrawer(page);
    await expect(page.getByTestId("since-note")).toContainText(worker.worktreeCommit!.slice(0, 10));
    const sinceDiff = page.getByTestId("file-diff");
    await expect(sinceDiff.locator('[data-testid="diff-line"][data-type="add"] .diff-code')).toHaveText(["A power analysis is now included."]);
    await expect(sinceDiff.locator('[data-testid="diff-line"][data-type="del"]')).toHaveCount(0);
    // All changes again: both files of the worker.
    await page.getByTestId("since-base").click();
    await openFileDrawer(page);
    await expect(page.getByTestId("file-row")).toHaveCount(2);
    await closeFileDrawer(page);

    // Discard asks first and says what would be lost — built outputs git ignores too; cancelling changes nothing.
    mkdirSync(join(worker.worktreePath, "build"));
    for (const f of ["a.o", "b.o"]) writeFileSync(join(worker.worktreePath, "build", f), "object\n");
    await page.getByTestId("review-tab-merge").click();
    await page.getByTestId("discard-open").click();
    await expect(page.getByTestId("discard-summary")).toHaveAttribute("data-uncommitted", "0");
    await expect(page.getByTestId("discard-summary")).toHaveAttribute("data-ignored", "1");
    await expect(page.getByTestId("discard-ignored")).toContainText("1 ignored file or folder (built outputs, data) will be deleted");
    await expect(page.getByTestId("discard-ignored-paths")).toHaveText("build/");
    await expectPhoneFriendly(page, "discard dialog");
    await page.getByTestId("discard-delete-branch").check();
    await expect(page.getByTestId("discard-summary")).toHaveAttribute("data-commits", "2");
    await expect(page.getByTestId("discard-summary")).toContainText("2 commits");
    await page.getByRole("button", { name: "Cancel" }).click();
    await expect(page.getByTestId("discard-dialog")).not.toBeVisible();
    expect(existsSync(worker.worktreePath)).toBe(true);
    expect(existsSync(join(worker.worktreePath, "build", "a.o"))).toBe(true);
    await context.close();
  });

  test("a 1,203-file diff stays virtualized; a file over the limit loads on request; hunks by keyboard; conflicts refuse the merge; discard", async ({ browser }) => {
    const context = await browser.newContext(wide());
    const page = await loginTo(context, server!, server!.token);
    const worker = run.workers.find((w) => w.id === "worker-3-measurement_auditor")!;
    await page.goto(`${server!.baseURL}/runs/${run.id}/review/${worker.id}?file=data/big.csv`);

    // Every file is counted, few rows are in the DOM.
    await expect(page.getByTestId("diff-totals")).toContainText("1203 files");
    await openFileDrawer(page);
    await expect(page.getByTestId("file-tree")).toHaveAttribute("data-count", "1203");
    const rendered = await page.getByTestId("file-row").count();
    expect(rendered).toBeGreaterThan(3);
    expect(rendered).toBeLessThan(150);
    await page.getByTestId("file-filter").fill("file-1199.txt");
    await expect(page.getByTestId("file-row")).toHaveCount(1);
    await expect(page.getByTestId("file-row")).toHaveAttribute("data-path", "data/gen/11/file-1199.txt");
    // Folders group the tree (a chain of single folders is one row) and collapse.
    await expect(page.getByTestId("folder-row")).toHaveText(["▾data/gen/11/1"]);
    await page.locator('[data-testid="folder-row"][data-path="data/gen/11"]').click();
    await expect(page.getByTestId("file-row")).toHaveCount(0);
    await page.locator('[data-testid="folder-row"][data-path="data/gen/11"]').click();
    await expect(page.getByTestId("file-row")).toHaveCount(1);
    await page.getByTestId("file-filter").fill("");
    await closeFileDrawer(page);

    // data/big.csv is over the line limit: collapsed with its stats until "Load anyway".
    const big = page.getByTestId("file-diff");
    await expect(big).toHaveAttribute("data-path", "data/big.csv");
    await expect(page.getByTestId("diff-too-large")).toContainText("20500 changed lines");
    await page.getByTestId("load-anyway").click();
    await expect(page.getByTestId("diff-body")).toBeVisible();
    await expect(big.locator('[data-testid="diff-line"]').first().locator(".diff-code")).toHaveText("1");
    const lines = await big.locator('[data-testid="diff-line"]').count();
    expect(lines).toBeGreaterThan(10);
    expect(lines).toBeLessThan(400); // 20,500 lines, virtualized

    // ] and [ move between the two hunks of src/long.txt.
    await openFileDrawer(page);
    await page.getByTestId("file-filter").fill("src/");
    await page.locator('[data-testid="file-row"][data-path="src/long.txt"]').click();
    const long = page.getByTestId("file-diff");
    await expect(long).toHaveAttribute("data-path", "src/long.txt");
    await expect(long.getByTestId("diff-hunk")).toHaveCount(2);
    await page.locator("body").press("]");
    await expect(long.locator('[data-testid="diff-hunk"][data-hunk="1"]')).toHaveClass(/is-current/);
    await page.locator("body").press("[");
    await expect(long.locator('[data-testid="diff-hunk"][data-hunk="0"]')).toHaveClass(/is-current/);
    await expect(long.locator('[data-testid="diff-hunk"][data-hunk="1"]')).not.toHaveClass(/is-current/);
    // More context joins the two hunks into one that shows the unchanged lines between them.
    const line20 = long.locator('[data-testid="diff-line"][data-new="20"]');
    await expect(line20).toHaveCount(0);
    await long.getByTestId("diff-context-toggle").click();
    await expect(long.getByTestId("diff-hunk")).toHaveCount(1);
    await expect(line20.locator(".diff-code")).toHaveText("line 20");
    await long.getByTestId("diff-context-toggle").click();
    await expect(long.getByTestId("diff-hunk")).toHaveCount(2);

    // The reviewer's merge changed the same line: the preview lists the conflict with its excerpt and no merge is offered.
    await page.getByTestId("review-tab-merge").click();
    await expect(page.getByTestId("merge-verdict")).toHaveAttribute("data-verdict", "conflicts");
    const conflict = page.locator('[data-testid="merge-conflict"][data-path="src/util.ts"]');
    await expect(conflict).toContainText("<<<<<<< main");
    await expect(conflict).toContainText("return a - b;");
    await expect(page.getByTestId("merge-reasons")).toContainText("conflict with main");
    await expect(page.getByTestId("merge-submit")).toBeDisabled();

    // Discard with the branch: the dialog counts what is lost; confirming removes worktree and branch.
    const mainBefore = git(repo, "rev-parse", "main").trim();
    await page.getByTestId("discard-open").click();
    await page.getByTestId("discard-delete-branch").check();
    await expect(page.getByTestId("discard-summary")).toHaveAttribute("data-commits", "1");
    await expect(page.getByTestId("discard-summary")).toContainText("1 commit would be lost");
    await page.getByTestId("dialog-confirm").click();
    await expect(page.getByTestId("discard-result")).toContainText("branch deleted");
    await expect(page.getByTestId("worker-discarded")).toBeVisible();
    expect(existsSync(worker.worktreePath)).toBe(false);
    expect(git(repo, "branch", "--list", worker.worktreeBranch).trim()).toBe("");
    expect(git(repo, "rev-parse", "main").trim()).toBe(mainBefore);
    await context.close();
  });
});
