/** The repository config as data (ARCHITECTURE.md §10): the strict schema, the panel's variables, and its pure transitions. */
import { describe, expect, it } from "vitest";
import type { PanelRun, PanelWorker } from "@/server/core/records";
import { configEnv, globProblem, issuesText, panelVariables, parseRepoConfig } from "@/server/panel/config/schema";
import { tunnelLine } from "@/server/panel/config/run-setup";
import { portsOf } from "@/server/panel/config/turn";
import { chain, portsReleased, setupFinished, teardownRan, workersAwaitApproval, workspacePrepared } from "@/server/panel/machine-setup";

const SHA = "a".repeat(64);
const NOW = "2026-01-02T03:04:05.000Z";

function worker(id: string, extra: Partial<PanelWorker> = {}): PanelWorker {
  return {
    id, role: id.replace(/^worker-\d+-/, ""), label: id, required: true, agent: "codex", runtimeLayout: "panel", status: "pending", executionState: "not_started",
    cleanupStatus: "not_started", taskPath: "/t", resultPath: "/r", logPath: "/l", launcherPath: "/x", exitCodePath: "/e", mailboxPath: "/m", taskStatePath: "/s",
    worktreePath: `/wt/${id}`, worktreeBranch: `b/${id}`, updatedAt: NOW, diagnostics: [], ...extra,
  };
}

function run(workers: PanelWorker[], extra: Partial<PanelRun> = {}): PanelRun {
  return {
    id: "panel_run_abcdef_abcd", schemaVersion: 1, kind: "longtable.panelWorkerRun", createdAt: NOW, updatedAt: NOW, status: "planned", bridgeStatus: "not_requested",
    mode: "draft", prompt: "p", workingDirectory: "/repo", invocationId: "i", planId: "p", runDirectory: "/d", worktreeDirectory: "/d/w", eventLogPath: "/d/e",
    outputSchemaPath: "/d/o", stopFilePath: "/d/s", aggregateResultPath: "/d/a", sequentialFallbackAvailable: true, workers, diagnostics: [], ...extra,
  };
}

describe("the config's schema", () => {
  it("accepts a full config", () => {
    const text = JSON.stringify({ $schema: "x", setup: "npm ci", teardown: "docker compose down", check: "npm test", copy: [".env*", "data/local/**", "**/.env"], ports: 2, env: { PORT: "${LONGTABLE_PANEL_PORT}", NODE_ENV: "development" } });
    expect(parseRepoConfig(text)).toEqual({ config: JSON.parse(text), issues: [] });
    expect(parseRepoConfig("{}")).toEqual({ config: {}, issues: [] });
  });

  it("names the field of every problem: wrong types, unknown keys, reserved or unknown names, bad globs", () => {
    expect(parseRepoConfig('{"ports": "2", "colour": "red", "setup": 3}').issues).toEqual([
      { field: "setup", message: expect.stringContaining("setup must be a string") },
      { field: "ports", message: "ports must be a number: how many ports each worker gets" },
      { field: "colour", message: "unknown field (the config knows setup, teardown, check, copy, ports, env)" },
    ]);
    expect(parseRepoConfig('{"ports": 2.5}').issues).toEqual([{ field: "ports", message: "ports must be a whole number" }]);
    expect(parseRepoConfig('{"ports": 99}').issues[0]!.field).toBe("ports");
    expect(parseRepoConfig('{"env": {"HOME": "/x", "LONGTABLE_PANEL_PORT": "1", "1BAD": "y"}}').issues.map((i) => i.field)).toEqual(["env.HOME", "env.LONGTABLE_PANEL_PORT", "env.1BAD"]);
    expect(parseRepoConfig('{"env": {"A": 1}}').issues).toEqual([{ field: "env.A", message: "env values must be strings" }]);
    expect(parseRepoConfig('{"ports": 1, "env": {"A": "${LONGTABLE_PANEL_PORT_1}"}}').issues).toEqual([{ field: "env.A", message: expect.stringContaining("${LONGTABLE_PANEL_PORT_1} is not a panel variable") }]);
    expect(parseRepoConfig('{"copy": ["ok", "/etc/passwd", "../up", "a/**b", "[ab]", ".git/config"]}').issues.map((i) => i.field)).toEqual(["copy.1", "copy.2", "copy.3", "copy.4", "copy.5"]);
    expect(parseRepoConfig('{"copy": ".env"}').issues).toEqual([{ field: "copy", message: expect.stringContaining("copy must be a list of globs") }]);
    expect(parseRepoConfig('{"setup": "   "}').issues).toEqual([{ field: "setup", message: "setup is empty: remove the field, or give a command" }]);
    expect(parseRepoConfig("[1]").issues).toEqual([{ field: "", message: "the config must be a JSON object" }]);
    expect(parseRepoConfig("{,}").issues[0]).toMatchObject({ field: "", message: expect.stringMatching(/^not valid JSON/) });
    expect(issuesText(parseRepoConfig('{"ports": "2", "x": 1}').issues)).toBe("ports: ports must be a number: how many ports each worker gets; x: unknown field (the config knows setup, teardown, check, copy, ports, env)");
  });

  it("allows only *, ? and whole-segment ** in copy globs", () => {
    for (const ok of [".env", ".env*", "data/local/**", "**/.env", "a/?.txt", "a/**/b.csv"]) expect(globProblem(ok)).toBeUndefined();
    for (const bad of ["/abs", "a//b", "./a", "a/../b", "**x", "{a,b}", "!a", "a\\b", ":(top)a", ".longtable/x"]) expect(globProblem(bad)).toBeDefined();
  });

  it("gives the panel's variables and substitutes only them in env values, as literal text", () => {
    const vars = panelVariables({ runId: "r", workerId: "w", role: "reviewer", promptFile: "/p/task.md", ports: [41000, 41001] });
    expect(vars).toEqual({
      LONGTABLE_PANEL_RUN_ID: "r", LONGTABLE_PANEL_WORKER_ID: "w", LONGTABLE_PANEL_ROLE: "reviewer", LONGTABLE_PANEL_PROMPT_FILE: "/p/task.md",
      LONGTABLE_PANEL_PORT: "41000", LONGTABLE_PANEL_PORT_0: "41000", LONGTABLE_PANEL_PORT_1: "41001",
    });
    expect(configEnv({ env: { PORT: "${LONGTABLE_PANEL_PORT_1}", URL: "http://127.0.0.1:${LONGTABLE_PANEL_PORT}/$(id)" } }, vars)).toEqual({ PORT: "41001", URL: "http://127.0.0.1:41000/$(id)" });
    expect(panelVariables({ runId: "r", workerId: "w", role: "x", promptFile: "/p", ports: [] })).not.toHaveProperty("LONGTABLE_PANEL_PORT");
  });

  it("reads ports from a record as data, and builds the tunnel line", () => {
    expect(portsOf({ ports: [41000, "41001", -1, 70000, 1.5] as unknown as number[] })).toEqual([41000]);
    expect(portsOf({ ports: "41000" as unknown as number[] })).toEqual([]);
    expect(tunnelLine([41000, 41001])).toBe("ssh -N -L 41000:127.0.0.1:41000 -L 41001:127.0.0.1:41001 <ssh-host>");
    expect(tunnelLine([])).toBeNull();
  });
});

describe("repo config transitions", () => {
  it("workers waiting for an approval stay pending in a planned run, one event names them", () => {
    const t = workersAwaitApproval(run([worker("worker-1-reviewer"), worker("worker-2-editor", { status: "completed", executionState: "result_ready" })], { status: "failed" }), ["worker-1-reviewer"], SHA, "c".repeat(40), NOW);
    expect(t.run).toMatchObject({ status: "planned", bridgeStatus: "not_requested" });
    expect(t.run.workers[0]).toMatchObject({ status: "pending", executionState: "not_started", setup: { state: "awaiting_approval", sha256: SHA } });
    expect(t.run.workers[1]!.setup).toBeUndefined();
    expect(t.events).toHaveLength(1);
    expect(t.events[0]).toMatchObject({ type: "config_approval_needed", message: expect.stringContaining("worker-1-reviewer wait") });
    // With another worker still running, the run keeps running.
    const busy = workersAwaitApproval(run([worker("worker-1-reviewer"), worker("worker-2-editor", { status: "running", executionState: "running" })]), ["worker-1-reviewer"], SHA, "c".repeat(40), NOW);
    expect(busy.run.status).toBe("running");
  });

  it("records the workspace, then setup passed or the worker failed with the exit code and last lines", () => {
    const prepared = workspacePrepared(run([worker("worker-1-reviewer")]), "worker-1-reviewer", { sha256: SHA, ports: [41000], hasSetup: true, copied: { files: [{ path: ".env", bytes: 12 }], skipped: [{ path: ".envrc", reason: "not ignored" }] } }, NOW);
    const w = prepared.run.workers[0]!;
    expect(w).toMatchObject({ ports: [41000], setup: { state: "running", sha256: SHA, startedAt: NOW } });
    expect(w.diagnostics).toContain("Not copied from the leader: .envrc (not ignored).");
    expect(prepared.events[0]!.message).toMatch(/port 41000; copied 1 file\(s\) \(12 B\) from the leader: \.env; 1 not copied .*; setup runs in the worker's window before the agent/);
    const running = { ...prepared.run, status: "running" as const, workers: [{ ...w, status: "running" as const, executionState: "running" as const }] };
    const passed = setupFinished(running, w.id, { exitCode: 0, finishedAt: "2026-01-02T03:04:07.500Z", tail: "" }, NOW);
    expect(passed.run.workers[0]).toMatchObject({ status: "running", setup: { state: "passed", exitCode: 0 } });
    expect(passed.events[0]).toMatchObject({ type: "setup_finished", message: "worker-1-reviewer: setup passed in 2.5 s; the agent starts." });
    const failed = setupFinished(running, w.id, { exitCode: 7, finishedAt: "2026-01-02T03:04:06.000Z", tail: "npm ERR! missing\n" }, NOW);
    expect(failed.run.status).toBe("failed");
    expect(failed.run.workers[0]).toMatchObject({ status: "failed", setup: { state: "failed", exitCode: 7 }, failureReason: "setup failed (exit 7) in 1.0 s; the agent was not started. Last lines of its output:\nnpm ERR! missing" });
    expect(failed.events.map((e) => e.type)).toEqual(["worker_failed"]);
    // Without a config, nothing of an earlier one stays.
    const cleared = workspacePrepared(prepared.run, w.id, { ports: [], hasSetup: false, copied: { files: [], skipped: [] } }, NOW);
    expect(cleared.run.workers[0]!.ports).toBeUndefined();
    expect(cleared.run.workers[0]!.setup).toBeUndefined();
    expect(cleared.events).toEqual([]);
  });

  it("reports a teardown, releases ports, and chains transitions into one", () => {
    const r = run([worker("worker-1-reviewer", { ports: [41000, 41001] }), worker("worker-2-editor", { ports: [41002] })]);
    const failed = teardownRan(r, "worker-1-reviewer", { exitCode: null, signal: "SIGKILL", timedOut: true, tail: "stopping db", ms: 120000 }, NOW);
    expect(failed.events[0]).toMatchObject({ type: "teardown_failed", message: "worker-1-reviewer: teardown timed out and was stopped; the worktree is removed anyway. Last lines:\nstopping db" });
    expect(teardownRan(r, "worker-1-reviewer", { exitCode: 0, timedOut: false, tail: "", ms: 1500 }, NOW).events[0]).toMatchObject({ type: "teardown_finished", message: "worker-1-reviewer: teardown finished in 1.5 s." });
    const both = chain(failed, (x) => portsReleased(x, ["worker-1-reviewer"], NOW));
    expect(both.events.map((e) => e.type)).toEqual(["teardown_failed"]);
    expect(both.run.workers.map((w) => w.ports)).toEqual([undefined, [41002]]);
    expect(portsReleased(both.run, ["worker-1-reviewer"], NOW).run).toBe(both.run);
  });
});
