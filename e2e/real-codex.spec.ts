/**
 * The real codex (node_modules/.bin/codex, pinned) as a panel worker, driven from the browser,
 * offline: this spec starts the scripted model server (test/support/model-server.ts) on
 * 127.0.0.1 and its own panel server whose launch.sh runs codex against it (temp CODEX_HOME,
 * `-c model_provider=mock …` in LONGTABLE_CODEX_ARGS, MOCK_KEY passed through LONGTABLE_AGENT_ENV:
 * test/support/codex-env.ts). The model makes codex run a real `exec_command` that writes a file,
 * then answers with the result JSON; the run is created and launched in the browser, reviewed
 * and merged, and the leader branch gets the file.
 */
import { expect as baseExpect, test } from "@playwright/test";
import { CODEX_BIN, makeCodexEnv, type CodexEnv } from "../test/support/codex-env";
import { startModelServer, type ModelServer } from "../test/support/model-server";
import { apiOf, git, loginTo, makeRepoWith, stopOwnServer, type RunRecord } from "./support/review-server";
import { startServer, type RunningServer } from "./support/server";

const expect = baseExpect.configure({ timeout: 30_000 });

const NOTE = "written by the real codex\n";
const RESULT = {
  role: "reviewer", label: "Reviewer", status: "completed", summary: "Added codex-note.md with one line.",
  claims: ["codex-note.md exists"], objections: [], openQuestions: [], evidenceRefs: ["codex-note.md"], error: "",
};

let model: ModelServer | undefined;
let codexEnv: CodexEnv | undefined;
let server: RunningServer | undefined;
let repo: string;

test.describe("real codex from the browser to a merge", () => {
  test.setTimeout(120_000);

  test.beforeAll(async () => {
    test.setTimeout(300_000);
    model = await startModelServer({
      reviewer: [
        { tools: [{ exec: `printf '${NOTE.replace("\n", "\\n")}' > codex-note.md && cat codex-note.md`, login: false }] },
        { message: RESULT },
      ],
    });
    codexEnv = makeCodexEnv(model.baseUrl);
    repo = makeRepoWith({ "README.md": "# real codex e2e\n", "src/app.txt": "one\ntwo\nthree\n" });
    server = await startServer({ repo, env: { LONGTABLE_CODEX_BIN: CODEX_BIN, ...codexEnv.panelEnv } });
  });

  test.afterAll(async () => {
    await stopOwnServer(server);
    await model?.close();
    codexEnv?.cleanup();
  });

  test("create and launch a run in the browser; codex writes a file through exec_command; review and merge it", async ({ browser }) => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await loginTo(context, server!, server!.token);

    // Create the run with the form: one Reviewer.
    await page.goto(`${server!.baseURL}/runs/new`);
    await page.getByLabel("Prompt").fill("Write codex-note.md.");
    await page.getByRole("button", { name: "None" }).click();
    await page.getByLabel("Reviewer", { exact: true }).check();
    await page.getByRole("button", { name: "Create run" }).click();
    await page.waitForURL(/\/runs\/panel_run_[a-z0-9]+_[a-z0-9]+$/);
    const runId = new URL(page.url()).pathname.split("/").pop()!;

    // Launch it from the run page.
    await page.getByTestId("action-launch").click();

    // The review page follows the worker until it completes.
    await page.goto(`${server!.baseURL}/runs/${runId}/review/worker-1-reviewer`);
    await expect(page.getByTestId("review-worker-status")).toHaveText("completed", { timeout: 60_000 });
    expect(model!.violations).toEqual([]);
    expect(model!.requestsFor("reviewer").map((r) => r.outcome)).toEqual(["completed", "completed"]);
    // codex really ran the command: its output came back to the model.
    const outputs = [...model!.toolOutputs.values()].filter((o) => o.key === "reviewer");
    expect(outputs).toHaveLength(1);
    expect(outputs[0]!.output).toContain(NOTE.trim());

    // The diff: the one new file, with the line codex wrote.
    await expect(page.getByTestId("file-row")).toHaveCount(1);
    await expect(page.locator('[data-testid="file-row"][data-path="codex-note.md"]')).toHaveAttribute("data-status", "added");
    await expect(page.locator('[data-testid="diff-line"][data-type="add"] .diff-code')).toHaveText([NOTE.trim()]);

    // Merge (squash) into main.
    const before = git(repo, "rev-parse", "main").trim();
    await page.getByTestId("review-tab-merge").click();
    await expect(page.getByTestId("merge-verdict")).toHaveAttribute("data-verdict", "clean");
    await expect(page.getByTestId("merge-message")).toHaveValue(/^Reviewer \(reviewer\): Added codex-note\.md with one line\./);
    await page.getByTestId("merge-submit").click();
    await expect(page.getByTestId("merge-result")).toBeVisible();
    await expect(page.getByTestId("worker-merged")).toBeVisible();

    const after = git(repo, "rev-parse", "main").trim();
    expect(after).not.toBe(before);
    expect(git(repo, "show", "main:codex-note.md")).toBe(NOTE);
    expect(git(repo, "log", "-1", "--format=%s", "main").trim()).toBe("Reviewer (reviewer): Added codex-note.md with one line.");
    const run = await apiOf(server!).query<RunRecord>("runs.get", { runId });
    expect(run.workers[0]!.merged?.commit).toBe(after);
    await context.close();
  });
});
