/**
 * Workers on SSH hosts (issue 17), through the UI: register the test sshd on 127.0.0.1 as a host
 * on the Hosts page (its own clone, panel folder and tmux socket), check it over SSH, place a
 * member on it in the new-run form, and watch the run page say where each worker runs while the
 * host's worker finishes and its commit comes back.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect as baseExpect, test } from "@playwright/test";
import { makeFakeCodex } from "../test/support/fake-codex";
import { startSshd, type TestSshd } from "../test/support/sshd";
import { apiOf, git, loginTo, pollUntil, stopOwnServer, type RunRecord } from "./support/review-server";
import { makeE2eRepo, startServer, type RunningServer } from "./support/server";

const expect = baseExpect.configure({ timeout: 30_000 });

let sshd: TestSshd | undefined;
let server: RunningServer | undefined;
const dirs: string[] = [];
const hostSocket = `ltp-e2e-host-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

test.afterAll(async () => {
  await stopOwnServer(server);
  spawnSync("tmux", ["-L", hostSocket, "kill-server"], { stdio: "ignore" });
  await sshd?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const result = (role: string, label: string) => ({ role, label, status: "completed", summary: `${label} on the host.`, claims: [], objections: [], openQuestions: [], evidenceRefs: [], error: "" });

test("registers a host, checks it over SSH, places a member there and shows where each worker runs", async ({ browser }) => {
  test.setTimeout(180_000);
  sshd = await startSshd();
  const work = realpathSync(mkdtempSync(join(tmpdir(), "ltp-e2e-hosts-")));
  dirs.push(work);
  const codex = await makeFakeCodex(work, {
    reviewer: [{ write: { path: "host-notes.md", content: "from the host\n" } }, { result: result("reviewer", "Reviewer") }],
    theory_critic: [{ write: { path: "local-notes.md", content: "from here\n" } }, { result: result("theory_critic", "Theory Critic") }],
  });
  const repo = makeE2eRepo();
  dirs.push(repo);
  // The host's clone and panel folder apart from the fake codex's folder: a writable folder that
  // held them would expose them to agents, and is refused.
  const hostRoot = realpathSync(mkdtempSync(join(tmpdir(), "ltp-e2e-host-root-")));
  dirs.push(hostRoot);
  const clone = join(hostRoot, "host clone");
  execFileSync("git", ["clone", "-q", repo, clone], { stdio: "ignore" });
  server = await startServer({ repo, env: { LONGTABLE_CODEX_BIN: codex, LONGTABLE_SANDBOX_WRITABLE: work } });
  const api = apiOf(server);
  const page = await loginTo(await browser.newContext(), server, server.token);

  await page.goto(`${server.baseURL}/hosts`);
  await expect(page.getByTestId("no-hosts")).toBeVisible();
  const form = page.getByTestId("host-form");
  // A destination ssh would read as an option is refused, with the field named.
  await form.getByLabel("Name").fill("box");
  await form.getByLabel("SSH destination").fill("-oProxyCommand=x");
  await form.getByLabel("Clone path there").fill(clone);
  await form.getByRole("button", { name: "Add host" }).click();
  await expect(form.getByText(/an ssh destination as in ~\/\.ssh\/config/).first()).toBeVisible();
  await form.getByLabel("SSH destination").fill(sshd.alias);
  await form.getByLabel("codex binary there").fill(codex);
  await form.getByLabel("node there").fill(process.execPath);
  await form.getByLabel("tmux socket there").fill(hostSocket);
  await form.getByLabel("Panel folder there").fill(join(hostRoot, "panel-host"));
  await form.getByLabel("ssh config file here").fill(sshd.configFile);
  // The fake codex keeps its state beside its script: a folder the sandbox there must let it write.
  await form.getByLabel("Writable folders there").fill(work);
  await form.getByRole("button", { name: "Add host" }).click();
  const item = page.locator('[data-testid="host-item"][data-host-id="box"]');
  await expect(item.getByTestId("host-state")).toHaveAttribute("data-state", "idle");
  await item.getByTestId("host-check").click();
  for (const name of ["ssh", "node", "git", "clone", "tmux", "codex"]) {
    // (the first check also copies the panel's scripts there and runs the bubblewrap trial: give it time)
    await expect(item.locator(`[data-testid="host-check-row"][data-name="${name}"]`)).toHaveAttribute("data-ok", "true", { timeout: 60_000 });
  }
  await expect(item.getByTestId("host-state")).toHaveAttribute("data-state", "up");
  // The server's two module graphs (custom server, route bundle) share one connection per host.
  const hostStatus = async () => {
    const res = await fetch(`${server!.baseURL}/api/trpc/hosts.list`, { headers: { authorization: `Bearer ${server!.token}` } });
    return ((await res.json()) as { result: { data: Array<{ status: { state: string; masterPid?: number } }> } }).result.data[0]!.status;
  };
  const master = (await hostStatus()).masterPid;
  expect(master).toBeGreaterThan(0);

  await page.goto(`${server.baseURL}/runs/new`);
  await page.getByLabel("Prompt").fill("Notes, please.");
  await page.getByRole("button", { name: "None" }).click();
  await page.getByRole("checkbox", { name: "Reviewer", exact: true }).check();
  await page.getByRole("checkbox", { name: "Theory Critic" }).check();
  await page.locator('[data-testid="member-host"][data-role="reviewer"]').selectOption("box");
  await page.getByRole("button", { name: "Create run" }).click();
  await page.waitForURL(/\/runs\/panel_run_[a-z0-9]+_[a-z0-9]+$/);
  const runId = page.url().split("/").pop()!;
  const card = (id: string) => page.locator(`[data-testid="worker-card"][data-worker-id="${id}"]`);
  await expect(card("worker-1-reviewer").getByTestId("worker-host")).toHaveAttribute("data-host", "box");
  await expect(card("worker-2-theory_critic").getByTestId("worker-host")).toHaveText("this machine");

  await api.mutate("runs.launch", { runId });
  const run = await pollUntil(async () => {
    const r = await api.query<RunRecord>("runs.get", { runId });
    return ["completed", "failed", "blocked"].includes(r.status) ? r : undefined;
  }, "the run to settle", 60_000, 200);
  expect(run.status, JSON.stringify(run.workers)).toBe("completed");
  await expect(card("worker-1-reviewer")).toHaveAttribute("data-status", "completed");
  await expect(card("worker-1-reviewer").getByTestId("host-state")).toHaveAttribute("data-state", "up");
  expect(await hostStatus()).toMatchObject({ state: "up", masterPid: master });
  // The host worker's commit is in the panel's repository, on the worker's branch.
  const reviewer = run.workers[0]!;
  expect(git(repo, "show", "--name-only", "--format=", reviewer.worktreeCommit!).trim()).toBe("host-notes.md");
});
