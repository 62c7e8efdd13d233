/**
 * A mixed run from the browser: one member played by the real codex, one by the real Claude Code
 * (both pinned in node_modules), offline against the scripted model servers on 127.0.0.1
 * (test/support/model-server.ts, anthropic-server.ts). The doctor shows each agent; the
 * create-run form offers the agents it found (the unconfigured command agent disabled, with its
 * install line), a member's agent and model are picked in the form, both workers complete with
 * their own changes, the cards show who played whom and what Claude Code says it cost, and the
 * Claude Code worker's change is reviewed and merged.
 */
import { expect as baseExpect, test } from "@playwright/test";
import { startAnthropicServer, type AnthropicServer } from "../test/support/anthropic-server";
import { CLAUDE_BIN, MOCK_CLAUDE_MODEL, PINNED_CLAUDE_VERSION, claudePanelEnv, makeClaudeEnv, type ClaudeEnv } from "../test/support/claude-env";
import { CODEX_BIN, makeCodexEnv, type CodexEnv } from "../test/support/codex-env";
import { startModelServer, type ModelServer } from "../test/support/model-server";
import { apiOf, git, loginTo, makeRepoWith, stopOwnServer, type RunRecord } from "./support/review-server";
import { startServer, type RunningServer } from "./support/server";

const expect = baseExpect.configure({ timeout: 30_000 });

const result = (role: string, label: string, summary: string) => ({
  role, label, status: "completed", summary, claims: [summary], objections: [], openQuestions: [], evidenceRefs: [], error: "",
});

let model: ModelServer | undefined;
let anthropic: AnthropicServer | undefined;
let codexEnv: CodexEnv | undefined;
let claudeEnv: ClaudeEnv | undefined;
let server: RunningServer | undefined;
let repo: string;

test.describe("a mixed codex + Claude Code run from the browser", () => {
  test.setTimeout(120_000);

  test.beforeAll(async () => {
    test.setTimeout(300_000);
    model = await startModelServer({
      reviewer: [
        { tools: [{ exec: "printf 'codex note\\n' > codex-note.md", login: false }] },
        { message: result("reviewer", "Reviewer", "Wrote codex-note.md.") },
      ],
    });
    anthropic = await startAnthropicServer({
      theory_critic: [
        { tools: [{ bash: "printf 'claude note\\n' > claude-note.md && cat claude-note.md" }] },
        { structured: result("theory_critic", "Theory Critic", "Wrote claude-note.md.") },
      ],
    });
    codexEnv = makeCodexEnv(model.baseUrl);
    claudeEnv = makeClaudeEnv(anthropic.baseUrl);
    const claude = claudePanelEnv(anthropic.baseUrl, claudeEnv.configDir);
    const names = [...new Set([...(codexEnv.panelEnv.LONGTABLE_AGENT_ENV ?? "").split(","), ...claude.agentEnvNames])].join(",");
    repo = makeRepoWith({ "README.md": "# mixed run e2e\n", "src/app.txt": "one\ntwo\n" });
    server = await startServer({
      repo,
      env: {
        ...codexEnv.panelEnv,
        // (undefined removes a variable of the test runner's own environment from the server's)
        ...(claude.env as Record<string, string>),
        LONGTABLE_AGENT_ENV: names,
        LONGTABLE_CODEX_BIN: CODEX_BIN,
        LONGTABLE_CLAUDE_BIN: CLAUDE_BIN,
        LONGTABLE_COMMAND_AGENT_BIN: "/nonexistent/longtable-agent",
      },
    });
  });

  test.afterAll(async () => {
    await stopOwnServer(server);
    await Promise.all([model?.close(), anthropic?.close()]);
    codexEnv?.cleanup();
    claudeEnv?.cleanup();
  });

  test("the doctor lists the agents; the form offers those found; both members complete; the Claude Code change merges", async ({ browser }) => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await loginTo(context, server!, server!.token);

    // The doctor: each agent with its version and readiness.
    await page.goto(`${server!.baseURL}/doctor`);
    const agentRow = (agent: string) => page.locator(`[data-testid="doctor-agent"][data-agent="${agent}"]`);
    await expect(agentRow("claude")).toHaveAttribute("data-usable", "true");
    await expect(agentRow("claude")).toContainText(PINNED_CLAUDE_VERSION);
    await expect(agentRow("claude")).toContainText("API key from ANTHROPIC_API_KEY");
    await expect(agentRow("codex")).toHaveAttribute("data-usable", "true");
    await expect(agentRow("command")).toHaveAttribute("data-usable", "false");
    await expect(agentRow("command")).toContainText("not installed");

    // The form: Reviewer on codex (its default), Theory Critic on Claude Code with a model.
    await page.goto(`${server!.baseURL}/runs/new`);
    await page.getByLabel("Prompt").fill("Each of you: write a note file.");
    await page.getByRole("button", { name: "None" }).click();
    await page.getByLabel("Reviewer", { exact: true }).check();
    await page.getByLabel("Theory Critic", { exact: true }).check();
    await expect(page.getByTestId("agent-unavailable")).toHaveAttribute("data-agent", "command");
    await expect(page.getByTestId("agent-unavailable")).toContainText("LONGTABLE_COMMAND_AGENT_BIN");
    const critic = page.getByLabel("Agent for Theory Critic");
    await expect(critic.locator('option[value="command"]')).toBeDisabled();
    await expect(critic.locator('option[value="claude"]')).toBeEnabled();
    await expect(page.getByLabel("Agent for Reviewer")).toHaveValue("codex");
    await critic.selectOption("claude");
    await page.getByRole("button", { name: "Pick a model for Theory Critic" }).click();
    await page.getByLabel("Model for Theory Critic").fill(MOCK_CLAUDE_MODEL);
    await page.getByRole("button", { name: "Create run" }).click();
    await page.waitForURL(/\/runs\/panel_run_[a-z0-9]+_[a-z0-9]+$/);
    const runId = new URL(page.url()).pathname.split("/").pop()!;

    const card = (workerId: string) => page.locator(`[data-testid="worker-card"][data-worker-id="${workerId}"]`);
    await expect(card("worker-1-reviewer").getByTestId("agent-badge")).toHaveText("Codex");
    await expect(card("worker-2-theory_critic").getByTestId("agent-badge")).toHaveText(`Claude Code · ${MOCK_CLAUDE_MODEL}`);

    await page.getByTestId("action-launch").click();
    await expect(card("worker-1-reviewer")).toHaveAttribute("data-status", "completed", { timeout: 60_000 });
    await expect(card("worker-2-theory_critic")).toHaveAttribute("data-status", "completed", { timeout: 60_000 });
    // Cost as Claude Code reported it; codex gives tokens only.
    await expect(card("worker-2-theory_critic").getByTestId("worker-cost")).toHaveText(/^\$0\.\d{4}$/);
    await expect(card("worker-1-reviewer").getByTestId("worker-cost")).toHaveText("—");
    // The run header adds up what was reported, and says codex's workers are not in it.
    await expect(page.getByTestId("run-cost")).toContainText(/^\$0\.\d{4} \+ codex \(tokens only\)$/);
    expect(anthropic!.violations).toEqual([]);
    expect(model!.violations).toEqual([]);

    type MixedRun = Omit<RunRecord, "workers"> & { workers: Array<RunRecord["workers"][number] & { agent: string; model?: string; baseCommit?: string }> };
    const run = await apiOf(server!).query<MixedRun>("runs.get", { runId });
    expect(run.workers.map((w) => [w.agent, w.model ?? null])).toEqual([["codex", null], ["claude", MOCK_CLAUDE_MODEL]]);
    const changed = (w: { baseCommit?: string; worktreeCommit?: string }) => git(repo, "diff", "--name-only", `${w.baseCommit}..${w.worktreeCommit}`).trim();
    expect(changed(run.workers[0]!)).toBe("codex-note.md");
    expect(changed(run.workers[1]!)).toBe("claude-note.md");

    // The activity page says which agent it is and shows claude's command with its exit code.
    await page.goto(`${server!.baseURL}/runs/${runId}/workers/worker-2-theory_critic/activity`);
    await expect(page.getByTestId("activity-view").getByTestId("agent-badge")).toHaveText(`Claude Code · ${MOCK_CLAUDE_MODEL}`);
    await expect(page.locator('[data-testid="activity-row"][data-kind="command"]').last()).toContainText("claude-note.md");
    await expect(page.getByTestId("usage-cost")).toHaveText(/^\$0\.\d{4}$/);

    // Review and merge the Claude Code worker.
    await page.goto(`${server!.baseURL}/runs/${runId}/review/worker-2-theory_critic`);
    await expect(page.locator('[data-testid="file-row"][data-path="claude-note.md"]')).toHaveAttribute("data-status", "added");
    await page.getByTestId("review-tab-merge").click();
    await expect(page.getByTestId("merge-verdict")).toHaveAttribute("data-verdict", "clean");
    await page.getByTestId("merge-submit").click();
    await expect(page.getByTestId("worker-merged")).toBeVisible();
    expect(git(repo, "show", "main:claude-note.md")).toBe("claude note\n");
    await context.close();
  });
});
