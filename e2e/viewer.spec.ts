import { expect as baseExpect, test } from "@playwright/test";
import { api, createRun, env, login, mutate } from "./support/env";
import { openGate } from "./support/fake-script";

/** Waits ride on a real server, tmux and git on a shared machine: give each poll some slack. */
const expect = baseExpect.configure({ timeout: 30_000 });

test.describe("viewer session", () => {
  test.setTimeout(120_000);

  test("a viewer watches a run live, has no enabled action, and a direct mutation is refused", async ({ browser, request }) => {
    const run = await createRun(request, ["reviewer", "measurement_auditor"]);
    const context = await browser.newContext();
    const page = await login(context, env().viewerToken);
    await expect(page.getByTestId("read-only-badge")).toBeVisible();

    await page.goto(`${env().baseURL}/runs/${run.id}`);
    await expect(page.getByTestId("live-state")).toHaveText("live");
    await expect(page.getByTestId("worker-card")).toHaveCount(2);
    await expect(page.getByTestId("read-only-notice")).toBeVisible();
    await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));

    // No enabled action anywhere on the page: not the run actions, not a decision form.
    const actionNames = /^(Launch|Stop|Resume|Shut down|Record decision)/;
    const enabledActions = page.getByRole("button", { name: actionNames }).and(page.locator(":enabled"));
    await expect(page.getByTestId("run-actions")).toHaveCount(0);
    await expect(enabledActions).toHaveCount(0);

    // The operator launches from a script; the viewer sees it happen.
    await mutate(request, "runs.launch", { runId: run.id });
    await expect(page.locator('[data-testid="worker-card"][data-status="running"]')).toHaveCount(2, { timeout: 30_000 });
    await expect(enabledActions).toHaveCount(0);

    openGate(env().repo, run.id);
    await expect(page.locator('[data-testid="worker-card"][data-status="completed"]')).toHaveCount(2, { timeout: 45_000 });
    await expect(page.getByTestId("run-status")).toHaveText("completed");
    await expect(page.getByTestId("decision-panel")).toContainText("read-only");
    await expect(page.getByTestId("decision-form")).toHaveCount(0);
    await expect(enabledActions).toHaveCount(0);
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);

    // The viewer can read the worker views too.
    await page.locator('[data-testid="worker-card"][data-worker-id$="-reviewer"]').getByTestId("open-activity").click();
    await expect(page.locator('[data-testid="activity-row"][data-kind="file_change"]')).toContainText("notes/reviewer.md");

    // A mutation sent from the viewer's own session (cookie, same origin) is refused and changes nothing.
    const refused = await page.evaluate(async (runId) => {
      const res = await fetch("/api/trpc/runs.shutdown", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ runId }),
      });
      return { status: res.status, body: await res.text() };
    }, run.id);
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body).error.message).toMatch(/read-only/);
    const decide = await page.evaluate(async (runId) => {
      const res = await fetch("/api/trpc/runs.decide", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ runId, answer: "proceed" }),
      });
      return res.status;
    }, run.id);
    expect(decide).toBe(403);
    const after = await api<{ bridgeStatus: string; lastDecision: string | null }>(request, "runs.get", { runId: run.id });
    expect(after.bridgeStatus).toBe("completed");
    expect(after.lastDecision).toBeNull();
    await context.close();
  });
});
