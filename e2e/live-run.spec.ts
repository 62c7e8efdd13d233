import { readFileSync } from "node:fs";
import { expect as baseExpect, test, type Page } from "@playwright/test";
import { api, env, login } from "./support/env";
import { notePathOf, openGate, summaryOf } from "./support/fake-script";
import { contextOptions, expectPhoneFriendly } from "./support/phone";

/** Waits ride on a real server, tmux and git on a shared machine: give each poll some slack. */
const expect = baseExpect.configure({ timeout: 30_000 });

const ROLES = [
  { role: "reviewer", label: "Reviewer" },
  { role: "theory_critic", label: "Theory Critic" },
  { role: "methods_critic", label: "Methods Critic" },
];

const card = (page: Page, role: string) => page.locator(`[data-testid="worker-card"][data-worker-id$="-${role}"]`);

test.describe("live run dashboard", () => {
  test.setTimeout(150_000);

  test("a run launched from the browser goes pending → running → completed without a reload; activity, terminal, synthesis and a decision", async ({ browser, request }) => {
    const context = await browser.newContext({ acceptDownloads: true, ...contextOptions() });
    // The runs list stays open in its own tab the whole time: it must follow the run live.
    const list = await login(context);
    await expect(list.getByTestId("runs-live-state")).toHaveText("live");
    await list.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
    await expectPhoneFriendly(list, "runs list");
    const page = await context.newPage();

    // Create the run with the form: three of the default roles.
    await page.goto(`${env().baseURL}/runs/new`);
    await page.getByLabel("Prompt").fill("Review src/app.txt and write notes.");
    await page.getByRole("button", { name: "None" }).click();
    for (const { label } of ROLES) await page.getByLabel(label, { exact: true }).check();
    await expectPhoneFriendly(page, "new run form");
    await page.getByRole("button", { name: "Create run" }).click();
    await page.waitForURL(/\/runs\/panel_run_[a-z0-9]+_[a-z0-9]+$/);
    const runId = new URL(page.url()).pathname.split("/").pop()!;

    const listRow = list.locator(`[data-testid="run-row"][data-run-id="${runId}"]`);
    await expect(listRow).toHaveAttribute("data-status", "planned"); // run_created made the list refetch once

    await expect(page.getByTestId("worker-card")).toHaveCount(3);
    for (const { role } of ROLES) await expect(card(page, role)).toHaveAttribute("data-status", "pending");
    await expect(page.getByTestId("live-state")).toHaveText("live");
    await expect(page.getByTestId("action-launch")).toBeEnabled();
    await expect(page.getByTestId("action-resume")).toBeDisabled();
    await expect(page.getByTestId("action-stop")).toBeDisabled();

    // Everything below happens in this one document: a reload would clear the marker.
    await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));

    await page.getByTestId("action-launch").click();
    for (const { role } of ROLES) {
      await expect(card(page, role).getByTestId("worker-status")).toHaveText("running", { timeout: 30_000 });
      await expect(card(page, role).getByTestId("worker-exec")).toHaveText("running");
    }
    await expect(page.getByTestId("run-status")).toHaveText("running");
    await expect(page.getByTestId("action-stop")).toBeEnabled();
    await expect(page.getByTestId("action-launch")).toBeDisabled();
    // The supervisor's activity shows up on the cards while the workers wait at their gate.
    await expect(card(page, "reviewer").getByTestId("worker-last-activity")).toContainText("grep -n alpha src/app.txt", { timeout: 20_000 });

    openGate(env().repo, runId);
    for (const { role } of ROLES) {
      await expect(card(page, role).getByTestId("worker-status")).toHaveText("completed", { timeout: 45_000 });
      await expect(card(page, role).getByTestId("worker-commit")).toHaveText(/^[0-9a-f]{10}$/);
      await expect(card(page, role).getByTestId("worker-tokens")).toContainText(" in ·");
    }
    await expect(page.getByTestId("run-status")).toHaveText("completed");
    await expect(listRow).toHaveAttribute("data-status", "completed");
    await expect(page.getByTestId("action-stop")).toBeDisabled();
    await expect(page.getByTestId("action-shutdown")).toBeEnabled();
    // The timeline got every worker's result.
    await expect(page.locator('[data-testid="timeline-row"][data-type="worker_result"]')).toHaveCount(3);
    await expectPhoneFriendly(page, "run page (cards, timeline, actions)");
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);

    // Activity of the reviewer: the file it wrote, a failed command with its output.
    await card(page, "reviewer").getByTestId("open-activity").click();
    await expect(page.getByTestId("activity-view")).toBeVisible();
    const rows = page.getByTestId("activity-row");
    await expect(rows.filter({ hasText: notePathOf("reviewer") }).first()).toBeVisible();
    await expect(page.locator('[data-testid="activity-row"][data-kind="file_change"]')).toContainText(notePathOf("reviewer"));
    const lint = page.locator('[data-testid="activity-row"][data-kind="command"]').filter({ hasText: "npm run lint" });
    await expect(lint.getByTestId("exit-code")).toHaveText("exit 1");
    await lint.getByTestId("toggle-output").click();
    await expect(lint).toContainText("notes need a citation");
    await expect(page.locator('[data-testid="activity-row"][data-kind="todo"]')).toContainText("Read src/app.txt");
    await expect(page.locator('[data-testid="activity-row"][data-kind="message"]').first()).toContainText("Reviewer is reading the task");
    await expectPhoneFriendly(page, "activity");

    // Terminal: the pane's final screen and the exact attach command.
    await page.getByTestId("nav-terminal").click();
    await expect(page.getByTestId("attach-command")).toHaveText(new RegExp(`^tmux -L ${env().tmuxSocket} attach -t \\S+:worker-\\d+-reviewer$`));
    await expect(page.getByTestId("terminal")).toContainText(notePathOf("reviewer"));
    await expect(page.getByTestId("terminal-state")).toHaveText("not running");
    await expectPhoneFriendly(page, "terminal");

    // Synthesis: every member's summary, side by side, and the exports.
    await page.goto(`${env().baseURL}/runs/${runId}?view=synthesis`);
    await expect(page.getByTestId("synthesis-member")).toHaveCount(3);
    for (const { role, label } of ROLES) {
      await expect(page.locator(`[data-testid="synthesis-member"][data-role="${role}"]`).getByTestId("member-summary")).toHaveText(summaryOf(label));
    }
    // "The sample size is not justified" was raised by two roles: one group lists both.
    await expect(page.getByTestId("objection-groups").getByTestId("synthesis-group").first()).toContainText("Reviewer");
    await expect(page.getByTestId("objection-groups").getByTestId("synthesis-group").first()).toContainText("Methods Critic");
    await expect(page.getByTestId("disagreement").first()).toContainText("Theory Critic");
    await expectPhoneFriendly(page, "synthesis");

    const [md] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-markdown").click()]);
    expect(md.suggestedFilename()).toBe(`${runId}-panel.md`);
    expect(readFileSync((await md.path())!, "utf8")).toContain(`# Panel run ${runId}`);
    const [json] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-json").click()]);
    expect(json.suggestedFilename()).toBe(`${runId}-panel-result.json`);
    const aggregate = JSON.parse(readFileSync((await json.path())!, "utf8")) as { memberResults: { role: string }[] };
    expect(aggregate.memberResults.map((m) => m.role).sort()).toEqual(ROLES.map((r) => r.role).sort());

    // Decision checkpoint.
    await page.getByTestId("decision-revise").check();
    await page.getByTestId("decision-note").fill("Justify the sample size first.");
    await page.getByTestId("decision-submit").click();
    await expect(page.getByTestId("decision-answer").first()).toHaveText("revise");
    await expect(page.getByTestId("run-last-decision")).toHaveText("revise");
    await expect(listRow.getByTestId("run-row-decision")).toHaveText("revise");
    expect(await list.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    await page.getByTestId("tab-timeline").click();
    await expect(page.locator('[data-testid="timeline-row"][data-type="decision_recorded"]')).toContainText("Justify the sample size first.");

    await page.reload();
    await expect(page.getByTestId("decision-answer").first()).toHaveText("revise");
    await expect(page.getByTestId("decision-item").first()).toContainText("Justify the sample size first.");
    const stored = await api<{ answer: string }[]>(request, "runs.decisions", { runId });
    expect(stored[0]?.answer).toBe("revise");

    // A fresh runs list shows the decision and the status too.
    await page.goto(env().baseURL);
    const row = page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`);
    await expect(row.getByTestId("run-row-decision")).toHaveText("revise");
    await expect(row).toHaveAttribute("data-status", "completed");
    await context.close();
  });
});
