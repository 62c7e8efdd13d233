/**
 * The repository config (.longtable-panel.json, ARCHITECTURE.md §10) with real git, tmux and the
 * panel's sandbox: approval by content, files copied from the leader, ports, setup in the worker's
 * window before the agent, a failing setup, teardown before removal, and a config a merge changed.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import { portIsFree } from "@/server/bridge/ports";
import { sandboxStatus } from "@/server/bridge/sandbox";
import { callerFor } from "../support/panel";
import { bridgeHarness, gitIn, resultFor, waitForRunStatus, type BridgeHarness } from "../support/bridge";
import { removeDir, tempDirOutsideTmp } from "../support/repo";
import { expectCode } from "../support/review";
import { waitFor } from "../support/wait";

let h: BridgeHarness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

const CONFIG = ".longtable-panel.json";
const ROLES = ["reviewer", "theory_critic", "methods_critic"];
const LABELS: Record<string, string> = { reviewer: "Reviewer", theory_critic: "Theory Critic", methods_critic: "Methods Critic" };

/** Ports from a range of its own per test file run, so parallel test files never meet. */
function isolatePorts(h: BridgeHarness) {
  const lo = 42000 + Math.floor(Math.random() * 200) * 40;
  h.panel.config.portRange = [lo, lo + 39];
}

function commitConfig(repo: string, config: unknown, extra: Record<string, string> = {}) {
  writeFileSync(join(repo, CONFIG), typeof config === "string" ? config : `${JSON.stringify(config, null, 2)}\n`);
  for (const [p, c] of Object.entries(extra)) writeFileSync(join(repo, p), c);
  gitIn(repo, "add", "-A");
  gitIn(repo, "commit", "-qm", "panel config");
}

const eventsOf = (path: string) => readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { type: string; workerId?: string; message: string });

describe("repository config: setup, copied files, ports, approval", () => {
  it("runs nothing before approval; then each worker gets the .env, its own free ports and the setup's marker before its agent starts; teardown runs before clean-up and shutdown, and the ports are free again", async () => {
    // Each agent shows what setup left and the environment it got, in a file of its commit.
    const look = { shell: "cat .setup-marker > agent-saw.txt && echo \"PORT=$PORT\" >> agent-saw.txt && cat .env >> agent-saw.txt" };
    // The theory critic also leaves an ignored output of its own: that one is a loss at clean-up.
    const output = { shell: "echo findings > notes.log" };
    h = await bridgeHarness(Object.fromEntries(ROLES.map((role) => [role, [look, ...(role === "theory_critic" ? [output] : []), { result: resultFor(role, LABELS[role]!) }]])));
    isolatePorts(h);
    const { repo, api, dir } = h;
    const sandbox = await sandboxStatus("auto", true);
    expect(sandbox.active, `the panel's sandbox must work here (${sandbox.reason ?? ""})`).toBe(true);
    const teardownLog = join(dir, "teardown.log");
    const outside = tempDirOutsideTmp("ltp-outside-");
    onTestFinished(() => removeDir(outside));
    commitConfig(repo, {
      // Setup runs in the agent's sandbox: a folder writable outside it is read-only there.
      setup: `echo 'setting up the workspace'; (echo x > '${outside}/from-setup.txt') 2>/dev/null || echo 'outside the worktree is read-only here'; printf '%s %s' "$LONGTABLE_PANEL_WORKER_ID" "$LONGTABLE_PANEL_PORT_1" > .setup-marker`,
      // Runs in the worktree before it is removed: the marker is still there.
      teardown: `test -f .setup-marker && echo "torn down $LONGTABLE_PANEL_WORKER_ID" >> '${teardownLog}'`,
      copy: [".env*"],
      ports: 2,
      env: { PORT: "${LONGTABLE_PANEL_PORT}" },
      check: "npm test",
    }, { ".gitignore": ".env\n.env.local\n.setup-marker\n*.log\n" });
    // The leader's local files: two ignored (copied), one untracked but not ignored (refused).
    writeFileSync(join(repo, ".env"), "SECRET=leader\n");
    writeFileSync(join(repo, ".env.local"), "LOCAL=1\n");
    writeFileSync(join(repo, ".envrc"), "not ignored\n");

    const created = await api.runs.create({ repoPath: repo, prompt: "Look", roles: ROLES, mode: "draft" });
    await api.runs.launch({ runId: created.id });
    // Not approved: nothing was created or run, and the run says who waits.
    let run = await api.runs.get({ runId: created.id });
    expect(run.status).toBe("planned");
    expect(run.workers.map((w) => [w.status, w.executionState, w.setup?.state])).toEqual(ROLES.map(() => ["pending", "not_started", "awaiting_approval"]));
    for (const w of run.workers) expect(existsSync(w.worktreePath)).toBe(false);
    const setupView = await api.runs.setup({ runId: created.id });
    expect(setupView.waiting.map((w) => w.workerId)).toEqual(run.workers.map((w) => w.id));
    expect(eventsOf(run.eventLogPath).filter((e) => e.type === "config_approval_needed")).toHaveLength(1);
    const view = await api.repos.config({ repoId: run.repoId });
    expect(view).toMatchObject({ state: "needs_approval", issues: [], approved: null, uncommittedEdits: false });
    expect(view.config).toMatchObject({ ports: 2, copy: [".env*"], check: "npm test" });
    expect(view.waiting.map((w) => w.workerId)).toEqual(run.workers.map((w) => w.id));

    // Viewers cannot approve; a sha256 other than HEAD's text is refused; nothing starts meanwhile.
    await expectCode(callerFor(h.panel, "viewer").repos.approveConfig({ repoId: run.repoId, sha256: view.sha256! }), "FORBIDDEN");
    await expectCode(api.repos.approveConfig({ repoId: run.repoId, sha256: "0".repeat(64) }), "CONFLICT");
    expect((await api.runs.get({ runId: created.id })).status).toBe("planned");
    expect(existsSync(join(h.panel.config.dataDir, "approvals.json"))).toBe(false);

    const approved = await api.repos.approveConfig({ repoId: run.repoId, sha256: view.sha256! });
    expect(approved).toMatchObject({ state: "approved", waiting: [], started: [{ runId: created.id, workerIds: run.workers.map((w) => w.id) }] });
    expect(readFileSync(join(h.panel.config.dataDir, "approvals.json"), "utf8")).toContain(view.sha256!);

    run = await waitForRunStatus(h, created.id, ["completed", "failed", "blocked"]);
    expect(run.workers.map((w) => [w.status, w.setup?.state, w.setup?.exitCode])).toEqual(ROLES.map(() => ["completed", "passed", 0]));
    const ports = run.workers.flatMap((w) => w.ports ?? []);
    expect(run.workers.map((w) => w.ports?.length)).toEqual([2, 2, 2]);
    expect(new Set(ports).size).toBe(6);
    for (const p of ports) {
      expect(p).toBeGreaterThanOrEqual(h.panel.config.portRange[0]);
      expect(p).toBeLessThanOrEqual(h.panel.config.portRange[1]);
    }
    for (const w of run.workers) {
      const [p0, p1] = w.ports!;
      // Copied: the ignored files, byte for byte; not the untracked file git does not ignore.
      expect(readFileSync(join(w.worktreePath, ".env"), "utf8")).toBe("SECRET=leader\n");
      expect(readFileSync(join(w.worktreePath, ".env.local"), "utf8")).toBe("LOCAL=1\n");
      expect(existsSync(join(w.worktreePath, ".envrc"))).toBe(false);
      expect(w.diagnostics.join("\n")).toMatch(/Not copied from the leader: \.envrc \(git does not ignore it/);
      expect(readFileSync(join(w.worktreePath, ".setup-marker"), "utf8")).toBe(`${w.id} ${p1}`);
      // The agent started after setup: it saw the marker, its PORT and the .env — and committed only its own file.
      expect(gitIn(repo, "show", `${w.worktreeCommit}:agent-saw.txt`)).toBe(`${w.id} ${p1}PORT=${p0}\nSECRET=leader\n`);
      expect(gitIn(repo, "diff", "--name-only", `${w.baseCommit}..${w.worktreeCommit}`).trim()).toBe("agent-saw.txt");
      const seq = eventsOf(run.eventLogPath).filter((e) => e.workerId === w.id).map((e) => e.type);
      expect(seq).toEqual(["worktree_provisioned", "workspace_prepared", "worker_launched", "setup_finished", "worker_result"]);
      expect(readFileSync(w.logPath, "utf8")).toContain("setting up the workspace\noutside the worktree is read-only here\n");
    }
    expect(existsSync(join(outside, "from-setup.txt"))).toBe(false);
    expect((await api.runs.setup({ runId: created.id })).workers[0]!.tunnel).toBe(`ssh -N -L ${ports[0]}:127.0.0.1:${ports[0]} -L ${ports[1]}:127.0.0.1:${ports[1]} <ssh-host>`);

    // Clean-up refuses a worktree with an ignored file the agent made (not the copied or set-up ones), before any teardown.
    const theory = run.workers[1]!;
    // The discard preview counts the same way: the agent's notes.log is a loss; .env, .env.local and .setup-marker are not.
    const preview = await api.workers.discardPreview({ runId: created.id, workerId: theory.id });
    expect(preview).toMatchObject({ ignoredFiles: 1, ignoredPaths: ["notes.log"], launchMadeFiles: 3, wouldLose: { ignoredFiles: 1 } });
    expect((await api.workers.discardPreview({ runId: created.id, workerId: run.workers[0]!.id })).wouldLose).toEqual({ commits: 0, uncommittedFiles: 0, ignoredFiles: 0 });
    const kept = await expectCode(api.workers.cleanup({ runId: created.id, workerId: theory.id }), "PRECONDITION_FAILED");
    expect(kept.message).toMatch(/1 ignored file\(s\) or folder\(s\) \(notes\.log\)/);
    expect(existsSync(teardownLog)).toBe(false);

    // Clean-up of one worker: teardown ran in its worktree first; what setup and the copy left is no loss; its ports go back.
    const [first, ...rest] = run.workers;
    await api.workers.cleanup({ runId: created.id, workerId: first!.id });
    expect(readFileSync(teardownLog, "utf8")).toBe(`torn down ${first!.id}\n`);
    run = await api.runs.get({ runId: created.id });
    expect(run.workers[0]).toMatchObject({ cleanupStatus: "removed" });
    expect(run.workers[0]!.ports).toBeUndefined();
    expect(existsSync(first!.worktreePath)).toBe(false);
    expect(eventsOf(run.eventLogPath).filter((e) => e.type === "teardown_finished").map((e) => e.workerId)).toEqual([first!.id]);

    // Shutdown: the others' teardowns, their worktrees removed, every port released and free.
    const shut = await api.runs.shutdown({ runId: created.id });
    expect(readFileSync(teardownLog, "utf8").trim().split("\n").sort()).toEqual([first!.id, ...rest.map((w) => w.id)].map((id) => `torn down ${id}`).sort());
    expect(shut.workers.map((w) => [w.cleanupStatus, w.ports])).toEqual([["removed", undefined], ["failed", undefined], ["removed", undefined]]);
    for (const p of ports) expect(await portIsFree(p)).toBe(true);
  }, 120_000);

  it("a failing setup fails only its worker, with the exit code and its last lines; its agent never starts; a retry runs setup again", async () => {
    h = await bridgeHarness(Object.fromEntries(ROLES.map((role) => [role, [{ write: { path: "done.txt", content: "ok\n" } }, { result: resultFor(role, LABELS[role]!) }]])));
    isolatePorts(h);
    const { repo, api, dir } = h;
    // Each agent that starts records its role.
    const script = JSON.parse(readFileSync(join(dir, "fake-codex-script.json"), "utf8"));
    script._options = { record: join(dir, "agents.jsonl"), recordEnv: ["LONGTABLE_PANEL_ROLE"] };
    writeFileSync(join(dir, "fake-codex-script.json"), JSON.stringify(script));
    const allow = join(dir, "allow-theory");
    commitConfig(repo, { setup: `echo "setup for $LONGTABLE_PANEL_ROLE"; if [ "$LONGTABLE_PANEL_ROLE" = theory_critic ] && [ ! -f '${allow}' ]; then echo 'boom: the theory database is missing' >&2; exit 7; fi` });
    const created = await api.runs.create({ repoPath: repo, prompt: "p", roles: ROLES, mode: "draft" });
    const repoId = (await api.runs.get({ runId: created.id })).repoId;
    const view = await api.repos.config({ repoId });
    await api.repos.approveConfig({ repoId, sha256: view.sha256! });
    await api.runs.launch({ runId: created.id });
    let run = await waitForRunStatus(h, created.id, ["completed", "failed", "blocked"]);
    const by = Object.fromEntries(run.workers.map((w) => [w.role, w]));
    expect([by.reviewer!.status, by.methods_critic!.status]).toEqual(["completed", "completed"]);
    expect(by.theory_critic).toMatchObject({ status: "failed", setup: { state: "failed", exitCode: 7 } });
    expect(by.theory_critic!.failureReason).toMatch(/^setup failed \(exit 7\) in [\d.]+ s; the agent was not started\. Last lines of its output:\n/);
    expect(by.theory_critic!.failureReason).toContain("boom: the theory database is missing");
    const agents = () => readFileSync(join(dir, "agents.jsonl"), "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { env: Record<string, string> }).env.LONGTABLE_PANEL_ROLE);
    expect(agents().sort()).toEqual(["methods_critic", "reviewer"]);
    expect(existsSync(join(by.theory_critic!.worktreePath, "done.txt"))).toBe(false);

    // Retry: setup runs again, passes, and the agent starts.
    writeFileSync(allow, "");
    await api.runs.resume({ runId: created.id });
    run = await waitForRunStatus(h, created.id, ["completed", "failed", "blocked"]);
    const theory = run.workers.find((w) => w.role === "theory_critic")!;
    expect(theory).toMatchObject({ status: "completed", setup: { state: "passed", exitCode: 0 } });
    expect(agents().sort()).toEqual(["methods_critic", "reviewer", "theory_critic"]);
    expect(readFileSync(theory.logPath, "utf8").match(/setup for theory_critic/g)).toHaveLength(2);
  }, 120_000);

  it("refuses a config with a wrong type or an unknown key, naming the fields; nothing runs and it cannot be approved", async () => {
    h = await bridgeHarness({ "*": [{ result: "x" }] });
    const { repo, api, dir } = h;
    const marker = join(dir, "setup-ran");
    commitConfig(repo, { setup: `touch '${marker}'`, ports: "2", colour: "red" });
    const created = await api.runs.create({ repoPath: repo, prompt: "p", roles: ["reviewer"], mode: "draft" });
    const view = await api.repos.config({ repoId: created.repoId });
    expect(view.state).toBe("invalid");
    expect(view.issues).toEqual([
      { field: "ports", message: "ports must be a number: how many ports each worker gets" },
      { field: "colour", message: "unknown field (the config knows setup, teardown, check, copy, ports, env)" },
    ]);
    const err = await expectCode(api.repos.approveConfig({ repoId: created.repoId, sha256: view.sha256! }), "PRECONDITION_FAILED");
    expect(err.message).toContain("ports: ports must be a number");
    await api.runs.launch({ runId: created.id });
    const run = await api.runs.get({ runId: created.id });
    expect(run).toMatchObject({ status: "failed", bridgeStatus: "preflight_failed" });
    expect(run.workers[0]!.failureReason).toMatch(/\.longtable-panel\.json at commit [0-9a-f]{12} is refused, nothing was run: ports: .*; colour: unknown field/);
    expect(existsSync(run.workers[0]!.worktreePath)).toBe(false);
    expect(existsSync(marker)).toBe(false);
  }, 60_000);

  it("a merged worker commit that changes the config puts the repo back to needs approval; a new launch waits", async () => {
    const changed = `${JSON.stringify({ ports: 1, setup: "echo sneaky" }, null, 2)}\n`;
    h = await bridgeHarness({ reviewer: [{ write: { path: CONFIG, content: changed } }, { result: resultFor("reviewer", "Reviewer") }] });
    isolatePorts(h);
    const { repo, api } = h;
    commitConfig(repo, { ports: 1 });
    const created = await api.runs.create({ repoPath: repo, prompt: "p", roles: ["reviewer"], mode: "draft" });
    const first = await api.repos.config({ repoId: created.repoId });
    await api.repos.approveConfig({ repoId: created.repoId, sha256: first.sha256! });
    await api.runs.launch({ runId: created.id });
    const run = await waitForRunStatus(h, created.id, ["completed", "failed", "blocked"]);
    expect(run.workers[0], run.workers[0]!.failureReason).toMatchObject({ status: "completed", setup: { state: "none" } });
    expect(run.workers[0]!.ports).toHaveLength(1);
    await api.workers.merge({ runId: created.id, workerId: run.workers[0]!.id });

    const after = await api.repos.config({ repoId: created.repoId });
    expect(after).toMatchObject({ state: "needs_approval", approved: { sha256: first.sha256 } });
    expect(after.sha256).not.toBe(first.sha256);
    expect(after.diff).toContain('+  "setup": "echo sneaky"');
    const next = await api.runs.create({ repoPath: repo, prompt: "again", roles: ["reviewer"], mode: "draft" });
    await api.runs.launch({ runId: next.id });
    await waitFor(async () => (await api.runs.setup({ runId: next.id })).waiting.length === 1, "the new run's worker to wait for approval");
    expect((await api.runs.get({ runId: next.id })).workers[0]!.executionState).toBe("not_started");
    // Stopped while it waits, it no longer starts when the text is approved.
    expect((await api.runs.stop({ runId: next.id })).workers[0]!.status).toBe("stopped");
    expect((await api.repos.config({ repoId: created.repoId })).waiting).toEqual([]);
    expect((await api.repos.approveConfig({ repoId: created.repoId, sha256: after.sha256! })).started).toEqual([]);
    expect((await api.runs.get({ runId: next.id })).workers[0]).toMatchObject({ status: "stopped", executionState: "stopped" });
  }, 90_000);
});
