import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { env, login } from "./support/env";

test("creates a run through the UI, lists it after a reload, and writes the run directory", async ({ context }) => {
  const page = await login(context);
  await page.goto(`${env().baseURL}/runs/new`);
  await expect(page.getByLabel("Repository")).toBeVisible();
  const prompt = `Review the draft; it's "quoted" $(echo nope) — ünïcode ${Date.now()}`;
  await page.getByLabel("Prompt").fill(prompt);
  // defaults are preselected: the four default roles
  await expect(page.getByRole("checkbox", { name: "Reviewer", exact: true })).toBeChecked();
  await expect(page.getByRole("checkbox", { name: "Journal Editor" })).not.toBeChecked();
  await page.getByRole("checkbox", { name: "Journal Editor" }).check();
  await page.getByLabel("Mode").selectOption("critique");
  await page.getByRole("button", { name: "Create run" }).click();

  await page.waitForURL(/\/runs\/panel_run_[a-z0-9]+_[a-z0-9]+$/);
  const runId = page.url().split("/").pop()!;
  await expect(page.getByTestId("worker-card")).toHaveCount(5);
  await expect(page.getByTestId("run-prompt")).toContainText(prompt);

  await page.goto(`${env().baseURL}/`);
  await page.reload();
  const row = page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`);
  await expect(row).toBeVisible();
  await expect(row).toContainText("5");

  const dir = join(env().repo, ".longtable", "panel-runs", runId);
  for (const f of ["run.json", "schema.json", "panel-worker-output.schema.json", "events.jsonl"]) {
    expect(existsSync(join(dir, f)), f).toBe(true);
  }
  const first = JSON.parse(readFileSync(join(dir, "events.jsonl"), "utf8").split("\n")[0]!);
  expect(first.type).toBe("run_created");
  const record = JSON.parse(readFileSync(join(dir, "run.json"), "utf8"));
  expect(record).toMatchObject({ id: runId, status: "planned", mode: "critique", prompt });
  expect(record.workers.map((w: { role: string }) => w.role)).toEqual(["reviewer", "theory_critic", "methods_critic", "measurement_auditor", "editor"]);
});

test("an empty prompt is refused with a message and creates nothing", async ({ context }) => {
  const runsDir = join(env().repo, ".longtable", "panel-runs");
  const count = () => (existsSync(runsDir) ? readdirSync(runsDir).length : 0);
  const before = count();
  const page = await login(context);
  await page.goto(`${env().baseURL}/runs/new`);
  await page.getByLabel("Prompt").fill("   ");
  await page.getByRole("button", { name: "Create run" }).click();
  await expect(page.getByText(/prompt is empty/i).first()).toBeVisible();
  await expect(page).toHaveURL(/\/runs\/new$/);
  expect(count()).toBe(before);
});

test("the runs list says what to do when there are no runs for a filter", async ({ context }) => {
  const page = await login(context);
  await page.goto(`${env().baseURL}/?status=degraded`);
  await expect(page.getByTestId("runs-empty")).toBeVisible();
});
