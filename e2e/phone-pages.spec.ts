/**
 * The pages and panels added after the first phone pass, each in a state with real content, at
 * both sizes (the phone project runs this spec too): the Hosts page with a registered host that
 * cannot be reached and its failed check; the new-run form with per-member agent, model and host
 * choices; the run page's approval notice, then its workers' ports; Settings' repository setup
 * (the text to approve, a diff against the approved text, a refused config); the merge queue
 * (candidates, waiting items with ↑/↓, reorder by keyboard and by drag, a landed item's check
 * log, a conflict); the runs list's repository-health banner and the Doctor (its Agents table and
 * Repositories). On the phone every state passes expectPhoneFriendly; at both sizes each page's
 * primary action is reached with Tab and done with Enter. Its own server and repository (a config
 * with setup, ports and a check), so the shared e2e server keeps no hosts and no config.
 */
import { mkdtempSync, realpathSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect as baseExpect, test, type Browser, type Locator, type Page } from "@playwright/test";
import { makeFakeCodex } from "../test/support/fake-codex";
import { gatesDirOf, openGateIn, waitForGate } from "./support/fake-script";
import { contextOptions, expectPhoneFriendly, isPhone, tabTo } from "./support/phone";
import { apiOf, git, loginTo, makeRepoWith, stopOwnServer, waitForWorkers, type ServerApi } from "./support/review-server";
import { startServer, type RunningServer } from "./support/server";

const expect = baseExpect.configure({ timeout: 30_000 });

// A check whose log has a line no phone is wide enough for (it must scroll in its own box).
const LONG = `checked:${"x".repeat(160)}`;
const CONFIG = { setup: "echo setting up the worktree", ports: 2, check: `echo ${LONG}; echo check passed` };
const result = (role: string, label: string) => ({ role, label, status: "completed", summary: `${label} wrote its file.`, claims: [], objections: [], openQuestions: [], evidenceRefs: [], error: "" });

let server: RunningServer | undefined;
let api: ServerApi;
let repo: string;
let gates: string;
const dirs: string[] = [];
let runId = "";

/** A page of our own server, logged in, at the project's size. */
async function open(browser: Browser, path: string): Promise<Page> {
  const page = await loginTo(await browser.newContext(contextOptions({ viewport: { width: 1280, height: 900 } })), server!, server!.token);
  await page.goto(`${server!.baseURL}${path}`);
  return page;
}

const items = (panel: Locator) => panel.getByTestId("queue-item").evaluateAll((els) => els.map((e) => e.getAttribute("data-worker-id")));

test.describe.configure({ mode: "serial" });

test.describe("pages at phone size", () => {
  test.setTimeout(150_000);

  test.beforeAll(async () => {
    test.setTimeout(300_000);
    const work = realpathSync(mkdtempSync(join(tmpdir(), "ltp-e2e-phone-")));
    dirs.push(work);
    // Each member waits for the test's gate (so the queue can hold them while they run), then
    // changes the same line: the first to land merges, the second is held with its conflict.
    gates = gatesDirOf(join(work, "codex"));
    const codex = await makeFakeCodex(work, {
      reviewer: [{ message: "Reviewer is reading." }, { shell: waitForGate(gates, "gate-open", 6000) }, { write: { path: "shared.txt", content: "the reviewer's line\n" } }, { result: result("reviewer", "Reviewer") }],
      theory_critic: [{ message: "Theory Critic is reading." }, { shell: waitForGate(gates, "gate-open", 6000) }, { write: { path: "shared.txt", content: `${LONG}\n` } }, { result: result("theory_critic", "Theory Critic") }],
    });
    repo = makeRepoWith({ "README.md": "# phone pages\n", "shared.txt": "base\n", ".longtable-panel.json": `${JSON.stringify(CONFIG, null, 2)}\n` });
    dirs.push(repo);
    server = await startServer({ repo, env: { LONGTABLE_CODEX_BIN: codex, LONGTABLE_SANDBOX_WRITABLE: work } });
    api = apiOf(server);
  });

  test.afterAll(async () => {
    await stopOwnServer(server);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test("Hosts: add a host with the keyboard; it cannot be reached and its check says why", async ({ browser }) => {
    const page = await open(browser, "/hosts");
    await expect(page.getByTestId("no-hosts")).toBeVisible();
    await expectPhoneFriendly(page, "hosts page, no hosts");
    const form = page.getByTestId("host-form");
    await form.getByLabel("Name").fill("gpu-box");
    // Nothing listens on port 1 here: ssh fails at once.
    await form.getByLabel("SSH destination").fill("nobody@127.0.0.1");
    await form.getByLabel("Clone path there").fill("/srv/a/rather/long/path/to/the/clone/of/the/paper/repository");
    await form.getByLabel("ssh options").fill("Port=1\nConnectTimeout=3");
    await form.getByLabel("ssh options").focus();
    await tabTo(page, form.getByRole("button", { name: "Add host" }));
    await page.keyboard.press("Enter");
    const item = page.locator('[data-testid="host-item"][data-host-id="gpu-box"]');
    await expect(item).toBeVisible();
    await item.getByTestId("host-check").click();
    await expect(item.locator('[data-testid="host-check-row"][data-name="ssh"]')).toHaveAttribute("data-ok", "false");
    await expectPhoneFriendly(page, "hosts page, a host and its failed check");
    await page.context().close();
  });

  test("new run: members with agent, model and host choices; Create run with the keyboard; the approval notice", async ({ browser }) => {
    const page = await open(browser, "/runs/new");
    await page.getByLabel("Prompt").fill("Write a.txt and b.txt.");
    await page.getByRole("button", { name: "None" }).click();
    await page.getByRole("checkbox", { name: "Reviewer", exact: true }).check();
    await page.getByRole("checkbox", { name: "Theory Critic" }).check();
    await page.getByRole("button", { name: "pick a model for Reviewer" }).click();
    await page.getByLabel("Model for Reviewer").fill("gpt-5-codex");
    await expect(page.locator('[data-testid="member-host"][data-role="theory_critic"]')).toBeVisible();
    await expect(page.getByTestId("member-agent")).toHaveCount(2);
    await expectPhoneFriendly(page, "new-run form with member choices and hosts");
    // The model field keeps whatever the agent takes: leave it empty so the fake codex's default runs.
    await page.getByLabel("Model for Reviewer").fill("");
    await page.getByLabel("Mode", { exact: true }).focus();
    await tabTo(page, page.getByRole("button", { name: "Create run" }));
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/runs\/panel_run_[a-z0-9]+_[a-z0-9]+$/);
    runId = page.url().split("/").pop()!;
    await expect(page.getByTestId("worker-card")).toHaveCount(2);

    // Launch (with the keyboard): the config is not approved, so the page says so and nothing starts.
    await tabTo(page, page.getByTestId("action-launch"));
    await page.keyboard.press("Enter");
    await expect(page.getByTestId("setup-approval-notice")).toBeVisible();
    await expect(page.getByTestId("setup-waiting")).toHaveText("Reviewer, Theory Critic");
    await expectPhoneFriendly(page, "run page with the approval notice");
    await page.context().close();
  });

  test("Settings: the config to approve, approved with the keyboard; the workers' ports on the run page", async ({ browser }) => {
    const page = await open(browser, `/runs/${runId}`);
    await page.getByTestId("setup-review-link").click();
    await page.waitForURL(/\/settings#repo-setup-/);
    const card = page.getByTestId("repo-config");
    await expect(card.getByTestId("config-state")).toHaveAttribute("data-state", "needs_approval");
    await expect(card.getByTestId("config-text")).toContainText(LONG);
    await expectPhoneFriendly(page, "settings, config to approve");
    await tabTo(page, card.getByTestId("config-approve"));
    await page.keyboard.press("Enter");
    await expect(card.getByTestId("config-state")).toHaveAttribute("data-state", "approved");
    await waitForWorkers(api, runId, ["running"], 60_000);
    // The run's workers now run, each with its ports and the ssh -L line that reaches them.
    await page.goto(`${server!.baseURL}/runs/${runId}`);
    await expect(page.getByTestId("setup-approval-notice")).toHaveCount(0);
    await expect(page.getByTestId("worker-port")).toHaveCount(4);
    await page.getByTestId("worker-card").first().locator(".port-tunnel summary").click();
    await expect(page.getByTestId("worker-tunnel").first()).toContainText("ssh -N -L");
    await expectPhoneFriendly(page, "run page, workers with their ports");
    await page.context().close();
  });

  test("the merge queue: candidates, waiting items reordered with ↑/↓ and by drag, a landed item's check log, a held item's conflict", async ({ browser }) => {
    const page = await open(browser, `/runs/${runId}/review`);
    const panel = page.getByTestId("queue-panel");
    await expect(panel).toHaveAttribute("data-state", "none");
    const run = await api.query<{ workers: Array<{ id: string }> }>("runs.get", { runId });
    const [A, B] = run.workers.map((w) => w.id) as [string, string];
    await expect(panel.getByTestId("queue-pick")).toHaveCount(2);
    await expectPhoneFriendly(page, "review, queue candidates");
    // Pick both while they still run: they wait in the queue.
    await panel.locator(`[data-testid="queue-pick"][data-worker-id="${A}"]`).check();
    await panel.locator(`[data-testid="queue-pick"][data-worker-id="${B}"]`).check();
    await tabTo(page, panel.getByTestId("queue-accept-picked"));
    await page.keyboard.press("Enter");
    await expect(panel.getByTestId("queue-item")).toHaveCount(2);
    await expect(panel.getByTestId("queue-item").first()).toHaveAttribute("data-state", "waiting");
    expect(await items(panel)).toEqual([A, B]);
    await expectPhoneFriendly(page, "review, waiting queue items");

    const item = (id: string) => panel.locator(`[data-testid="queue-item"][data-worker-id="${id}"]`);
    await item(B).getByTestId("queue-up").focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => items(panel)).toEqual([B, A]);
    if (!isPhone()) {
      // Drag is a pointer gesture (the ↑/↓ buttons are the touch screen's way).
      await item(A).dragTo(item(B));
      await expect.poll(() => items(panel)).toEqual([A, B]);
    }

    // Let them finish: the first ready lands behind the check (whose log has a very long line),
    // the other is held with its conflict (one side a very long line) and the buttons to act on it.
    openGateIn(gates, runId);
    const [first, second] = [panel.locator('[data-testid="queue-item"][data-state="merged"]'), panel.locator('[data-testid="queue-item"][data-state="conflict"]')];
    await expect(first).toHaveCount(1, { timeout: 60_000 });
    await expect(second).toHaveCount(1, { timeout: 60_000 });
    await expect(second.getByTestId("queue-conflicts")).toContainText("shared.txt");
    await expect(second.getByTestId("queue-send-back")).toBeVisible();
    const log = first.getByTestId("queue-check-log");
    await log.locator("summary").click();
    await expect(log).toContainText(LONG);
    await expectPhoneFriendly(page, "review, a merged item with its check log open and a held one with its conflict");
    await page.context().close();
  });

  test("the runs list's repository banner and the Doctor (agents, repositories), Check again with the keyboard", async ({ browser }) => {
    // A stale lock in the checkout: git will not work there until it goes.
    const lock = join(repo, ".git", "index.lock");
    writeFileSync(lock, "");
    try {
      const page = await open(browser, "/");
      await expect(page.getByTestId("repo-health-problem")).toContainText("index.lock");
      await expectPhoneFriendly(page, "runs list with the repository banner");

      await page.goto(`${server!.baseURL}/doctor`);
      await expect(page.getByTestId("doctor-agents").getByTestId("doctor-agent").first()).toBeVisible();
      await expect(page.getByTestId("doctor-repos").locator("li")).toContainText([`${repo} — 1 problem (below)`]);
      await expect(page.getByTestId("doctor").getByTestId("repo-health-problem")).toBeVisible();
      await expectPhoneFriendly(page, "doctor with a repository problem");
      unlinkSync(lock);
      await tabTo(page, page.getByRole("button", { name: "Check again" }));
      await page.keyboard.press("Enter");
      await expect(page.getByTestId("doctor-repos").locator("li")).toContainText([`${repo} — git works there`]);
      await page.context().close();
    } finally {
      rmSync(lock, { force: true });
    }
  });

  test("Settings: a changed config shows its diff against the approved text; a refused one its errors", async ({ browser }) => {
    writeFileSync(join(repo, ".longtable-panel.json"), `${JSON.stringify({ ...CONFIG, ports: 3, copy: [".env.a-rather-long-local-file-name-that-does-not-wrap"] }, null, 2)}\n`);
    git(repo, "commit", "-qam", "config: a port and a copied file");
    const page = await open(browser, "/settings");
    const card = page.getByTestId("repo-config");
    await expect(card.getByTestId("config-state")).toHaveAttribute("data-state", "needs_approval");
    await expect(card.getByTestId("config-diff")).toContainText('+  "ports": 3,');
    await expectPhoneFriendly(page, "settings, diff against the approved text");
    // A config the panel refuses: each field's error, nothing to approve.
    writeFileSync(join(repo, ".longtable-panel.json"), `${JSON.stringify({ ...CONFIG, ports: "a-great-many-ports-for-every-single-worker-of-the-run" }, null, 2)}\n`);
    git(repo, "commit", "-qam", "config: ports that are not a number");
    await page.reload();
    await expect(card.getByTestId("config-state")).toHaveAttribute("data-state", "invalid");
    await expect(card.locator('[data-testid="config-issue"][data-field="ports"]')).toContainText("ports must be a number");
    await expect(card.getByTestId("config-approve")).toHaveCount(0);
    await expectPhoneFriendly(page, "settings, a refused config");
    await page.context().close();
  });
});
