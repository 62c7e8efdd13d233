import { expect as baseExpect, test } from "@playwright/test";
import { api, createRun, env, mutate } from "./support/env";
import { openGate } from "./support/fake-script";
import { startForwarder, type Forwarder } from "./support/forwarder";
import { eventsOnDisk as eventsIn, timelineRows } from "./support/timeline";

/** Waits ride on a real server, tmux and git on a shared machine: give each poll some slack. */
const expect = baseExpect.configure({ timeout: 30_000 });

const eventsOnDisk = (runId: string) => eventsIn(env().repo, runId);

test.describe("live updates survive a dropped connection", () => {
  test.setTimeout(120_000);
  let fwd: Forwarder;
  test.beforeEach(async () => {
    fwd = await startForwarder(env().port);
  });
  test.afterEach(async () => {
    await fwd.close();
  });

  test("after the event stream drops mid-run, the page catches up with every event exactly once", async ({ browser, request }) => {
    const run = await createRun(request, ["reviewer", "theory_critic", "methods_critic"]);
    const context = await browser.newContext();
    const page = await context.newPage();
    // The browser reaches the panel through the forwarder, so the test can cut the line.
    await page.goto(`${fwd.baseURL}/?token=${encodeURIComponent(env().token)}`);
    await page.goto(`${fwd.baseURL}/runs/${run.id}`);
    await expect(page.getByTestId("live-state")).toHaveText("live");
    await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));

    await page.getByTestId("action-launch").click();
    await expect(page.locator('[data-testid="worker-card"][data-status="running"]')).toHaveCount(3, { timeout: 30_000 });
    // Every event so far is on the page (the launches are the last ones before the workers' gate).
    await expect(page.locator('[data-testid="timeline-row"][data-type="worker_launched"]')).toHaveCount(3);
    const before = await timelineRows(page);

    // Cut the line: the open SSE stream breaks, and new connections are refused for now.
    fwd.cut();
    await expect(page.getByTestId("live-state")).toHaveText("reconnecting…");

    // Meanwhile the run finishes and a decision is recorded (this test talks to the server directly).
    openGate(env().repo, run.id);
    await expect
      .poll(async () => (await api<{ status: string }>(request, "runs.get", { runId: run.id })).status, { timeout: 45_000 })
      .toBe("completed");
    await mutate(request, "runs.decide", { runId: run.id, answer: "proceed", note: "recorded while the browser was cut off" });
    const onDisk = eventsOnDisk(run.id);
    expect(onDisk.length).toBeGreaterThan(before.length);
    // Nothing new reached the page while the line was cut.
    expect((await timelineRows(page)).length).toBe(before.length);

    fwd.restore();
    await expect(page.getByTestId("live-state")).toHaveText("live", { timeout: 30_000 });
    await expect(page.getByTestId("timeline-row")).toHaveCount(onDisk.length, { timeout: 30_000 });

    const after = await timelineRows(page);
    // Exactly the events on disk, in order: no gap, no duplicate.
    expect(after.map((r) => r.id)).toEqual(onDisk.map((e) => e.id));
    expect(new Set(after.map((r) => r.seq)).size).toBe(after.length);
    for (let i = 1; i < after.length; i++) expect(after[i]!.seq).toBeGreaterThan(after[i - 1]!.seq);
    // What was already shown stayed as it was.
    expect(after.slice(0, before.length)).toEqual(before);

    // The state the missed events carried was applied: cards, run status, decision — in the same document.
    await expect(page.locator('[data-testid="worker-card"][data-status="completed"]')).toHaveCount(3);
    await expect(page.getByTestId("run-status")).toHaveText("completed");
    await expect(page.getByTestId("run-last-decision")).toHaveText("proceed");
    await expect(page.getByTestId("decision-answer").first()).toHaveText("proceed");
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);

    // A second drop, with nothing new meanwhile: still exactly once.
    fwd.cut();
    await expect(page.getByTestId("live-state")).toHaveText("reconnecting…");
    fwd.restore();
    await expect(page.getByTestId("live-state")).toHaveText("live", { timeout: 30_000 });
    expect((await timelineRows(page)).map((r) => r.id)).toEqual(eventsOnDisk(run.id).map((e) => e.id));
    await context.close();
  });
});
