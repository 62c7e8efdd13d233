/**
 * A run the panel found on disk (e2e/support/found-on-disk.ts, planted before the server started):
 * the run page says it was not started by this panel and that nothing runs unless the user acts,
 * lists the fields of the record that were ignored, and opening it changes nothing on disk. The
 * sandbox notice follows what system.sandbox says.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { api, createRun, env, login } from "./support/env";
import { FOUND_RUN_ID, foundRunDir } from "./support/found-on-disk";
import { contextOptions, expectPhoneFriendly } from "./support/phone";

test("a run found on disk says so, lists what of its record was ignored, and nothing runs", async ({ browser, request }) => {
  const dir = foundRunDir(env().repo);
  const recordBefore = readFileSync(join(dir, "run.json"), "utf8");
  const eventsBefore = readFileSync(join(dir, "events.jsonl"), "utf8");
  const view = await api<{ owned: boolean; diagnostics: string[] }>(request, "runs.get", { runId: FOUND_RUN_ID });
  expect(view.owned).toBe(false);

  const context = await browser.newContext(contextOptions());
  const page = await login(context);
  await page.goto(`${env().baseURL}/runs/${FOUND_RUN_ID}`);
  const notice = page.getByTestId("found-on-disk");
  await expect(notice).toContainText("Found on disk — not started by this panel; nothing runs unless you act");
  await expect(notice).toContainText(dir);
  await expect(page.getByTestId("worker-card")).toHaveCount(1);
  await expect(page.getByTestId("live-state")).toHaveText("live");

  // The ignored fields, folded until asked for: the record's own working directory and branch.
  const notes = page.getByTestId("record-diagnostics");
  await expect(notes).toHaveAttribute("data-count", String(view.diagnostics.length));
  await expect(notes.locator("li").first()).toBeHidden();
  await notes.locator("summary").click();
  await expect(notes).toContainText('workingDirectory "/srv/elsewhere" ignored');
  await expect(notes).toContainText('worktreeBranch "main" ignored');

  // Agents are sandboxed here or not: the page says what the server says.
  const sandbox = await api<{ active: boolean; reason?: string }>(request, "system.sandbox", undefined);
  if (sandbox.active) await expect(page.getByTestId("sandbox-notice")).toHaveCount(0);
  else await expect(page.getByTestId("sandbox-notice-detail")).toContainText(sandbox.reason!);
  await expectPhoneFriendly(page, "run found on disk");

  // Looking changed nothing: the record and its log are as they were, no worktree was made.
  expect(readFileSync(join(dir, "run.json"), "utf8")).toBe(recordBefore);
  expect(readFileSync(join(dir, "events.jsonl"), "utf8")).toBe(eventsBefore);
  expect(existsSync(join(dir, "worktrees"))).toBe(false);

  // A run this panel created says nothing of the kind.
  const own = await createRun(request, ["reviewer"]);
  await page.goto(`${env().baseURL}/runs/${own.id}`);
  await expect(page.getByTestId("worker-card")).toHaveCount(1);
  await expect(page.getByTestId("found-on-disk")).toHaveCount(0);
  await context.close();
});
