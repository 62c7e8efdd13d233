import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import { sandboxStatus } from "@/server/bridge/sandbox";
import { sessionNameFor } from "@/server/bridge/tmux";
import { PREFLIGHT_HELP } from "@/server/panel/lifecycle/preflight-help";
import { bridgeHarness, gitIn, resultFor, waitForRunStatus, type BridgeHarness } from "../support/bridge";
import { waitFor } from "../support/wait";

let h: BridgeHarness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

function leaderFingerprint(repo: string) {
  return {
    status: gitIn(repo, "status", "--porcelain=v2", "--untracked-files=all"),
    diff: gitIn(repo, "diff", "--binary", "HEAD"),
    staged: gitIn(repo, "diff", "--binary", "--cached"),
    index: sha(readFileSync(join(repo, ".git", "index"))),
    files: ["README.md", "src/app.txt", "notes.txt"].map((f) => (existsSync(join(repo, f)) ? sha(readFileSync(join(repo, f))) : null)),
    head: gitIn(repo, "rev-parse", "HEAD"),
  };
}

describe("worker bridge with real git and tmux", () => {
  it("runs a 3-member panel on a dirty leader to completion without touching the leader", async () => {
    h = await bridgeHarness({
      reviewer: [{ write: { path: "review.md", content: "# Review\nok\n" } }, { usage: { input_tokens: 120, cached_input_tokens: 20, output_tokens: 30 } }, { result: resultFor("reviewer", "Reviewer") }],
      theory_critic: [{ delete: "README.md" }, { shell: "echo theory > theory.txt && false" }, { result: resultFor("theory_critic", "Theory Critic") }],
      methods_critic: [{ write: { path: "src/app.txt", content: "one\nTWO\nthree\nfour\n" } }, { result: resultFor("methods_critic", "Methods Critic") }],
    });
    const { repo, api } = h;
    // A dirty leader: an unstaged edit, a staged edit and an untracked file.
    writeFileSync(join(repo, "src/app.txt"), "one\ntwo\nthree\n(leader edit)\n");
    writeFileSync(join(repo, "notes.txt"), "untracked leader notes\n");
    writeFileSync(join(repo, "README.md"), "# demo (staged)\n");
    gitIn(repo, "add", "README.md");
    const before = leaderFingerprint(repo);

    const created = await api.runs.create({ repoPath: repo, prompt: "Look at the app", roles: ["reviewer", "theory_critic", "methods_critic"], mode: "draft" });
    await api.runs.launch({ runId: created.id });
    const run = await waitForRunStatus(h, created.id, ["completed", "failed", "blocked"]);
    expect(run.workers.map((w) => [w.id, w.status, w.executionState])).toEqual([
      ["worker-1-reviewer", "completed", "result_ready"],
      ["worker-2-theory_critic", "completed", "result_ready"],
      ["worker-3-methods_critic", "completed", "result_ready"],
    ]);
    expect(run.status).toBe("completed");
    expect(run.bridgeStatus).toBe("completed");

    for (const w of run.workers) {
      // base = leader snapshot commit on top of the leader HEAD; the worker's own commit on top of it
      expect(gitIn(repo, "rev-parse", `${w.baseCommit}^`).trim()).toBe(before.head.trim());
      expect(gitIn(repo, "log", "-1", "--format=%an <%ae>|%s", w.baseCommit!).trim()).toBe("LongTable Panel Worker <longtable-panel-worker@example.invalid>|LongTable leader snapshot: tracked uncommitted changes of the leader checkout");
      expect(gitIn(repo, "show", `${w.baseCommit}:src/app.txt`)).toBe("one\ntwo\nthree\n(leader edit)\n");
      expect(gitIn(repo, "rev-parse", w.worktreeBranch).trim()).toBe(w.worktreeCommit);
      expect(gitIn(repo, "rev-list", "--count", `${w.baseCommit}..${w.worktreeCommit}`).trim()).toBe("1");
      expect(gitIn(repo, "log", "-1", "--format=%s", w.worktreeCommit!).trim()).toBe(`longtable panel worker ${w.id}`);
      const files = gitIn(repo, "diff", "--name-status", `${w.baseCommit}..${w.worktreeCommit}`).trim();
      expect(files).not.toContain(".longtable-worker");
      if (w.role === "reviewer") expect(files).toBe("A\treview.md");
      if (w.role === "theory_critic") expect(files.split("\n").sort()).toEqual(["A\ttheory.txt", "D\tREADME.md"]);
      if (w.role === "methods_critic") expect(files).toBe("M\tsrc/app.txt");
    }

    const aggregate = JSON.parse(readFileSync(run.aggregateResultPath, "utf8"));
    expect(aggregate.memberResults.map((m: { role: string; status: string }) => `${m.role}:${m.status}`)).toEqual(["reviewer:completed", "theory_critic:completed", "methods_critic:completed"]);
    const aggregateId = aggregate.id;
    await api.runs.refresh({ runId: run.id });
    expect(JSON.parse(readFileSync(run.aggregateResultPath, "utf8")).id).toBe(aggregateId);
    expect((await api.runs.result({ runId: run.id })).memberResults).toHaveLength(3);

    // events in order: created first; per worker provisioned < launched < result
    const events = readFileSync(run.eventLogPath, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { type: string; workerId?: string });
    expect(events[0]!.type).toBe("run_created");
    for (const w of run.workers) {
      const seq = events.filter((e) => e.workerId === w.id).map((e) => e.type);
      expect(seq).toEqual(["worktree_provisioned", "worker_launched", "worker_result"]);
    }

    // activity: commands with exit codes, file changes, usage and thread id
    const rows = h.panel.dbh.sqlite.prepare("select worker_id, kind, text, data from activity where run_id = ? order by seq").all(run.id) as Array<{ worker_id: string; kind: string; text: string; data: string }>;
    const theoryCmd = rows.find((r) => r.worker_id === "worker-2-theory_critic" && r.kind === "command" && JSON.parse(r.data).phase === "completed");
    expect(JSON.parse(theoryCmd!.data)).toMatchObject({ exitCode: 1, command: "echo theory > theory.txt && false" });
    expect(rows.some((r) => r.worker_id === "worker-1-reviewer" && r.kind === "file_change" && r.text.includes("review.md"))).toBe(true);
    const reviewer = run.workers[0]!;
    expect(reviewer.usage).toEqual({ inputTokens: 120, cachedInputTokens: 20, outputTokens: 30 });
    expect(reviewer.threadId).toMatch(/\S+/);
    // state.json mirrors the worker record
    expect(JSON.parse(readFileSync(reviewer.taskStatePath, "utf8"))).toMatchObject({ workerId: reviewer.id, status: "completed", executionState: "result_ready", worktreeCommit: reviewer.worktreeCommit });

    // the leader is byte-identical
    expect(leaderFingerprint(repo)).toEqual(before);
  });

  it("ends malformed, failing, mismatched and killed workers in documented states, others unaffected", async () => {
    const bad = "\xff\xfe invalid utf8 \xc3\x28";
    h = await bridgeHarness({
      reviewer: [{ stdout: "not json at all\n" }, { result: "I think the paper is fine." }],
      theory_critic: [{ result: { ...resultFor("theory_critic", "Theory Critic"), extra: "dropped", nested: { a: 1 } } }],
      methods_critic: [{ result: { ...resultFor("methods_critic", "Methods Critic"), claims: "not an array", objections: [1, "kept", null] } }],
      measurement_auditor: [{ bigOutput: 50 * 1024 * 1024, to: "stdout" }, { result: { ...resultFor("measurement_auditor", "Measurement Auditor"), summary: "s".repeat(3 * 1024 * 1024) } }],
      editor: [{ fail: "model exploded", exit: 3 }],
      ethics_reviewer: [{ result: resultFor("reviewer", "Reviewer") }],
      voice_keeper: [{ hang: true }],
      venue_strategist: [{ result: { ...resultFor("venue_strategist", "Venue Strategist"), summary: bad } }],
    });
    const { repo, api } = h;
    const roles = ["reviewer", "theory_critic", "methods_critic", "measurement_auditor", "editor", "ethics_reviewer", "voice_keeper", "venue_strategist"];
    const created = await api.runs.create({ repoPath: repo, prompt: "stress", roles, mode: "review" });
    await api.runs.launch({ runId: created.id });
    const voice = () => h!.api.runs.get({ runId: created.id }).then((r) => r.workers.find((w) => w.role === "voice_keeper")!);
    await waitFor(async () => (await voice()).status === "running" && (await voice()).runtime?.paneId, "voice_keeper to run");
    // everything but the hanging worker settles
    await waitFor(async () => (await api.runs.get({ runId: created.id })).workers.filter((w) => w.status !== "running").length === 7, "7 workers to settle", 60_000);
    await h.tmux.killPane((await voice()).runtime!.paneId!);
    const run = await waitForRunStatus(h, created.id, ["failed", "completed", "blocked"]);
    const by = Object.fromEntries(run.workers.map((w) => [w.role, w]));
    expect(by.reviewer).toMatchObject({ status: "failed" });
    expect(by.reviewer!.failureReason).toMatch(/not valid JSON/i);
    expect(by.theory_critic).toMatchObject({ status: "completed" });
    const tc = JSON.parse(readFileSync(by.theory_critic!.resultPath, "utf8"));
    expect(Object.keys(tc).sort()).toEqual(["claims", "error", "evidenceRefs", "label", "objections", "openQuestions", "role", "status", "summary"]);
    expect(by.methods_critic).toMatchObject({ status: "completed" });
    const mc = JSON.parse(readFileSync(by.methods_critic!.resultPath, "utf8"));
    expect(mc.claims).toEqual([]);
    expect(mc.objections).toEqual(["kept"]);
    expect(by.measurement_auditor).toMatchObject({ status: "completed" });
    expect(readFileSync(by.measurement_auditor!.resultPath).length).toBeLessThan(1024 * 1024);
    const bigRows = h.panel.dbh.sqlite.prepare("select length(text) + length(coalesce(data, '')) n from activity where worker_id = 'worker-4-measurement_auditor'").all() as { n: number }[];
    expect(bigRows.length).toBeGreaterThan(0);
    expect(Math.max(...bigRows.map((r) => r.n))).toBeLessThan(64 * 1024);
    expect(by.editor).toMatchObject({ status: "failed" });
    expect(by.editor!.failureReason).toMatch(/exited 3/);
    expect(by.ethics_reviewer).toMatchObject({ status: "failed", executionState: "result_ready" });
    expect(by.ethics_reviewer!.failureReason).toMatch(/role mismatch/);
    expect(by.voice_keeper).toMatchObject({ status: "failed" });
    expect(by.voice_keeper!.failureReason).toMatch(/pane|window/);
    expect(by.venue_strategist).toMatchObject({ status: "completed" });
    expect(JSON.parse(readFileSync(by.venue_strategist!.resultPath, "utf8")).summary).toContain("invalid utf8");
    expect(run.status).toBe("failed");
    const aggregateWritten = existsSync(run.aggregateResultPath);
    expect(aggregateWritten).toBe(false); // only completed or blocked runs get panel-result.json
  });

  it("stops mid-run, resumes to completion, then shuts down keeping branches and commits", async () => {
    const dir = () => h!.dir;
    h = await bridgeHarness({});
    const gate = join(dir(), "gate");
    const script = {
      reviewer: [{ write: { path: "r.txt", content: "r\n" } }, { shell: `while [ ! -f '${gate}' ]; do sleep 0.05; done` }, { result: resultFor("reviewer", "Reviewer") }],
      editor: [{ write: { path: "e.txt", content: "e\n" } }, { result: resultFor("editor", "Journal Editor") }],
    };
    writeFileSync(join(dir(), "fake-codex-script.json"), JSON.stringify(script));
    const { api, repo } = h;
    const created = await api.runs.create({ repoPath: repo, prompt: "p", roles: ["reviewer", "editor"], mode: "draft" });
    await api.runs.launch({ runId: created.id });
    await waitFor(async () => (await api.runs.get({ runId: created.id })).workers[1]!.status === "completed", "editor to complete");
    await waitFor(() => existsSync(join(repo, ".longtable/panel-runs", created.id, "worktrees/worker-1-reviewer/r.txt")), "reviewer to start writing");

    const stopped = await api.runs.stop({ runId: created.id });
    expect(stopped.status).toBe("stopped");
    expect(stopped.workers.map((w) => w.status)).toEqual(["stopped", "completed"]);
    expect(existsSync(stopped.stopFilePath)).toBe(true);
    const panes = (await h.tmux.listPanes()).filter((p) => p.session === sessionNameFor(created.id));
    expect(panes.map((p) => p.window)).toEqual(["worker-2-editor"]);
    // a completed run ignores stop; a stopped one ignores a second stop
    expect((await api.runs.stop({ runId: created.id })).status).toBe("stopped");

    writeFileSync(gate, "go");
    const resumed = await api.runs.resume({ runId: created.id });
    expect(existsSync(resumed.stopFilePath)).toBe(false);
    const done = await waitForRunStatus(h, created.id, ["completed", "failed"]);
    expect(done.status).toBe("completed");
    const reviewer = done.workers[0]!;
    expect(reviewer.attempt).toBe(2);
    expect(gitIn(repo, "show", "--name-only", "--format=", reviewer.worktreeCommit!).trim()).toBe("r.txt");
    const types = readFileSync(done.eventLogPath, "utf8").trim().split("\n").map((l) => JSON.parse(l).type);
    expect(types).toContain("stop_requested");
    expect(types).toContain("resume_requested");
    // no orphan windows: one window per worker
    expect((await h.tmux.listPanes()).filter((p) => p.session === sessionNameFor(created.id)).map((p) => p.window).sort()).toEqual(["worker-1-reviewer", "worker-2-editor"]);
    expect((await api.runs.stop({ runId: created.id })).status).toBe("completed");
    expect((await api.runs.resume({ runId: created.id })).status).toBe("completed");

    const shut = await api.runs.shutdown({ runId: created.id });
    expect(shut.bridgeStatus).toBe("shutdown");
    for (const w of shut.workers) {
      expect(w.cleanupStatus).toBe("removed");
      expect(existsSync(w.worktreePath)).toBe(false);
      expect(gitIn(repo, "rev-parse", w.worktreeBranch).trim()).toBe(w.worktreeCommit);
    }
    expect(gitIn(repo, "worktree", "list", "--porcelain").match(/^worktree /gm)).toHaveLength(1);
    expect((await h.tmux.listPanes()).filter((p) => p.session === sessionNameFor(created.id))).toHaveLength(0);
  });

  it("shutdown keeps a worktree with uncommitted changes and says why", async () => {
    h = await bridgeHarness({ reviewer: [{ write: { path: "x.txt", content: "x\n" } }, { hang: true }] });
    const { api, repo } = h;
    const created = await api.runs.create({ repoPath: repo, prompt: "p", roles: ["reviewer"], mode: "draft" });
    await api.runs.launch({ runId: created.id });
    const wt = join(repo, ".longtable/panel-runs", created.id, "worktrees/worker-1-reviewer");
    await waitFor(() => existsSync(join(wt, "x.txt")), "the worker to write");
    const shut = await api.runs.shutdown({ runId: created.id });
    expect(shut.workers[0]).toMatchObject({ cleanupStatus: "failed", executionState: "cleanup_failed" });
    expect(shut.workers[0]!.failureReason).toMatch(/uncommitted/);
    expect(readFileSync(join(wt, "x.txt"), "utf8")).toBe("x\n");
    expect(readFileSync(shut.eventLogPath, "utf8")).toContain("cleanup_failed");
  });

  it("preflight failure changes nothing on disk or in git", async () => {
    h = await bridgeHarness({});
    const { api, repo, panel } = h;
    panel.config.agentBins.codex = "/nonexistent/codex";
    const created = await api.runs.create({ repoPath: repo, prompt: "p", roles: ["reviewer", "editor"], mode: "review" });
    const branchesBefore = gitIn(repo, "branch", "--list");
    const run = await api.runs.launch({ runId: created.id });
    expect(run.status).toBe("failed");
    expect(run.bridgeStatus).toBe("preflight_failed");
    expect(run.diagnostics).toContain("codex:unavailable");
    expect(run.workers.every((w) => w.executionState === "preflight_failed")).toBe(true);
    expect(existsSync(join(run.runDirectory, "worktrees"))).toBe(false);
    expect(gitIn(repo, "branch", "--list")).toBe(branchesBefore);
    expect(readFileSync(run.eventLogPath, "utf8")).toContain('"preflight_failed"');
  });

  it("refuses an agent binary the sandbox hides (under /tmp, outside every folder bound back in), saying what to do", async () => {
    h = await bridgeHarness({});
    const { api, repo, panel } = h;
    const status = await sandboxStatus("auto", true);
    expect(status.active, `the panel's sandbox must work here (${status.reason ?? ""})`).toBe(true);
    // The harness's fake codex, copied to a /tmp folder the sandbox does not bind back in.
    const hidden = mkdtempSync(join("/tmp", "ltp-hidden-bin-"));
    onTestFinished(() => rmSync(hidden, { recursive: true, force: true }));
    const bin = join(hidden, "codex");
    copyFileSync(panel.config.agentBins.codex!, bin);
    chmodSync(bin, 0o755);
    panel.config.agentBins.codex = bin;
    const created = await api.runs.create({ repoPath: repo, prompt: "p", roles: ["reviewer"], mode: "review" });
    const run = await api.runs.launch({ runId: created.id });
    expect(run.bridgeStatus).toBe("preflight_failed");
    expect(run.diagnostics).toContain("codex:hidden-by-sandbox");
    expect(PREFLIGHT_HELP["codex:hidden-by-sandbox"]).toMatch(/outside \/tmp/);
    expect(existsSync(join(run.runDirectory, "worktrees"))).toBe(false);
  });

  it("passes prompts, labels and briefs with shell characters literally and executes nothing", async () => {
    const nasty = `it's "x" $(touch PWNED) \`touch PWNED2\`; touch PWNED3\n-rf --help\n$HOME 'q'`;
    h = await bridgeHarness({});
    const record = join(h.dir, "record.jsonl");
    writeFileSync(join(h.dir, "fake-codex-script.json"), JSON.stringify({ _options: { record }, "*": [{ result: "{}" }] }));
    const { api, repo } = h;
    await api.roles.create({ id: "tester", label: `-Tester "$(touch PWNED4)" ; \`x\``, brief: `Brief with $(touch PWNED5) and 'quotes'; \`rm\`\n-dash` });
    const created = await api.runs.create({ repoPath: repo, prompt: nasty, roles: ["tester"], mode: "review" });
    await api.runs.launch({ runId: created.id });
    await waitForRunStatus(h, created.id, ["failed", "completed"]);
    const rec = JSON.parse(readFileSync(record, "utf8").trim().split("\n")[0]!);
    expect(rec.stdin).toContain(nasty);
    expect(rec.stdin).toContain(`Role: -Tester "$(touch PWNED4)" ; \`x\` (tester)`);
    expect(rec.stdin).toContain(`Brief with $(touch PWNED5) and 'quotes'; \`rm\`\n-dash`);
    const wt = join(repo, ".longtable/panel-runs", created.id, "worktrees/worker-1-tester");
    for (const f of ["PWNED", "PWNED2", "PWNED3", "PWNED4", "PWNED5"]) {
      expect(existsSync(join(wt, f))).toBe(false);
      expect(existsSync(join(repo, f))).toBe(false);
    }
  });
});

describe("after a run: decisions, synthesis, usage", () => {
  it("records a decision through the door; it survives a rebuild of the index", async () => {
    h = await bridgeHarness({
      reviewer: [{ usage: { input_tokens: 10, cached_input_tokens: 0, output_tokens: 5 } }, { result: resultFor("reviewer", "Reviewer", { objections: ["Effect sizes are not reported"] }) }],
      editor: [{ usage: { input_tokens: 7, cached_input_tokens: 1, output_tokens: 2 } }, { result: resultFor("editor", "Journal Editor", { objections: ["Effect sizes not reported in the main table"] }) }],
    });
    const { api, repo, panel } = h;
    const created = await api.runs.create({ repoPath: repo, prompt: "p", roles: ["reviewer", "editor"], mode: "review" });
    await expect(api.runs.decide({ runId: created.id, answer: "proceed" })).rejects.toThrow(/finished/);
    await api.runs.launch({ runId: created.id });
    await waitForRunStatus(h, created.id, ["completed"]);
    const d = await api.runs.decide({ runId: created.id, answer: "revise", note: "Add effect sizes.\nThen rerun." });
    expect(d.answer).toBe("revise");
    expect((await api.runs.list({})).items[0]!.lastDecision).toBe("revise");
    expect((await api.runs.decisions({ runId: created.id })).map((x) => x.note)).toEqual(["Add effect sizes.\nThen rerun."]);
    const synthesis = await api.runs.synthesis({ runId: created.id });
    expect(synthesis.objectionGroups[0]!.roles.sort()).toEqual(["editor", "reviewer"]);
    expect(synthesis.markdown).toContain("Journal Editor");
    const usage = await api.runs.usage({ runId: created.id });
    expect(usage.total).toEqual({ inputTokens: 17, cachedInputTokens: 1, outputTokens: 7 });
    await expect(api.runs.decide({ runId: created.id, answer: "bad\u0007" })).rejects.toThrow();

    panel.dbh.sqlite.exec("delete from decisions; delete from events; delete from workers; delete from runs;");
    const { reindexFromDisk } = await import("@/server/panel/runs/rebuild");
    await reindexFromDisk(panel);
    expect((await api.runs.list({})).items[0]!.lastDecision).toBe("revise");
    expect((await api.runs.decisions({ runId: created.id }))).toHaveLength(1);
    const types = panel.dbh.sqlite.prepare("select type from events where run_id = ? order by seq").all(created.id).map((r) => (r as { type: string }).type);
    expect(types.at(-1)).toBe("decision_recorded");
  });
});

describe("activity ingestion", () => {
  it("ingests every agent event even when the worker finishes with megabytes unread", async () => {
    const emits = Array.from({ length: 6000 }, (_, i) => ({ emit: { type: "item.completed", item: { id: `item_${i}`, type: "agent_message", text: `message ${i} ${"é".repeat(400)}` } } }));
    h = await bridgeHarness({ reviewer: [...emits, { result: resultFor("reviewer", "Reviewer") }] });
    const { api, repo, panel } = h;
    const created = await api.runs.create({ repoPath: repo, prompt: "p", roles: ["reviewer"], mode: "review" });
    await api.runs.launch({ runId: created.id });
    await waitForRunStatus(h, created.id, ["completed"], 60_000);
    const rows = panel.dbh.sqlite.prepare("select text from activity where run_id = ? and kind = 'message' and text like 'message %' order by seq").all(created.id) as { text: string }[];
    expect(rows).toHaveLength(6000);
    expect(rows[5999]!.text).toBe(`message 5999 ${"é".repeat(400)}`);
    expect(rows.every((r) => !r.text.includes("\ufffd"))).toBe(true);
  });
});
