/**
 * Issue 15 from the browser: on the run's review page, accept three workers into the merge
 * queue in a chosen order; the repository's approved check runs on each candidate (its log on
 * the page); A and B land on main, C is held with its conflict and sent back with one click; its
 * follow-up completes and it lands on top of B. Reorder with the keyboard, stop and resume. The
 * spec runs its own server with its own fake codex; the leader keeps an uncommitted edit.
 */
import { mkdtempSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect as baseExpect, test } from "@playwright/test";
import { makeFakeCodex, type FakeCodexScript } from "../test/support/fake-codex";
import { apiOf, git, loginTo, makeRepoWith, stopOwnServer, waitForWorkers, type RunRecord, type ServerApi } from "./support/review-server";
import { startServer, type RunningServer } from "./support/server";

const expect = baseExpect.configure({ timeout: 30_000 });

const APP = Array.from({ length: 12 }, (_, i) => `line ${i + 1}`);
const appWith = (changes: Record<number, string>) => `${APP.map((l, i) => changes[i + 1] ?? l).join("\n")}\n`;
const CHECK = "echo checking the candidate; test -e b.txt && echo 'b is here'; echo check passed";
const FILES = { "README.md": "# queue e2e\n", "src/app.txt": appWith({}), "notes.txt": "notes\n", ".longtable-panel.json": JSON.stringify({ check: CHECK }) };
const result = (role: string, label: string, summary: string) => ({ role, label, status: "completed", summary, claims: [], objections: [], openQuestions: [], evidenceRefs: [], error: "" });

const SCRIPT: FakeCodexScript = {
  reviewer: [{ write: { path: "src/app.txt", content: appWith({ 2: "line 2 (A)" }) } }, { result: result("reviewer", "Reviewer", "A changes line 2") }],
  editor: [{ write: { path: "b.txt", content: "b\n" } }, { result: result("editor", "Journal Editor", "B adds b") }],
  methods_critic: [{ write: { path: "src/app.txt", content: appWith({ 2: "line 2 (C)" }) } }, { result: result("methods_critic", "Methods Critic", "C changes line 2 too") }],
  followup: {
    methods_critic: [{ write: { path: "src/app.txt", content: appWith({ 2: "line 2 (A)", 9: "line 9 (C)" }) } }, { result: result("methods_critic", "Methods Critic", "C rebased") }],
  },
};

let server: RunningServer | undefined;
let api: ServerApi;
let repo: string;
let run: RunRecord;

test.describe("the merge queue", () => {
  test.setTimeout(180_000);

  test.beforeAll(async () => {
    test.setTimeout(300_000);
    const codexDir = realpathSync(mkdtempSync(join(tmpdir(), "ltp-e2e-queue-codex-")));
    const codexBin = await makeFakeCodex(codexDir, SCRIPT);
    repo = makeRepoWith(FILES);
    server = await startServer({ repo, env: { LONGTABLE_CODEX_BIN: codexBin, LONGTABLE_SANDBOX_WRITABLE: codexDir } });
    api = apiOf(server);
    const created = await api.mutate<RunRecord & { repoId?: string }>("runs.create", { repoPath: repo, prompt: "Queue them.", roles: ["reviewer", "editor", "methods_critic"], mode: "draft" });
    await api.mutate("runs.launch", { runId: created.id });
    // The config's text is approved by content (Settings does this in the UI; its own spec covers it).
    const { repoId } = await api.query<{ repoId: string }>("runs.get", { runId: created.id });
    const config = await api.query<{ sha256: string }>("repos.config", { repoId });
    await api.mutate("repos.approveConfig", { repoId, sha256: config.sha256 });
    run = await waitForWorkers(api, created.id, ["completed"], 60_000);
    writeFileSync(join(repo, "notes.txt"), "the user's uncommitted edit\n");
  });

  test.afterAll(async () => {
    await stopOwnServer(server);
  });

  test("accept in order, watch them land behind the check, send the conflicting one back, reorder, stop and resume", async ({ browser }) => {
    const before = git(repo, "rev-parse", "main").trim();
    const context = await browser.newContext({ viewport: { width: 1400, height: 950 } });
    const page = await loginTo(context, server!, server!.token);
    await page.goto(`${server!.baseURL}/runs/${run.id}/review`);
    const panel = page.getByTestId("queue-panel");
    await expect(panel).toHaveAttribute("data-state", "none");
    const [A, B, C] = run.workers.map((w) => w.id) as [string, string, string];

    // Pick A, C, B — the numbers show the order — then put B before C by unticking and ticking C again.
    const pick = (id: string) => panel.locator(`[data-testid="queue-pick"][data-worker-id="${id}"]`);
    await pick(A).check();
    await pick(C).check();
    await pick(B).check();
    await pick(C).uncheck();
    await pick(C).check();
    await panel.getByTestId("queue-accept-picked").click();

    const item = (id: string) => panel.locator(`[data-testid="queue-item"][data-worker-id="${id}"]`);
    await expect(panel.getByTestId("queue-item")).toHaveCount(3);
    await expect(item(A)).toHaveAttribute("data-state", "merged");
    await expect(item(B)).toHaveAttribute("data-state", "merged");
    await expect(item(C)).toHaveAttribute("data-state", "conflict");
    expect(await panel.getByTestId("queue-item").evaluateAll((els) => els.map((e) => e.getAttribute("data-worker-id")))).toEqual([A, B, C]);
    // What landed, with its subject; the check's log; C's conflict with both sides.
    await expect(item(B).getByTestId("queue-landed")).toContainText("Journal Editor (editor): B adds b");
    await item(B).getByTestId("queue-check-log").locator("summary").click();
    await expect(item(B).getByTestId("queue-check-log")).toContainText("b is here");
    await expect(item(C).getByTestId("queue-conflicts")).toContainText("src/app.txt");
    await expect(item(C).getByTestId("queue-conflicts")).toContainText("line 2 (A)");
    expect(git(repo, "log", "--reverse", "--format=%s", `${before}..main`).trim().split("\n")).toEqual(["Reviewer (reviewer): A changes line 2", "Journal Editor (editor): B adds b"]);
    const afterB = git(repo, "rev-parse", "main").trim();
    await expect(panel.getByTestId("queue-target-commit")).toContainText(afterB.slice(0, 7));

    // One click sends C back; its follow-up turn completes and C lands on top of B.
    await item(C).getByTestId("queue-send-back").click();
    await expect(item(C)).toHaveAttribute("data-state", /sent_back|waiting|building|checking|merged/);
    await expect(item(C)).toHaveAttribute("data-state", "merged", { timeout: 60_000 });
    const mailbox = readFileSync(run.workers[2]!.mailboxPath, "utf8");
    expect(mailbox).toContain("Rebase onto the target and fix");
    expect(git(repo, "rev-parse", "main^").trim()).toBe(afterB);
    expect(git(repo, "show", "main:src/app.txt")).toBe(appWith({ 2: "line 2 (A)", 9: "line 9 (C)" }));
    expect(readFileSync(join(repo, "notes.txt"), "utf8")).toBe("the user's uncommitted edit\n");

    // Reorder with the keyboard: C up one place.
    await item(C).getByTestId("queue-up").focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => panel.getByTestId("queue-item").evaluateAll((els) => els.map((e) => e.getAttribute("data-worker-id")))).toEqual([A, C, B]);
    // Stop and resume.
    await panel.getByTestId("queue-stop").click();
    await expect(panel).toHaveAttribute("data-state", "stopped");
    await expect(panel.getByTestId("queue-stopped")).toContainText("stopped");
    await panel.getByTestId("queue-resume").click();
    await expect(panel).toHaveAttribute("data-state", "running");
    await context.close();
  });
});
