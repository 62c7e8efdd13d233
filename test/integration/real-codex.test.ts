/**
 * The pinned real codex (node_modules/.bin/codex 0.169.0) as a panel worker, offline: the panel
 * launches it in tmux through launch.sh, it talks to the scripted model server on 127.0.0.1
 * (test/support/model-server.ts), runs the model's tool calls in its own sandbox in the worker's
 * worktree, and worker-finish commits what it did. Assertions are on what codex really did:
 * files in the worker commit, commands and exit codes in `activity`, the result from its -o
 * file, usage and thread id from its JSONL, and what it sent to the model.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { workerLayout } from "@/server/bridge/layout";
import { shellQuote } from "@/server/bridge/launcher";
import { prepareAttempt } from "@/server/panel/lifecycle/attempt";
import { PANEL_WORKER_OUTPUT_SCHEMA, RESULT_FIELDS } from "@/server/core/records";
import { getRun } from "@/server/panel/runs/queries";
import { gitIn, resultFor, waitForRunStatus } from "../support/bridge";
import { CODEX_BIN, MOCK_KEY_VALUE, makeCodexEnv, realCodexHarness, runCodex, significantStderr, writeFileIn, type RealCodexHarness } from "../support/codex-env";
import { makeFakeCodex, type FakeCodexScript } from "../support/fake-codex.ts";
import { startModelServer, userTexts, type ModelScript, type RecordedRequest } from "../support/model-server";
import { removeDir, tempDir, tempDirOutsideTmp } from "../support/repo";
import { waitFor } from "../support/wait";

let h: RealCodexHarness | undefined;
const scratchDirs: string[] = [];
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
  scratchDirs.splice(0).forEach(removeDir);
});

const FILES = { "README.md": "# demo\n", "src/app.txt": "one\ntwo\nthree\n", "docs/old.md": "old notes\n" };

type ActivityRow = { worker_id: string; kind: string; text: string; data: string | null };
function activity(hh: RealCodexHarness, runId: string, workerId?: string): ActivityRow[] {
  const rows = hh.panel.dbh.sqlite
    .prepare("select worker_id, kind, text, data from activity where run_id = ? order by seq")
    .all(runId) as ActivityRow[];
  return workerId ? rows.filter((r) => r.worker_id === workerId) : rows;
}
const dataOf = (r: ActivityRow) => JSON.parse(r.data ?? "{}") as Record<string, unknown>;
const completedCommands = (rows: ActivityRow[]) =>
  rows.filter((r) => r.kind === "command" && dataOf(r).phase === "completed").map(dataOf) as Array<{ command: string; exitCode: number | null; output: string; status: string }>;

/** A worker's runtime files (outside its worktree), derived the way the panel derives them. */
const layoutOf = (w: { worktreePath: string; id: string }) => {
  const runDir = dirname(dirname(w.worktreePath));
  return workerLayout(dirname(dirname(dirname(runDir))), basename(runDir), w.id);
};
const readJson = <T = Record<string, unknown>>(path: string) => JSON.parse(readFileSync(path, "utf8")) as T;
const jsonLines = (path: string) => readFileSync(path, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
const header = (r: RecordedRequest, name: string) => String(r.headers[name] ?? "");

describe("real codex 0.169.0 against the scripted model server", () => {
  it("runs a 3-member panel whose workers edit, add and delete files through real tool calls", async () => {
    h = await realCodexHarness({}, { files: FILES });
    const { repo, api, model } = h;
    // Outside the worktree and outside /tmp (which the panel's sandbox replaces with a private one):
    // the sandbox must refuse the write (everything but the worktree is read-only).
    const outside = tempDirOutsideTmp("ltp-escape-");
    const escape = join(outside, "escape.txt");
    scratchDirs.push(outside);
    model.setScript("reviewer", [
      { tools: [{ exec: "printf '# Review\\nlooks fine\\n' > review.md && cat review.md", login: false }], usage: { input_tokens: 1000, cached_input_tokens: 100, output_tokens: 50 } },
      { tools: [{ exec: `echo escaped > ${shellQuote(escape)}`, login: false }], usage: { input_tokens: 2000, cached_input_tokens: 200, output_tokens: 60 } },
      { message: resultFor("reviewer", "Reviewer", { claims: ["review.md written"] }), usage: { input_tokens: 3000, cached_input_tokens: 300, output_tokens: 70 } },
    ]);
    model.setScript("theory_critic", [
      { tools: [{ patch: "*** Begin Patch\n*** Delete File: README.md\n*** Add File: theory.md\n+# Theory\n+It holds.\n*** End Patch\n" }] },
      { message: resultFor("theory_critic", "Theory Critic", { objections: ["README was redundant"] }) },
    ]);
    model.setScript("methods_critic", [
      { tools: [{ patch: "*** Begin Patch\n*** Update File: src/app.txt\n@@\n one\n-two\n+TWO\n three\n*** Update File: docs/old.md\n*** Move to: docs/new.md\n@@\n-old notes\n+new notes\n*** End Patch\n" }] },
      { tools: [{ exec: "grep -c TWO src/app.txt; test -e docs/old.md", login: false }] },
      { message: resultFor("methods_critic", "Methods Critic", { evidenceRefs: ["src/app.txt:2"] }) },
    ]);

    const created = await api.runs.create({ repoPath: repo, prompt: "Tidy the app", roles: ["reviewer", "theory_critic", "methods_critic"], mode: "draft" });
    await api.runs.launch({ runId: created.id });
    const run = await waitForRunStatus(h, created.id, ["completed", "failed", "blocked"], 50_000);
    expect(model.violations).toEqual([]);
    expect(run.workers.map((w) => [w.id, w.status, w.executionState, w.failureReason ?? ""])).toEqual([
      ["worker-1-reviewer", "completed", "result_ready", ""],
      ["worker-2-theory_critic", "completed", "result_ready", ""],
      ["worker-3-methods_critic", "completed", "result_ready", ""],
    ]);
    expect(run.status).toBe("completed");
    const [reviewer, theory, methods] = run.workers as [typeof run.workers[0], typeof run.workers[0], typeof run.workers[0]];

    // launch.sh embedded the real binary and the model-server options; the environment codex needs
    // (its API key among it) reached it through the 0600 env file in the data dir, never launch.sh.
    const launch = readFileSync(reviewer.launcherPath, "utf8");
    expect(launch).toContain(`agent_bin=${shellQuote(CODEX_BIN)}`);
    expect(launch).not.toContain(MOCK_KEY_VALUE);
    expect(launch).not.toContain("export MOCK_KEY=");
    expect(launch).toContain(shellQuote(`model_providers.mock={name="mock",base_url="${model.baseUrl}",wire_api="responses",env_key="MOCK_KEY",request_max_retries=0,stream_max_retries=0}`));

    // What codex changed, as committed by worker-finish.
    const diff = (w: typeof reviewer) => gitIn(repo, "diff", "--no-renames", "--name-status", `${w.baseCommit}..${w.worktreeCommit}`).trim().split("\n").sort();
    expect(diff(reviewer)).toEqual(["A\treview.md"]);
    expect(gitIn(repo, "show", `${reviewer.worktreeCommit}:review.md`)).toBe("# Review\nlooks fine\n");
    expect(diff(theory)).toEqual(["A\ttheory.md", "D\tREADME.md"]);
    expect(gitIn(repo, "show", `${theory.worktreeCommit}:theory.md`)).toBe("# Theory\nIt holds.\n");
    expect(diff(methods)).toEqual(["A\tdocs/new.md", "D\tdocs/old.md", "M\tsrc/app.txt"]);
    expect(gitIn(repo, "show", `${methods.worktreeCommit}:src/app.txt`)).toBe("one\nTWO\nthree\n");
    for (const w of run.workers) {
      expect(gitIn(repo, "rev-list", "--count", `${w.baseCommit}..${w.worktreeCommit}`).trim()).toBe("1");
      expect(gitIn(repo, "log", "-1", "--format=%s", w.worktreeCommit!).trim()).toBe(`longtable panel worker ${w.id}`);
      expect(readFileSync(`${w.resultPath}.commit`, "utf8").trim()).toBe(w.worktreeCommit);
    }
    // The sandbox refused the write outside the worktree; the leader checkout is untouched.
    expect(existsSync(escape)).toBe(false);
    expect(existsSync(join(repo, "escape.txt"))).toBe(false);
    expect(gitIn(repo, "status", "--porcelain", "--untracked-files=all")).toBe("");

    // Commands codex ran and their exit codes, from its JSONL via the supervisor.
    // codex reports a command as `/bin/bash -c <cmd>` (-lc without login:false). A command the
    // sandbox denied is reported only sometimes in codex 0.169.0's --json output (a race inside
    // codex): when it is, with its exit code and the denial; the model always gets it (below).
    const reviewerCommands = completedCommands(activity(h, run.id, reviewer.id));
    expect(reviewerCommands[0]).toMatchObject({ exitCode: 0, status: "completed", output: "# Review\nlooks fine\n" });
    expect(reviewerCommands[0]!.command).toBe(`/bin/bash -c "printf '# Review\\\\nlooks fine\\\\n' > review.md && cat review.md"`);
    expect(reviewerCommands.slice(1)).toEqual(reviewerCommands.length === 2
      ? [expect.objectContaining({ exitCode: 1, status: "failed", command: `/bin/bash -c "echo escaped > ${shellQuote(escape)}"`, output: expect.stringMatching(/Read-only file system/) })]
      : []);
    const methodsCommands = completedCommands(activity(h, run.id, methods.id));
    expect(methodsCommands).toMatchObject([{ exitCode: 1, output: "1\n" }]); // grep found TWO, docs/old.md is gone
    const fileChanges = activity(h, run.id, theory.id).filter((r) => r.kind === "file_change").map((r) => r.text);
    expect(fileChanges).toEqual([expect.stringMatching(/delete .*\/README\.md/)]);
    expect(fileChanges[0]).toMatch(/add .*\/theory\.md/);
    const messages = activity(h, run.id, reviewer.id).filter((r) => r.kind === "message").map((r) => JSON.parse(r.text));
    expect(messages).toEqual([resultFor("reviewer", "Reviewer", { claims: ["review.md written"] })]);

    // The tool outputs codex sent back to the model.
    const outputs = [...model.toolOutputs.values()];
    expect(outputs.find((o) => o.key === "reviewer" && "exec" in o.call && o.call.exec.includes("escaped"))!.output).toMatch(/Process exited with code 1[\s\S]*(Read-only file system|Permission denied)/);
    const patchOutput = (key: string) => outputs.filter((o) => o.key === key && o.name === "apply_patch").map((o) => o.output);
    expect(patchOutput("theory_critic")).toEqual([expect.stringMatching(/^Exit code: 0\n[\s\S]*Success\. Updated the following files:\nA theory\.md\nD README\.md\n$/)]);
    expect(patchOutput("methods_critic")).toEqual([expect.stringMatching(/Success\. Updated the following files:\n(M src\/app\.txt\nM docs\/new\.md|M docs\/new\.md\nM src\/app\.txt)\n$/)]);

    // Usage: codex reports the thread's running total, i.e. the sum of what the model reported.
    const sent = model.usageSent("reviewer");
    expect(sent).toEqual({ input_tokens: 6000, cached_input_tokens: 600, output_tokens: 180 });
    expect(reviewer.usage).toEqual({ inputTokens: 6000, cachedInputTokens: 600, outputTokens: 180 });
    expect(theory.usage).toEqual({ inputTokens: 200, cachedInputTokens: 20, outputTokens: 40 });

    // Thread ids: what codex printed, what it told the model, what the panel recorded.
    for (const w of run.workers) {
      const events = jsonLines(layoutOf(w).agentEventsPath);
      expect(events[0]).toEqual({ type: "thread.started", thread_id: w.threadId });
      expect(events.at(-1)).toMatchObject({ type: "turn.completed" });
      const requests = model.requestsFor(w.role);
      expect(requests.length).toBeGreaterThanOrEqual(2);
      for (const r of requests) expect(header(r, "thread-id")).toBe(w.threadId);
    }
    expect(new Set(run.workers.map((w) => w.threadId)).size).toBe(3);
    expect(reviewer.threadId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

    // The result: codex's -o file, sanitized into result.json, gathered into panel-result.json.
    const last = readJson(layoutOf(methods).lastMessagePath);
    expect(last).toEqual(resultFor("methods_critic", "Methods Critic", { evidenceRefs: ["src/app.txt:2"] }));
    expect(readJson(methods.resultPath)).toEqual(last);
    expect(readJson<{ exitCode: number }>(methods.exitCodePath).exitCode).toBe(0);
    // (the supervisor writes panel-result.json just after the transition that completes the run)
    await waitFor(() => existsSync(run.aggregateResultPath), "panel-result.json", 10_000);
    const aggregate = readJson<{ status: string; memberResults: Array<Record<string, unknown>> }>(run.aggregateResultPath);
    expect(aggregate.status).toBe("completed");
    expect(aggregate.memberResults.map((m) => [m.workerId, m.status, m.commit])).toEqual(run.workers.map((w) => [w.id, "completed", w.worktreeCommit]));
    expect(aggregate.memberResults[1]).toMatchObject({ objections: ["README was redundant"] });

    // What codex sent: our task on stdin, our output schema as a strict json_schema, the tools it offered.
    for (const w of run.workers) {
      const first = model.requestsFor(w.role)[0]!;
      expect(first.body!.model).toBe(h.codexEnv.model);
      expect(header(first, "authorization")).toBe(`Bearer ${h.codexEnv.env.MOCK_KEY}`);
      expect(userTexts(first.body)).toContain(readFileSync(w.taskPath, "utf8"));
      expect(first.body!.text?.format).toEqual({ type: "json_schema", name: "codex_output_schema", strict: true, schema: PANEL_WORKER_OUTPUT_SCHEMA });
      const tools = (first.body!.tools ?? []).map((t) => `${t.type}:${t.name ?? ""}`);
      expect(tools).toEqual(expect.arrayContaining(["function:exec_command", "custom:apply_patch"]));
    }
    // Only the model API was asked for, one request per scripted turn (retries are off).
    expect(model.requests.every((r) => r.path === "/v1/responses" && r.outcome === "completed")).toBe(true);
    expect(model.requests).toHaveLength(3 + 2 + 3);
  });

  it("ends workers on a schema-violating answer, response.failed, a cut stream and an HTTP 500 in documented states", async () => {
    h = await realCodexHarness({
      reviewer: [{ message: { role: "reviewer", label: "Reviewer", verdict: "fine", score: 3 } }],
      theory_critic: [{ fail: "model overloaded" }],
      methods_critic: [
        { tools: [{ patch: "*** Begin Patch\n*** Add File: partial.md\n+half done\n*** End Patch\n" }] },
        { cut: true, partial: "{\"role\":\"methods_critic\",\"sta" },
      ],
      measurement_auditor: [{ http: 500, message: "upstream exploded" }],
    }, { files: FILES });
    const { repo, api, model } = h;
    const created = await api.runs.create({ repoPath: repo, prompt: "Check it", roles: ["reviewer", "theory_critic", "methods_critic", "measurement_auditor"], mode: "review" });
    await api.runs.launch({ runId: created.id });
    const run = await waitForRunStatus(h, created.id, ["completed", "failed", "blocked"], 50_000);
    expect(model.violations).toEqual([]);
    const by = Object.fromEntries(run.workers.map((w) => [w.role, w]));
    expect(run.workers.map((w) => [w.role, w.status, w.executionState])).toEqual([
      ["reviewer", "failed", "result_ready"],
      ["theory_critic", "failed", "result_ready"],
      ["methods_critic", "failed", "result_ready"],
      ["measurement_auditor", "failed", "result_ready"],
    ]);
    expect(run.status).toBe("failed");
    expect(existsSync(run.aggregateResultPath)).toBe(false);

    // Schema violation: codex itself does not validate the answer (exit 0, written to -o as is);
    // worker-finish keeps exactly the result fields and turns the missing status into an error.
    const reviewer = by.reviewer!;
    expect(readJson(layoutOf(reviewer).lastMessagePath)).toEqual({ role: "reviewer", label: "Reviewer", verdict: "fine", score: 3 });
    expect(readJson<{ exitCode: number }>(reviewer.exitCodePath).exitCode).toBe(0);
    const rr = readJson<Record<string, unknown>>(reviewer.resultPath);
    expect(Object.keys(rr).sort()).toEqual([...RESULT_FIELDS].sort());
    expect(rr).toMatchObject({ status: "error", error: "agent result had no status" });
    expect(reviewer.failureReason).toBe("agent result had no status");

    // A failed turn: codex exits 1 and leaves -o alone; the reason is in activity.
    for (const role of ["theory_critic", "methods_critic", "measurement_auditor"]) {
      const w = by[role]!;
      expect(readJson<{ exitCode: number }>(w.exitCodePath).exitCode, role).toBe(1);
      // codex 0.169.0 creates the -o file empty when the turn fails (launch.sh removed the old one).
      expect(readFileSync(layoutOf(w).lastMessagePath, "utf8"), role).toBe("");
      expect(readJson<{ status: string; error: string }>(w.resultPath), role).toMatchObject({ status: "error", error: "codex exec exited 1" });
      const events = jsonLines(layoutOf(w).agentEventsPath);
      expect(events.map((e) => e.type), role).toEqual(expect.arrayContaining(["thread.started", "turn.started", "error", "turn.failed"]));
      expect(events.some((e) => e.type === "turn.completed"), role).toBe(false);
    }
    const errors = (role: string) => activity(h!, run.id, by[role]!.id).filter((r) => r.kind === "error").map((r) => r.text);
    expect(errors("theory_critic")).toContain("Turn failed: stream disconnected before completion: model overloaded");
    expect(errors("methods_critic").some((t) => /^Turn failed: stream disconnected before completion/.test(t))).toBe(true);
    // codex 0.169.0 words any HTTP 500 as load, whatever the body says.
    expect(errors("measurement_auditor")).toContain("Turn failed: We’re currently experiencing high demand, which may cause temporary errors.");
    // The cut stream: the patch of the turn before it was applied and is committed as the worker's work.
    const methods = by.methods_critic!;
    expect(gitIn(repo, "diff", "--name-status", `${methods.baseCommit}..${methods.worktreeCommit}`).trim()).toBe("A\tpartial.md");
    // The partial message of the cut stream never became an agent message.
    expect(activity(h, run.id, methods.id).filter((r) => r.kind === "message")).toEqual([]);
    // No usage without a completed turn.
    expect(by.theory_critic!.usage).toBeUndefined();
    expect(by.theory_critic!.threadId).toMatch(/^[0-9a-f-]{36}$/);

    // Retries are off: exactly one request per scripted turn.
    expect(model.requestsFor("reviewer")).toHaveLength(1);
    expect(model.requestsFor("theory_critic").map((r) => r.outcome)).toEqual(["failed"]);
    expect(model.requestsFor("methods_critic").map((r) => r.outcome)).toEqual(["completed", "cut"]);
    expect(model.requestsFor("measurement_auditor").map((r) => r.outcome)).toEqual(["http"]);
  });

  it("resumes a finished worker's thread with `codex exec resume <thread_id>` and commits the follow-up", async () => {
    h = await realCodexHarness({
      editor: [
        { tools: [{ patch: "*** Begin Patch\n*** Add File: notes.md\n+first\n*** End Patch\n" }] },
        { message: resultFor("editor", "Journal Editor", { summary: "first pass" }) },
        // The follow-up turn, in the same thread.
        { tools: [{ exec: "echo second >> notes.md && wc -l < notes.md", login: false }], usage: { input_tokens: 500, cached_input_tokens: 50, output_tokens: 5 } },
        { message: resultFor("editor", "Journal Editor", { summary: "second pass", claims: ["notes.md has two lines"] }) },
      ],
    }, { files: FILES });
    const { repo, api, model, panel, tmux } = h;
    const created = await api.runs.create({ repoPath: repo, prompt: "Edit the notes", roles: ["editor"], mode: "draft" });
    await api.runs.launch({ runId: created.id });
    const done = await waitForRunStatus(h, created.id, ["completed", "failed", "blocked"], 50_000);
    expect(done.status).toBe("completed");
    const worker = done.workers[0]!;
    const firstCommit = worker.worktreeCommit!;
    const threadId = worker.threadId!;
    expect(threadId).toMatch(/^[0-9a-f-]{36}$/);
    expect(gitIn(repo, "show", `${firstCommit}:notes.md`)).toBe("first\n");

    // A follow-up turn the way the product will do it: a message file, launch.sh with `resume`, the pane respawned.
    const firstTask = readFileSync(worker.taskPath, "utf8");
    const brief = (await api.roles.list()).find((r) => r.id === "editor")!.brief;
    const { argv, cwd } = await prepareAttempt(panel, getRun(panel, created.id), worker, { brief, followUp: { threadId, text: "Please add a second line to notes.md.\n" } });
    expect(readFileSync(worker.taskPath, "utf8")).toBe(firstTask);
    const launch = readFileSync(worker.launcherPath, "utf8");
    expect(launch).toMatch(new RegExp(`'resume' '${threadId}' '-'\\)`));
    expect(existsSync(worker.resultPath)).toBe(false); // cleared for the new turn
    await tmux.respawn(worker.runtime!.paneId!, cwd, argv);
    const result = await waitFor(() => (existsSync(worker.resultPath) ? readJson<Record<string, unknown>>(worker.resultPath) : undefined), "the follow-up result", 40_000);
    expect(model.violations).toEqual([]);
    expect(result).toEqual(resultFor("editor", "Journal Editor", { summary: "second pass", claims: ["notes.md has two lines"] }));

    // A second commit on top of the first, with the follow-up's change.
    const secondCommit = readFileSync(`${worker.resultPath}.commit`, "utf8").trim();
    expect(secondCommit).not.toBe(firstCommit);
    expect(gitIn(repo, "rev-parse", `${secondCommit}^`).trim()).toBe(firstCommit);
    expect(gitIn(repo, "rev-parse", worker.worktreeBranch).trim()).toBe(secondCommit);
    expect(gitIn(repo, "log", "-1", "--format=%s", secondCommit).trim()).toBe(`longtable panel worker ${worker.id} (attempt 2, follow-up)`);
    expect(gitIn(repo, "diff", "--name-status", `${firstCommit}..${secondCommit}`).trim()).toBe("M\tnotes.md");
    expect(gitIn(repo, "show", `${secondCommit}:notes.md`)).toBe("first\nsecond\n");

    // codex resumed the same thread: it sent the whole history plus our message, with our schema.
    const [, , third, fourth] = model.requestsFor("editor");
    expect(third).toBeDefined();
    expect(fourth).toBeDefined();
    expect(header(third!, "thread-id")).toBe(threadId);
    expect(userTexts(third!.body).at(-1)).toBe("Please add a second line to notes.md.\n");
    expect(userTexts(third!.body)).toContain(firstTask);
    expect(third!.body!.input.some((i) => i.type === "custom_tool_call" && i.name === "apply_patch")).toBe(true);
    expect(third!.body!.text?.format).toMatchObject({ type: "json_schema", strict: true, schema: PANEL_WORKER_OUTPUT_SCHEMA });
    const wc = [...model.toolOutputs.values()].find((o) => o.name === "exec_command");
    expect(wc?.output).toMatch(/Process exited with code 0[\s\S]*Output:\n2\n/);

    // The events file holds both turns; the follow-up's usage is the thread's running total.
    // (each attempt has its own events file; earlier ones are kept beside it as agent-events.attempt-<n>.jsonl)
    const runtimeDir = layoutOf(worker).runtimeDir;
    const current = jsonLines(join(runtimeDir, "agent-events.jsonl"));
    expect(current[0]).toEqual({ type: "thread.started", thread_id: threadId });
    const earlier = readdirSync(runtimeDir).filter((f) => /^agent-events\.attempt-\d+\.jsonl$/.test(f)).sort();
    const events = [...earlier.flatMap((f) => jsonLines(join(runtimeDir, f))), ...current];
    expect(events.filter((e) => e.type === "thread.started").map((e) => e.thread_id)).toEqual([threadId, threadId]);
    const usages = events.filter((e) => e.type === "turn.completed").map((e) => e.usage as Record<string, number>);
    expect(usages).toHaveLength(2);
    expect(usages[0]).toMatchObject({ input_tokens: 200, cached_input_tokens: 20, output_tokens: 40 });
    expect(usages[1]).toMatchObject({ input_tokens: 200 + 500 + 100, cached_input_tokens: 20 + 50 + 10, output_tokens: 40 + 5 + 20 });
    expect(readFileSync(worker.logPath, "utf8")).toContain(`turn=follow-up (thread ${threadId})`);
  });

  it("stopping a run while the model stalls kills codex and hangs up on the model", async () => {
    h = await realCodexHarness({ reviewer: [{ stall: true }] }, { files: FILES });
    const { repo, api, model } = h;
    const created = await api.runs.create({ repoPath: repo, prompt: "Think", roles: ["reviewer"], mode: "review" });
    await api.runs.launch({ runId: created.id });
    const stalled = await model.waitForRequest((r) => r.key === "reviewer" && r.outcome === "stall", "codex to reach the stalled model");
    const worktree = (await api.runs.get({ runId: created.id })).workers[0]!.worktreePath;
    expect(codexPidsIn(worktree).length).toBeGreaterThan(0);

    const stopped = await api.runs.stop({ runId: created.id });
    expect(stopped.status).toBe("stopped");
    expect(stopped.workers[0]!.status).toBe("stopped");
    await waitFor(() => stalled.outcome === "aborted", "the model's stalled response to be hung up");
    await waitFor(() => codexPidsIn(worktree).length === 0, "no codex process left for the worktree", 10_000);
    expect(existsSync(stopped.workers[0]!.resultPath)).toBe(false);
    expect(model.violations).toEqual([]);
  });
});

/** Pids of codex processes (the node wrapper or the native binary) started with `-C <worktree>`. */
function codexPidsIn(worktree: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (argv.some((a) => a.endsWith("/codex") || a.endsWith("/codex.js")) && argv.includes(worktree)) pids.push(Number(entry));
    } catch {
      // gone already
    }
  }
  return pids;
}

describe("the fake codex agrees with the real one", () => {
  const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  const RESULT = resultFor("reviewer", "Reviewer");
  const RESULT2 = resultFor("reviewer", "Reviewer", { summary: "second turn" });
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  /** A git work dir, a task file, and both binaries: the real one against the model server, the fake with `fakeScript`. */
  async function both(script: ModelScript, fakeScript: FakeCodexScript) {
    const dir = tempDir("ltp-parity-");
    const model = await startModelServer(script);
    const env = makeCodexEnv(model.baseUrl);
    cleanups.push(async () => {
      await model.close();
      env.cleanup();
      removeDir(dir);
    });
    const fake = await makeFakeCodex(join(dir, "fake"), fakeScript);
    const task = writeFileIn(dir, "task.md", "Role: Reviewer (reviewer)\nLook at it.\n");
    const follow = writeFileIn(dir, "follow.md", "And again.\n");
    const schema = writeFileIn(dir, "schema.json", JSON.stringify(PANEL_WORKER_OUTPUT_SCHEMA));
    const work = (name: string) => {
      const wt = join(dir, name);
      execFileSync("git", ["init", "-q", wt]);
      return wt;
    };
    const exec = (bin: string | undefined, wt: string, tail: string[], stdinFile: string) =>
      runCodex(["exec", "--json", "-s", "workspace-write", "-C", wt, "--skip-git-repo-check", "-o", join(wt, "last.json"), ...(bin ? [] : env.args), ...tail], { bin, env: env.env, stdinFile });
    return { model, env, fake, task, follow, schema, work, exec };
  }
  /** Event shape: type, item type, and the item's keys. */
  const shape = (events: Array<Record<string, unknown>>) =>
    events.map((e) => {
      const item = e.item as Record<string, unknown> | undefined;
      return item ? `${e.type}:${item.type}:${Object.keys(item).sort().join(",")}` : `${e.type}`;
    });

  it("on a turn with a command, on resuming its thread, and on the -o file", async () => {
    const t = await both(
      { reviewer: [{ tools: [{ exec: "echo hi > a.txt; echo done", login: false }] }, { message: RESULT }, { message: RESULT2 }] },
      {
        reviewer: [{ shell: "echo hi > a.txt; echo done" }, { usage: { input_tokens: 200, cached_input_tokens: 20, output_tokens: 40 } }, { result: RESULT }],
        followup: [{ usage: { input_tokens: 100, cached_input_tokens: 10, output_tokens: 20 } }, { result: RESULT2 }],
      },
    );
    const realWt = t.work("real");
    const fakeWt = t.work("fake-wt");
    const real = await t.exec(undefined, realWt, ["-"], t.task);
    const fake = await t.exec(t.fake, fakeWt, ["-"], t.task);
    expect(t.model.violations).toEqual([]);
    expect([real.code, fake.code]).toEqual([0, 0]);
    expect(shape(fake.events)).toEqual(shape(real.events));
    for (const r of [real, fake]) {
      expect(r.events[0]!.thread_id).toMatch(UUID_V7);
      const command = r.events.find((e) => e.type === "item.completed")!.item as Record<string, unknown>;
      expect(command).toMatchObject({ type: "command_execution", exit_code: 0, status: "completed", aggregated_output: "done\n" });
      expect(readFileSync(join(r === real ? realWt : fakeWt, "a.txt"), "utf8")).toBe("hi\n");
      expect(readJson(join(r === real ? realWt : fakeWt, "last.json"))).toEqual(RESULT);
    }
    // The fake reports the command as given; codex wraps it (documented difference).
    expect((real.events[3]!.item as { command: string }).command).toBe("/bin/bash -c 'echo hi > a.txt; echo done'");
    const usage = (r: typeof real) => r.events.at(-1)!.usage as Record<string, number>;
    expect(usage(real)).toMatchObject(usage(fake));
    expect(usage(fake)).toEqual({ input_tokens: 200, cached_input_tokens: 20, output_tokens: 40 });

    // Resume: same thread id, the -o file rewritten, usage is the running total.
    const threadOf = (r: typeof real) => r.events[0]!.thread_id as string;
    const real2 = await t.exec(undefined, realWt, ["resume", threadOf(real), "-"], t.follow);
    const fake2 = await t.exec(t.fake, fakeWt, ["resume", threadOf(fake), "-"], t.follow);
    expect([real2.code, fake2.code]).toEqual([0, 0]);
    expect(shape(fake2.events)).toEqual(shape(real2.events));
    expect([real2.events[0]!.thread_id, fake2.events[0]!.thread_id]).toEqual([threadOf(real), threadOf(fake)]);
    expect(usage(real2)).toMatchObject(usage(fake2));
    expect(usage(fake2)).toEqual({ input_tokens: 300, cached_input_tokens: 30, output_tokens: 60 });
    expect(readJson(join(realWt, "last.json"))).toEqual(RESULT2);
    expect(readJson(join(fakeWt, "last.json"))).toEqual(RESULT2);
  });

  it("on a failed turn, an unknown thread and options after `resume`", async () => {
    const t = await both({ reviewer: [{ fail: "overloaded" }] }, { reviewer: [{ fail: "stream disconnected before completion: overloaded" }] });
    const realWt = t.work("real");
    const fakeWt = t.work("fake-wt");
    const real = await t.exec(undefined, realWt, ["-"], t.task);
    const fake = await t.exec(t.fake, fakeWt, ["-"], t.task);
    expect([real.code, fake.code]).toEqual([1, 1]);
    expect(shape(fake.events)).toEqual(["thread.started", "turn.started", "error", "turn.failed"]);
    expect(shape(real.events)).toEqual(shape(fake.events));
    expect(fake.events.slice(2)).toEqual(real.events.slice(2));
    expect(readFileSync(join(realWt, "last.json"), "utf8")).toBe("");
    expect(readFileSync(join(fakeWt, "last.json"), "utf8")).toBe("");

    const unknown = "01a21213-e7a1-7c91-8607-a7cc4824372a";
    const realUnknown = await t.exec(undefined, realWt, ["resume", unknown, "-"], t.follow);
    const fakeUnknown = await t.exec(t.fake, fakeWt, ["resume", unknown, "-"], t.follow);
    expect([realUnknown.code, fakeUnknown.code]).toEqual([1, 1]);
    expect([realUnknown.events, fakeUnknown.events]).toEqual([[], []]);
    const line = `Error: thread/resume: thread/resume failed: no rollout found for thread id ${unknown} (code -32600)`;
    expect(significantStderr(realUnknown.stderr)[0]).toBe(line);
    expect(significantStderr(fakeUnknown.stderr)[0]).toBe(line);

    for (const bin of [undefined, t.fake]) {
      const late = await runCodex(["exec", "--json", "resume", unknown, "-C", realWt, "-"], { bin, env: t.env.env, stdinFile: t.follow });
      expect(late.code).toBe(2);
      expect(late.stderr).toContain("error: unexpected argument '-C' found");
      const ok = await runCodex(["exec", "--skip-git-repo-check", "resume", unknown, "--json", "-c", "model=x", "--output-schema", t.schema, "-o", join(realWt, "x"), "-"], { bin, env: t.env.env, stdinFile: t.follow });
      expect(ok.code, `${bin ?? "real"}: ${ok.stderr}`).toBe(1); // parsed fine, then no such thread
      expect(ok.stderr).toContain("no rollout found");
    }
  });
});
