/**
 * Claude Code as a panel worker beside codex, both real binaries, offline: the panel launches a
 * mixed run in tmux through launch.sh, inside its bubblewrap sandbox; codex talks to the scripted
 * Responses API, claude (node_modules/.bin/claude 2.1.328) to the scripted Messages API
 * (test/support/agent-harness.ts). Assertions are on what each agent really did: files in the
 * worker commits, commands and exit codes in `activity`, results, sessions, usage and cost, the
 * merges, a follow-up through `--resume`, and the documented end state of each failure.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { shellQuote } from "@/server/bridge/launcher";
import { workerLayout } from "@/server/bridge/layout";
import { PREFLIGHT_HELP } from "@/server/panel/lifecycle/preflight-help";
import { agentHarness, type AgentHarness } from "../support/agent-harness";
import { gitIn, resultFor, waitForRunStatus } from "../support/bridge";
import { CLAUDE_BIN, MOCK_ANTHROPIC_KEY, MOCK_CLAUDE_MODEL, PINNED_CLAUDE_VERSION } from "../support/claude-env";
import { removeDir, tempDirOutsideTmp } from "../support/repo";
import { waitFor } from "../support/wait";

let h: AgentHarness | undefined;
const scratch: string[] = [];
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
  scratch.splice(0).forEach(removeDir);
});

type Row = { worker_id: string; attempt: number; kind: string; text: string; data: string | null };
const activity = (hh: AgentHarness, runId: string, workerId: string): Row[] =>
  (hh.panel.dbh.sqlite.prepare("select worker_id, attempt, kind, text, data from activity where run_id = ? order by seq").all(runId) as Row[]).filter((r) => r.worker_id === workerId);
const dataOf = (r: Row) => JSON.parse(r.data ?? "{}") as Record<string, unknown>;
const nameStatus = (repo: string, from: string, to: string) => gitIn(repo, "diff", "--no-renames", "--name-status", `${from}..${to}`).trim().split("\n").sort();
const CRITIC = resultFor("theory_critic", "Theory Critic", { claims: ["claude.md and theory.md written"] });

describe("a mixed codex + Claude Code run (real binaries, scripted model servers)", () => {
  it("both members edit their own worktrees and complete, both merge, and a follow-up resumes the Claude session for a second commit", async () => {
    h = await agentHarness({
      codex: {
        reviewer: [
          { tools: [{ exec: "printf '# codex\\n' > codex.md", login: false }], usage: { input_tokens: 1000, cached_input_tokens: 100, output_tokens: 50 } },
          { message: resultFor("reviewer", "Reviewer", { claims: ["codex.md written"] }), usage: { input_tokens: 2000, cached_input_tokens: 200, output_tokens: 60 } },
        ],
      },
    });
    const { api, repo, anthropic } = h;
    const outside = tempDirOutsideTmp("ltp-claude-escape-");
    scratch.push(outside);
    const escape = join(outside, "escape.txt");
    const created = await api.runs.create({
      repoPath: repo, prompt: "Write your notes", mode: "draft",
      members: [{ role: "reviewer", agent: "codex" }, { role: "theory_critic", agent: "claude", model: MOCK_CLAUDE_MODEL }],
    });
    expect(created.workers.map((w) => [w.id, w.agent, w.model ?? null])).toEqual([
      ["worker-1-reviewer", "codex", null],
      ["worker-2-theory_critic", "claude", MOCK_CLAUDE_MODEL],
    ]);
    const wt = created.workers[1]!.worktreePath;
    anthropic.setScript("theory_critic", [
      { thinking: "a private plan", tools: [{ bash: "printf 'claude\\n' > claude.md && cat claude.md" }] },
      { tools: [{ bash: `echo escaped > ${shellQuote(escape)}` }] },
      { tools: [{ write: { file_path: join(wt, "theory.md"), content: "# Theory\nIt holds.\n" } }] },
      { structured: CRITIC },
      // the follow-up turn
      { tools: [{ bash: "printf 'again\\n' >> claude.md" }] },
      { structured: { ...CRITIC, summary: "Added a second line to claude.md" } },
    ]);
    await api.runs.launch({ runId: created.id });
    const run = await waitForRunStatus(h, created.id, ["completed", "failed", "blocked"], 40_000);
    expect(run.workers.map((w) => [w.id, w.status, w.executionState, w.failureReason ?? ""])).toEqual([
      ["worker-1-reviewer", "completed", "result_ready", ""],
      ["worker-2-theory_critic", "completed", "result_ready", ""],
    ]);
    expect(run.status).toBe("completed");
    expect(anthropic.violations).toEqual([]);
    expect(h.model.violations).toEqual([]);
    const [codexW, claudeW] = run.workers as [typeof run.workers[0], typeof run.workers[0]];

    // Each diff holds its own agent's changes only.
    expect(nameStatus(repo, codexW.baseCommit!, codexW.worktreeCommit!)).toEqual(["A\tcodex.md"]);
    expect(nameStatus(repo, claudeW.baseCommit!, claudeW.worktreeCommit!)).toEqual(["A\tclaude.md", "A\ttheory.md"]);
    expect((await api.workers.diff({ runId: run.id, workerId: claudeW.id })).files.map((f) => [f.path, f.status])).toEqual([["claude.md", "added"], ["theory.md", "added"]]);
    expect(gitIn(repo, "show", `${claudeW.worktreeCommit}:theory.md`)).toBe("# Theory\nIt holds.\n");
    // The panel's sandbox kept claude's Bash inside: the write outside failed, nothing leaked.
    expect(existsSync(escape)).toBe(false);
    expect(gitIn(repo, "status", "--porcelain", "--untracked-files=all")).toBe("");

    // claude's steps as activity: commands with exit codes and output, the file change, the
    // result, usage with cost; the hidden reasoning never stored.
    const rows = activity(h, run.id, claudeW.id);
    expect(rows.map((r) => r.kind)).toEqual(["thread", "command", "command", "command", "command", "file_change", "message", "usage"]);
    const commands = rows.filter((r) => r.kind === "command" && dataOf(r).phase === "completed").map(dataOf);
    expect(commands[0]).toMatchObject({ command: "printf 'claude\\n' > claude.md && cat claude.md", exitCode: 0, status: "completed", output: "claude" });
    expect(commands[1]).toMatchObject({ exitCode: 1, status: "failed", output: expect.stringMatching(/Read-only file system/) });
    expect(dataOf(rows[5]!).changes).toEqual([{ path: join(wt, "theory.md"), kind: "add" }]);
    expect(JSON.parse(rows[6]!.text)).toEqual(CRITIC);
    expect(JSON.stringify(h.panel.dbh.sqlite.prepare("select * from activity").all())).not.toContain("a private plan");

    // Session, model, usage and cost as claude reported them; codex's tokens beside them.
    const posts = anthropic.requestsFor("theory_critic");
    expect(posts).toHaveLength(4);
    expect(claudeW.threadId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
    for (const p of posts) {
      expect(p.headers["x-claude-code-session-id"]).toBe(claudeW.threadId);
      expect(p.body!.model).toBe(MOCK_CLAUDE_MODEL);
    }
    const sent = anthropic.usageSent("theory_critic");
    expect(claudeW.usage).toMatchObject({
      inputTokens: sent.input_tokens + sent.cache_creation_input_tokens + sent.cache_read_input_tokens,
      cachedInputTokens: sent.cache_read_input_tokens,
      outputTokens: sent.output_tokens,
    });
    expect(claudeW.usage!.costUsd).toBeGreaterThan(0);
    expect(codexW.usage).toEqual({ inputTokens: 3000, cachedInputTokens: 300, outputTokens: 110 });
    const usage = await api.runs.usage({ runId: run.id });
    expect(usage.workers[claudeW.id]).toEqual({ ...claudeW.usage, agent: "claude" });
    expect(usage.workers[codexW.id]).toEqual({ ...codexW.usage, agent: "codex" });
    expect(usage.byAgent.claude?.costUsd).toBe(claudeW.usage!.costUsd);
    expect(usage.total).toEqual({
      inputTokens: 3000 + claudeW.usage!.inputTokens, cachedInputTokens: 300 + claudeW.usage!.cachedInputTokens,
      outputTokens: 110 + claudeW.usage!.outputTokens, costUsd: claudeW.usage!.costUsd,
    });
    expect(usage.costComplete).toBe(false); // codex gives tokens only

    // launch.sh ran the real claude with the panel's flags; the key reached it through the env
    // file (deleted once read), never the script. claude's state is in the worker's private home.
    const launch = readFileSync(claudeW.launcherPath, "utf8");
    expect(launch).toContain(`agent_bin=${shellQuote(CLAUDE_BIN)}`);
    expect(launch).toContain(shellQuote("--setting-sources=user"));
    expect(launch).not.toContain(MOCK_ANTHROPIC_KEY);
    const layout = workerLayout(repo, run.id, claudeW.id);
    const stateDir = join(layout.agentHomeDir, ".claude");
    // (the session a follow-up resumes, under the worktree's slug)
    expect(readdirSync(join(stateDir, "projects"), { recursive: true }).filter((p) => String(p).endsWith(`/${claudeW.threadId}.jsonl`))).toHaveLength(1);
    expect(existsSync(join(h.claudeEnv.configDir, "projects"))).toBe(false);

    // The tmux pane showed claude's steps as short lines (server/agents/claude/pane.mjs).
    const pane = (await api.workers.terminal({ runId: run.id, workerId: claudeW.id })).text ?? "";
    expect(pane).toContain(`● session ${claudeW.threadId} (${MOCK_CLAUDE_MODEL})`);
    expect(pane).toContain("✓ exit 0 · 1 line of output — printf 'claude\\n' > claude.md && cat claude.md");
    expect(pane).toContain("+ theory.md");
    expect(pane).toMatch(/● Turn completed: \d+ in \(\d+ cached\), \d+ out, \$0\.\d{4}/);
    expect(pane).not.toContain("a private plan");

    // Follow-up: the same session resumed in the same worktree, a second commit on the first.
    await api.workers.followUp({ runId: run.id, workerId: claudeW.id, message: "Add a second line to claude.md." });
    const after = await waitFor(async () => {
      const r = await api.runs.get({ runId: run.id });
      const w = r.workers[1]!;
      return w.attempt === 2 && w.status !== "running" ? r : undefined;
    }, "the follow-up turn to finish", 30_000);
    const claude2 = after.workers[1]!;
    expect([claude2.status, claude2.failureReason ?? ""]).toEqual(["completed", ""]);
    expect(claude2.worktreePath).toBe(claudeW.worktreePath);
    expect(claude2.threadId).toBe(claudeW.threadId);
    expect(gitIn(repo, "rev-parse", `${claude2.worktreeCommit}^`).trim()).toBe(claudeW.worktreeCommit);
    expect(gitIn(repo, "show", `${claude2.worktreeCommit}:claude.md`)).toBe("claude\nagain\n");
    expect(gitIn(repo, "log", "-1", "--format=%s", claude2.worktreeCommit!).trim()).toBe(`longtable panel worker ${claudeW.id} (attempt 2, follow-up)`);
    const resumed = anthropic.requestsFor("theory_critic")[4]!;
    expect(resumed.headers["x-claude-code-session-id"]).toBe(claudeW.threadId);
    expect(readFileSync(claude2.launcherPath, "utf8")).toContain(shellQuote(`--resume=${claudeW.threadId}`));
    expect(claude2.usage!.costUsd).toBeGreaterThan(claudeW.usage!.costUsd!); // the session total grows
    expect(activity(h, run.id, claudeW.id).filter((r) => r.attempt === 2).map((r) => r.kind)).toEqual(["thread", "command", "command", "message", "usage"]);
    expect(anthropic.violations).toEqual([]);

    // Both merge into main.
    for (const w of after.workers) await api.workers.merge({ runId: run.id, workerId: w.id });
    expect(gitIn(repo, "show", "main:codex.md")).toBe("# codex\n");
    expect(gitIn(repo, "show", "main:claude.md")).toBe("claude\nagain\n");
    expect(gitIn(repo, "show", "main:theory.md")).toBe("# Theory\nIt holds.\n");
    expect((await api.runs.get({ runId: run.id })).workers.every((w) => w.merged?.commit)).toBe(true);
  });

  it("Claude Code failures end each worker in its documented state while the codex member completes", async () => {
    const invalid = { role: "methods_critic", label: "Methods Critic", verdict: "fine" };
    h = await agentHarness({
      codex: { reviewer: [{ message: resultFor("reviewer", "Reviewer") }] },
      claude: {
        // A text answer, a nudge, a text answer again: no result.
        theory_critic: [{ text: "It looks fine to me." }, { text: "Still fine." }],
        // claude checks the result against the schema itself; five misses end the turn.
        methods_critic: Array.from({ length: 5 }, () => ({ structured: invalid })),
        // An API error (retries off): exit 1.
        measurement_auditor: [{ http: 500, message: "upstream exploded" }],
        // A cut stream, and its non-streaming retry cut too: exit 1.
        editor: [{ cut: true, partial: "Looking" }, { cut: true }],
      },
    });
    const { api, repo, anthropic } = h;
    const created = await api.runs.create({
      repoPath: repo, prompt: "Check it", mode: "review",
      members: [
        { role: "reviewer", agent: "codex" }, { role: "theory_critic", agent: "claude" }, { role: "methods_critic", agent: "claude" },
        { role: "measurement_auditor", agent: "claude" }, { role: "editor", agent: "claude" },
      ],
    });
    await api.runs.launch({ runId: created.id });
    const run = await waitForRunStatus(h, created.id, ["completed", "failed", "blocked"], 50_000);
    expect(anthropic.violations).toEqual([]);
    const byRole = Object.fromEntries(run.workers.map((w) => [w.role, w]));
    expect(byRole.reviewer).toMatchObject({ status: "completed", executionState: "result_ready" });
    for (const role of ["theory_critic", "methods_critic", "measurement_auditor", "editor"]) {
      expect([role, byRole[role]!.status, byRole[role]!.executionState]).toEqual([role, "failed", "result_ready"]);
    }
    expect(run.status).toBe("failed");
    expect(byRole.theory_critic!.failureReason).toBe("Claude Code finished without a structured result; its last message was: Still fine.");
    expect(byRole.methods_critic!.failureReason).toMatch(/^claude exited 1; Claude Code gave no result matching the output schema: Failed to provide valid structured output after 5 attempts/);
    expect(byRole.measurement_auditor!.failureReason).toMatch(/^claude exited 1; Claude Code stopped on an API error \(HTTP 500\): API Error: 500 .*upstream exploded/);
    expect(byRole.editor!.failureReason).toMatch(/^claude exited 1; Claude Code stopped on an API error: .*(Connection|ECONNRESET|terminated)/i);
    // Each wrote an error result (the 9 fields) and its usage, and the turn's activity says why.
    for (const role of ["theory_critic", "methods_critic", "measurement_auditor", "editor"]) {
      const w = byRole[role]!;
      const result = JSON.parse(readFileSync(w.resultPath, "utf8")) as Record<string, unknown>;
      expect(Object.keys(result)).toEqual(["role", "label", "status", "summary", "claims", "objections", "openQuestions", "evidenceRefs", "error"]);
      expect(result).toMatchObject({ role, status: "error", error: w.failureReason });
      // (a text answer is a successful turn for claude: the finish step finds no result in it)
      expect(activity(h, run.id, w.id).at(-1)).toMatchObject(role === "theory_critic" ? { kind: "usage" } : { kind: "error", text: expect.stringMatching(/^Turn failed: /) });
    }
    expect(anthropic.requestsFor("methods_critic")).toHaveLength(5);
    expect(anthropic.requestsFor("measurement_auditor")).toHaveLength(1);
  });

  it("a stalled model call waits until the run is stopped: the stop kills claude and the worker ends stopped", async () => {
    h = await agentHarness({
      codex: { reviewer: [{ message: resultFor("reviewer", "Reviewer") }] },
      claude: { theory_critic: [{ stall: true }] },
    });
    const { api, repo, anthropic } = h;
    const created = await api.runs.create({
      repoPath: repo, prompt: "p", mode: "review", members: [{ role: "reviewer", agent: "codex" }, { role: "theory_critic", agent: "claude" }],
    });
    await api.runs.launch({ runId: created.id });
    const stalled = await anthropic.waitForRequest((r) => r.key === "theory_critic" && r.outcome === "stall", "claude's stalled request", 20_000);
    await waitFor(async () => (await api.runs.get({ runId: created.id })).workers[0]!.status === "completed", "the codex member to complete");
    const running = (await api.runs.get({ runId: created.id })).workers[1]!;
    expect(running.status).toBe("running");
    expect(running.threadId).toBe(stalled.headers["x-claude-code-session-id"]);

    const stopped = await api.runs.stop({ runId: created.id });
    expect(stopped.workers.map((w) => [w.role, w.status])).toEqual([["reviewer", "completed"], ["theory_critic", "stopped"]]);
    expect(stopped.status).toBe("stopped");
    // claude went with its pane: its connection to the model is closed.
    await waitFor(() => stalled.outcome === "aborted", "claude's request to be dropped", 10_000);
  });

  it("settings a Claude worker plants for its next turn, in its worktree or in its state dir, are not loaded by the follow-up", async () => {
    h = await agentHarness({});
    const { api, repo, anthropic } = h;
    // The user's own settings (copied into each worker's state dir before every turn).
    writeFileSync(join(h.claudeEnv.configDir, "settings.json"), JSON.stringify({ env: { USER_SETTING: "kept" } }));
    const created = await api.runs.create({ repoPath: repo, prompt: "p", mode: "draft", members: [{ role: "theory_critic", agent: "claude" }] });
    const wt = created.workers[0]!.worktreePath;
    const hook = (marker: string) => ({ hooks: { SessionStart: [{ matcher: "", hooks: [{ type: "command", command: `touch ${shellQuote(join(wt, marker))}` }] }] } });
    anthropic.setScript("theory_critic", [
      { tools: [{ write: { file_path: join(wt, ".claude", "settings.json"), content: JSON.stringify(hook("hook-from-worktree")) } }] },
      { tools: [{ bash: `printf '%s' ${shellQuote(JSON.stringify(hook("hook-from-state-dir")))} > "$CLAUDE_CONFIG_DIR/settings.json" && echo "$USER_SETTING"` }] },
      { structured: CRITIC },
      { tools: [{ bash: "echo \"$USER_SETTING\" > follow-up.txt" }] },
      { structured: CRITIC },
    ]);
    await api.runs.launch({ runId: created.id });
    const first = (await waitForRunStatus(h, created.id, ["completed", "failed"], 30_000)).workers[0]!;
    expect([first.status, first.failureReason ?? ""]).toEqual(["completed", ""]);
    const stateSettings = join(workerLayout(repo, created.id, first.id).agentHomeDir, ".claude", "settings.json");
    expect(readFileSync(stateSettings, "utf8")).toContain("hook-from-state-dir"); // planted

    await api.workers.followUp({ runId: created.id, workerId: first.id, message: "Once more." });
    const second = await waitFor(async () => {
      const w = (await api.runs.get({ runId: created.id })).workers[0]!;
      return w.attempt === 2 && w.status !== "running" ? w : undefined;
    }, "the follow-up turn", 30_000);
    expect(second.status).toBe("completed");
    // Neither hook ran; the user's own settings came back in place of the planted ones.
    expect(existsSync(join(wt, "hook-from-worktree"))).toBe(false);
    expect(existsSync(join(wt, "hook-from-state-dir"))).toBe(false);
    expect(readFileSync(join(wt, "follow-up.txt"), "utf8")).toBe("kept\n");
    expect(readFileSync(stateSettings, "utf8")).toBe(JSON.stringify({ env: { USER_SETTING: "kept" } }));
    expect(anthropic.violations).toEqual([]);
  });

  it("the doctor lists each agent with version and readiness; without the panel's sandbox Claude Code is refused by preflight", async () => {
    h = await agentHarness({});
    const { api, repo, panel, anthropic } = h;
    const doctor = await api.system.doctor();
    const agents = Object.fromEntries(doctor.agents.map((a) => [a.agent, a]));
    expect(agents.claude).toMatchObject({
      label: "Claude Code", bin: CLAUDE_BIN, installed: true, version: PINNED_CLAUDE_VERSION, ready: true,
      status: "API key from ANTHROPIC_API_KEY", ownSandbox: false, usable: true,
    });
    expect(agents.codex).toMatchObject({ installed: true, ownSandbox: true, usable: true });
    expect(agents.command).toMatchObject({ installed: false, usable: false, unusableReason: expect.stringContaining("LONGTABLE_COMMAND_AGENT_BIN") });
    expect(doctor.checks.find((c) => c.name === "claude")).toMatchObject({ ok: true, version: PINNED_CLAUDE_VERSION });
    expect(doctor.missing).toEqual([]);

    panel.config.sandbox = "off";
    const off = await api.system.doctor();
    const claudeOff = off.agents.find((a) => a.agent === "claude")!;
    expect(claudeOff).toMatchObject({ installed: true, usable: false, unusableReason: expect.stringMatching(/no sandbox of its own/) });
    expect(off.agents.find((a) => a.agent === "codex")!.usable).toBe(true);
    expect(off.sandbox.detail).toContain("Claude Code");

    const created = await api.runs.create({ repoPath: repo, prompt: "p", mode: "review", members: [{ role: "reviewer", agent: "claude" }] });
    const run = await api.runs.launch({ runId: created.id });
    expect(run.workers[0]).toMatchObject({ status: "failed", executionState: "preflight_failed" });
    expect(JSON.stringify(run)).toContain("claude:sandbox-required");
    expect(PREFLIGHT_HELP["claude:sandbox-required"]).toMatch(/bubblewrap/);
    expect(anthropic.requests).toEqual([]);
  });
});
