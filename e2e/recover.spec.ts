/**
 * An interrupted merge as the user meets it (ARCHITECTURE.md §7 "Crash safety"): the server died
 * after writing the merge journal, and came back while a git command of the user's was still
 * running in the repository — so recovery waits. The runs page says what is wrong with Recover;
 * Recover waits too while that git runs, then rolls the merge back once it has ended; the doctor
 * lists the repository, fine again.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect as baseExpect, test } from "@playwright/test";
import { startServer, type RunningServer, type StartOptions } from "./support/server";
import { apiOf, git, loginTo, makeRepoWith, stopOwnServer, waitForWorkers } from "./support/review-server";
import { makeFakeCodex } from "../test/support/fake-codex";
import { resultFor } from "../test/support/bridge";
import { removeDir } from "../test/support/repo";

const expect = baseExpect.configure({ timeout: 30_000 });

test.describe("recovering an interrupted merge from the browser", () => {
  test.setTimeout(180_000);
  let server: RunningServer | undefined;
  let userGit: ChildProcess | undefined;
  const dirs: string[] = [];
  test.afterEach(async () => {
    if (userGit && userGit.exitCode === null) userGit.kill("SIGTERM");
    if (server && server.child.exitCode === null && server.child.signalCode === null) await stopOwnServer(server);
    for (const d of dirs) removeDir(d);
  });

  test("the runs page shows the interrupted merge with Recover, which waits for the user's git, then rolls it back", async ({ browser }) => {
    const repo = makeRepoWith({ "README.md": "# recover\n" });
    const work = realpathSync(mkdtempSync(join(tmpdir(), "ltp-e2e-recover-")));
    dirs.push(repo, work);
    const codex = await makeFakeCodex(work, { reviewer: [{ write: { path: "added.txt", content: "added\n" } }, { result: resultFor("reviewer", "Reviewer") }] } as never);
    const base: StartOptions = { repo, detached: true, env: { LONGTABLE_CODEX_BIN: codex, LONGTABLE_SANDBOX_WRITABLE: work } };

    // A merge the server dies in, right after its journal was written.
    server = await startServer({ ...base, env: { ...base.env, LONGTABLE_PANEL_FAILPOINT: "merge:journal-written" } });
    const same: StartOptions = { ...base, dataDir: server.dataDir, token: server.token, viewerToken: server.viewerToken, tmuxSocket: server.tmuxSocket };
    let api = apiOf(server);
    const run = await api.mutate<{ id: string; workers: Array<{ id: string }> }>("runs.create", { repoPath: repo, prompt: "recover", roles: ["reviewer"], mode: "draft" });
    await api.mutate("runs.launch", { runId: run.id });
    await waitForWorkers(api, run.id, ["completed"]);
    const before = git(repo, "rev-parse", "main").trim();
    const died = new Promise<void>((r) => server!.child.once("exit", () => r()));
    await expect(api.mutate("workers.merge", { runId: run.id, workerId: run.workers[0]!.id })).rejects.toThrow();
    await died;

    // The user's git is running in the repository when the panel starts again: recovery waits.
    userGit = spawn("git", ["cat-file", "--batch"], { cwd: repo, stdio: ["pipe", "ignore", "ignore"] });
    server = await startServer(same);
    api = apiOf(server);
    const page = await loginTo(await browser.newContext(), server, server.token);
    await page.goto(`${server.baseURL}/`);
    const problem = page.getByTestId("repo-health-problem");
    await expect(problem).toContainText(repo);
    await expect(problem).toContainText(/merge of worker-1-reviewer .* into main was interrupted/);
    await page.getByTestId("repo-recover").click();
    await expect(page.getByTestId("repo-recovered")).toContainText("a git process is running");
    await expect(problem).toBeVisible();

    // Their git ends; Recover now rolls the merge back and the notice goes.
    const ended = new Promise<void>((r) => userGit!.once("exit", () => r()));
    userGit.stdin!.end();
    await ended;
    await page.getByTestId("repo-recover").click();
    await expect(page.getByTestId("repo-recovered")).toContainText(/was rolled back, and main is as it was/);
    await expect(problem).toHaveCount(0);
    expect(git(repo, "rev-parse", "main").trim()).toBe(before);
    // The run's timeline says so too, and the doctor lists the repository as fine.
    await page.goto(`${server.baseURL}/runs/${run.id}`);
    await expect(page.locator('[data-testid="timeline-row"][data-type="merge_recovered"]')).toHaveCount(1);
    await page.goto(`${server.baseURL}/doctor`);
    await expect(page.getByTestId("doctor-repos").locator("li")).toContainText([`${repo} — git works there`]);
    // And the worker merges now.
    await api.mutate("workers.merge", { runId: run.id, workerId: run.workers[0]!.id });
    expect(git(repo, "rev-list", "--count", `${before}..main`).trim()).toBe("1");
  });
});
