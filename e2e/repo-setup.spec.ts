/**
 * The repository config in the browser (ARCHITECTURE.md §10): a run in a repo whose committed
 * .longtable-panel.json is not approved says so and which worker waits; an operator reads and
 * approves it on the settings page; the worker card then shows `setting up` while setup runs in
 * its window (visible in the terminal view), and its ports with the `ssh -L` line.
 * Its own repository, so the shared e2e repo keeps running without a config (the panel keeps
 * listing it after the test removes its folder, which is why its name sorts last).
 */
import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect as baseExpect, test } from "@playwright/test";
import { api, env, login, mutate, type E2eRun } from "./support/env";
import { gatesDirOf, openGate, openGateIn, waitForGate } from "./support/fake-script";
import { makeE2eRepo } from "./support/server";

/** Waits ride on a real server, tmux and git on a shared machine: give each poll some slack. */
const expect = baseExpect.configure({ timeout: 30_000 });

test.describe("repository setup", () => {
  test.setTimeout(150_000);
  let repo = "";
  test.afterAll(() => {
    // The shared server still knows this repo (and may be finishing a write in its run folder).
    if (repo) rmSync(repo, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  });

  test("approval in the UI, then the setting-up phase, the setup in the terminal, and the worker's ports", async ({ browser, request }) => {
    // Named to sort after the shared e2e repo: the new-run form of later specs picks the first repo by name.
    repo = makeE2eRepo("zz-ltp-e2e-setup-");
    const gates = gatesDirOf(process.env.LTP_CODEX_BIN!);
    const config = {
      // Setup waits for the test's gate (in the fake codex's folder, which the sandbox shows).
      setup: `echo 'installing the workspace'; ${waitForGate(gates, "setup-open", 1200, true)}`,
      copy: [".env"],
      ports: 2,
      env: { PORT: "${LONGTABLE_PANEL_PORT}" },
    };
    writeFileSync(join(repo, ".longtable-panel.json"), `${JSON.stringify(config, null, 2)}\n`);
    writeFileSync(join(repo, ".gitignore"), ".env\n");
    writeFileSync(join(repo, ".env"), "TOKEN=local\n");
    execFileSync("git", ["add", "-A"], { cwd: repo });
    execFileSync("git", ["commit", "-qm", "panel config"], { cwd: repo });

    const run = await mutate<E2eRun & { repoId: string }>(request, "runs.create", { repoPath: repo, prompt: "Review src/app.txt.", roles: ["reviewer"], mode: "review" });
    const context = await browser.newContext();
    const page = await login(context);
    await page.goto(`${env().baseURL}/runs/${run.id}`);
    await expect(page.getByTestId("live-state")).toHaveText("live");
    const card = page.getByTestId("worker-card");

    // Launch: nothing starts; the page says approval is needed and who waits.
    await page.getByTestId("action-launch").click();
    await expect(page.getByTestId("setup-approval-notice")).toBeVisible();
    await expect(page.getByTestId("setup-waiting")).toHaveText("Reviewer");
    await expect(card.getByTestId("worker-phase")).toHaveText("waiting for approval");
    await expect(card).toHaveAttribute("data-status", "pending");
    // A run waiting for approval can be stopped (nothing would start for it later).
    await expect(page.getByTestId("action-stop")).toBeEnabled();

    // Settings: the text, its state, and the approve button.
    await page.getByTestId("setup-review-link").click();
    await page.waitForURL(/\/settings#repo-setup-/);
    const repoCard = page.locator(`[data-testid="repo-config"][data-repo-id="${run.repoId}"]`);
    await expect(repoCard.getByTestId("config-state")).toHaveAttribute("data-state", "needs_approval");
    await expect(repoCard.getByTestId("config-text")).toContainText('"ports": 2');
    await expect(repoCard.getByTestId("config-waiting")).toContainText(`Reviewer (${run.id})`);
    await repoCard.getByTestId("config-approve").click();
    await expect(repoCard.getByTestId("config-state")).toHaveAttribute("data-state", "approved");
    await expect(repoCard.getByTestId("config-approve")).toHaveCount(0);

    // Back on the run: setup runs in the worker's window before the agent.
    await page.goto(`${env().baseURL}/runs/${run.id}`);
    await expect(page.getByTestId("setup-approval-notice")).toHaveCount(0);
    await expect(card.getByTestId("worker-phase")).toHaveText("setting up");
    await expect(card).toHaveAttribute("data-status", "running");
    const worker = (await api<E2eRun & { workers: { ports?: number[] }[] }>(request, "runs.get", { runId: run.id })).workers[0]!;
    const ports = worker.ports!;
    expect(ports).toHaveLength(2);
    await expect(card.getByTestId("worker-port")).toHaveText(ports.map(String));
    await expect(card.getByTestId("worker-port").first()).toHaveAttribute("href", `http://127.0.0.1:${ports[0]}`);
    await card.locator(".port-tunnel summary").click();
    await expect(card.getByTestId("worker-tunnel")).toHaveText(`ssh -N -L ${ports[0]}:127.0.0.1:${ports[0]} -L ${ports[1]}:127.0.0.1:${ports[1]} <ssh-host>`);

    await card.getByTestId("open-terminal").click();
    await expect(page.getByTestId("terminal")).toContainText("setup (.longtable-panel.json)");
    await expect(page.getByTestId("terminal")).toContainText("installing the workspace");
    await page.goBack();

    // Setup passes: the phase goes, the agent runs and completes.
    openGateIn(gates, run.id, "setup-open");
    await expect(card.getByTestId("worker-phase")).toHaveCount(0);
    await expect(page.locator('[data-testid="timeline-row"][data-type="setup_finished"]')).toHaveCount(1);
    openGate(repo, run.id);
    await expect(card).toHaveAttribute("data-status", "completed", { timeout: 45_000 });
    // Shut down: the worktree goes and the ports are released.
    await mutate(request, "runs.shutdown", { runId: run.id });
    await expect(card.getByTestId("worker-ports")).toHaveCount(0);
    await context.close();
  });
});
