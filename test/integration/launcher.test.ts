/**
 * launch.sh end to end, without tmux: a temp repo, a real `git worktree add`, task.md, and the
 * generated launcher run with bash against the fake codex. Asserts the files a supervisor reads
 * (result.json, result.exit.json, result.json.commit, agent events, worker.log) and the commit.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { codexExecArgs } from "../../server/agents/codex";
import { RESULT_FIELDS, type WorkerResult } from "../../server/core/records";
import {
  makeWorkerFixture, paneEnv, readJson, readJsonLines, runLauncher, startLauncher, waitFor, type WorkerFixture,
} from "../support/launcher-fixture";
import { makeFakeCodex } from "../support/fake-codex.ts";
import { removeDir, sh, tempDir } from "../support/repo";

const created: WorkerFixture[] = [];
const scratchDirs: string[] = [];
afterAll(() => {
  created.forEach((f) => f.cleanup());
  scratchDirs.forEach(removeDir);
});
const scratch = () => {
  const dir = tempDir("ltp-fakecodex-");
  scratchDirs.push(dir);
  return dir;
};

async function fixture(...args: Parameters<typeof makeWorkerFixture>): Promise<WorkerFixture> {
  const f = await makeWorkerFixture(...args);
  created.push(f);
  return f;
}

const resultOf = (f: WorkerFixture) => readJson<WorkerResult>(f.paths.resultPath);
const git = (f: WorkerFixture, ...args: string[]) => sh(f.worktree, "git", args).trim();
const trackedFiles = (f: WorkerFixture, rev = "HEAD") => git(f, "ls-tree", "-r", "--name-only", rev).split("\n").filter(Boolean);

const REVIEW = {
  role: "reviewer",
  label: "Someone Else",
  status: "completed",
  summary: "The app reads fine; one number is off.",
  claims: ["src/app.txt has three lines"],
  objections: ["line two should be 2"],
  openQuestions: [],
  evidenceRefs: ["src/app.txt:2"],
  error: "",
  hiddenReasoning: "should be dropped",
};

describe("launch.sh (integration, real git, fake codex)", () => {
  it("runs the agent, writes the result, commits the worktree's changes and records the commit", async () => {
    const f = await fixture({
      script: {
        reviewer: [
          { command: "cat src/app.txt", output: "one\ntwo\nthree\n" },
          { write: { path: "notes/review.md", content: "# Review\n" } },
          { write: { path: "src/app.txt", content: "one\n2\nthree\n" } },
          { delete: "README.md" },
          { message: "Reviewed the app.\nDetails follow." },
          { usage: { input_tokens: 5000, cached_input_tokens: 1000, output_tokens: 700 } },
          { result: REVIEW },
        ],
      },
    });
    // Git hooks never run in the finish step (an agent can plant hook files; ARCHITECTURE.md §6):
    // this post-commit hook would record what it saw, and must not run at all.
    const hooks = join(f.repo, ".git", "hooks");
    const seen = join(f.repo, "hook-saw.txt");
    writeFileSync(
      join(hooks, "post-commit"),
      `#!/bin/sh\n{ [ -e '${f.paths.exitCodePath}' ] && echo exit=yes || echo exit=no; [ -e '${f.paths.resultPath}' ] && echo result=yes || echo result=no; } > '${seen}'\n`,
    );
    chmodSync(join(hooks, "post-commit"), 0o755);

    const run = await runLauncher(f.paths.launcherPath);
    expect(run.code, run.stderr).toBe(0);
    // The agent ended on its own: the pane view, already running, did the finish step.
    expect(readFileSync(f.paths.logPath, "utf8")).toContain("finish step done in the pane view");
    expect(run.stdout).toMatch(/result: completed · /);

    // result.json: exactly the result fields, the agent's own role/label (the supervisor
    // fails a mismatch), extra keys gone.
    const result = resultOf(f);
    expect(Object.keys(result)).toEqual([...RESULT_FIELDS]);
    expect(result).toEqual({ ...REVIEW, label: "Someone Else", hiddenReasoning: undefined });
    expect(readFileSync(f.paths.resultPath, "utf8")).not.toContain("hiddenReasoning");

    const exit = readJson<{ exitCode: number; completedAt: string }>(f.paths.exitCodePath);
    expect(exit.exitCode).toBe(0);
    expect(new Date(exit.completedAt).toISOString()).toBe(exit.completedAt);

    // The commit: fixed author and committer, fixed message, the agent's files, no runtime files.
    const head = git(f, "rev-parse", "HEAD");
    expect(head).not.toBe(f.baseCommit);
    expect(git(f, "rev-parse", "HEAD~1")).toBe(f.baseCommit);
    expect(git(f, "log", "-1", "--format=%an|%ae|%cn|%ce|%s")).toBe(
      "LongTable Panel Worker|longtable-panel-worker@example.invalid|LongTable Panel Worker|longtable-panel-worker@example.invalid|longtable panel worker worker-1-reviewer",
    );
    expect(git(f, "diff", "--name-status", f.baseCommit, "HEAD").split("\n").sort()).toEqual(["A\tnotes/review.md", "D\tREADME.md", "M\tsrc/app.txt"]);
    expect(trackedFiles(f).filter((p) => p.startsWith(".longtable"))).toEqual([]);
    expect(git(f, "rev-parse", "--abbrev-ref", "HEAD")).toBe(f.branch);
    expect(git(f, "status", "--porcelain")).toBe("");
    expect(readFileSync(f.paths.commitPath, "utf8")).toBe(`${head}\n`);
    expect(existsSync(seen)).toBe(false);
    // result.json is renamed into place last: the exit file was written before it.
    expect(Date.parse(readJson<{ completedAt: string }>(f.paths.exitCodePath).completedAt)).toBeLessThanOrEqual(statSync(f.paths.resultPath).mtimeMs + 1);

    // The leader checkout is untouched.
    expect(sh(f.repo, "git", ["status", "--porcelain"]).trim()).toBe("");
    expect(sh(f.repo, "git", ["rev-parse", "HEAD"]).trim()).toBe(f.baseCommit);

    // Agent events: the raw JSONL, with the thread id and token usage.
    const events = readJsonLines(f.paths.agentEventsPath);
    expect(events[0]).toMatchObject({ type: "thread.started", thread_id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(events.map((e) => e.type)).toContain("item.completed");
    expect(events.at(-1)).toEqual({ type: "turn.completed", usage: { input_tokens: 5000, cached_input_tokens: 1000, output_tokens: 700 } });
    const changes = events.filter((e) => (e.item as { type?: string } | undefined)?.type === "file_change");
    expect(changes).toHaveLength(3);

    // The pane shows readable lines, not JSON.
    expect(run.stdout).toContain("role:      Reviewer (reviewer)");
    expect(run.stdout).toContain("$ cat src/app.txt");
    expect(run.stdout).toContain("  + notes/review.md");
    expect(run.stdout).toContain("» Reviewed the app.");
    expect(run.stdout).toContain("● turn completed — tokens: 5000 in (1000 cached), 700 out");
    expect(run.stdout).toContain("result: completed");
    expect(run.stdout).not.toContain('{"type":');

    // worker.log: readable lines from the launcher and the finish step.
    const log = readFileSync(f.paths.logPath, "utf8");
    expect(log).toMatch(/^\S+ started worker=worker-1-reviewer role=reviewer run=panel_run_\w+ attempt=1 agent=codex turn=new session sandbox=0$/m);
    expect(log).toMatch(/agent exited with code 0$/m);
    expect(log).toContain(`finish: committed ${head} (3 files)`);
    expect(log).toMatch(/launcher done \(agent exit 0\)$/m);
  });

  it("an agent that exits non-zero without a result gets an error result; its work is still committed", async () => {
    const f = await fixture({
      script: { reviewer: [{ write: { path: "partial.txt", content: "half done\n" } }, { stderr: "model stream error: boom\n" }, { exit: 3 }] },
    });
    const run = await runLauncher(f.paths.launcherPath);
    expect(run.code).toBe(3);
    expect(resultOf(f)).toEqual({
      role: "reviewer", label: "Reviewer", status: "error", summary: "", claims: [], objections: [], openQuestions: [], evidenceRefs: [],
      error: "codex exec exited 3",
    });
    expect(readJson<{ exitCode: number }>(f.paths.exitCodePath).exitCode).toBe(3);
    expect(trackedFiles(f)).toContain("partial.txt");
    expect(readFileSync(f.paths.commitPath, "utf8").trim()).toBe(git(f, "rev-parse", "HEAD"));
    // codex's stderr reaches both the pane and worker.log.
    expect(run.stderr).toContain("model stream error: boom");
    expect(readFileSync(f.paths.logPath, "utf8")).toContain("model stream error: boom");
  });

  it("output that is not JSON becomes an error result quoting it; garbage on stdout does not break the pane", async () => {
    const f = await fixture({
      script: { reviewer: [{ stdout: "this is not jsonl\n" }, { result: "Sorry, I can only answer in prose today.\u001b[2J" }] },
    });
    const run = await runLauncher(f.paths.launcherPath);
    expect(run.code).toBe(0);
    expect(resultOf(f)).toMatchObject({ status: "error", error: "agent output was not valid JSON: Sorry, I can only answer in prose today.\u001b[2J" });
    expect(run.stdout).toContain("result: error · agent output was not valid JSON: Sorry, I can only answer in prose today.?[2J");
    expect(run.stdout).not.toContain("\u001b");
    expect(run.stdout).toContain("  this is not jsonl");
    expect(run.stdout).toContain("● turn completed");
    // No changes: no commit, and the commit file names the base commit.
    expect(git(f, "rev-parse", "HEAD")).toBe(f.baseCommit);
    expect(readFileSync(f.paths.commitPath, "utf8")).toBe(`${f.baseCommit}\n`);
    expect(readFileSync(f.paths.logPath, "utf8")).toContain("finish: no worktree changes to commit");
  });

  it("never commits .longtable-worker/, even without the exclude and when the agent force-adds it", async () => {
    const f = await fixture({
      exclude: false,
      script: {
        reviewer: [
          { write: { path: "kept.txt", content: "kept\n" } },
          { write: { path: "sub/.longtable-worker/not-runtime.txt", content: "nested folder of the same name is ordinary\n" } },
          // The LongTable CLI's runtime folder name, made by the agent and force-added.
          { write: { path: ".longtable-worker/task.md", content: "planted\n" } },
          { shell: "git add -f .longtable-worker/task.md" },
          { result: { status: "completed", summary: "ok" } },
        ],
      },
    });
    const run = await runLauncher(f.paths.launcherPath);
    expect(run.code, run.stderr).toBe(0);
    const files = trackedFiles(f);
    expect(files).toContain("kept.txt");
    expect(files).toContain("sub/.longtable-worker/not-runtime.txt");
    expect(files.filter((p) => p.startsWith(".longtable-worker/"))).toEqual([]);
    expect(resultOf(f)).toMatchObject({ status: "completed", summary: "ok", claims: [] });
    // The folder is still there, just untracked.
    expect(git(f, "status", "--porcelain")).toBe("?? .longtable-worker/");
  });

  it("ignores git identity and repository overrides inherited from the environment", async () => {
    const f = await fixture({ script: { reviewer: [{ write: { path: "x.txt", content: "x\n" } }, { result: { status: "blocked", summary: "needs data" } }] } });
    const env = paneEnv({
      GIT_AUTHOR_NAME: "Intruder", GIT_AUTHOR_EMAIL: "intruder@example.invalid", GIT_COMMITTER_NAME: "Intruder",
      GIT_DIR: join(f.repo, "does-not-exist"), GIT_INDEX_FILE: join(f.repo, "bogus-index"),
    });
    const run = await runLauncher(f.paths.launcherPath, env);
    expect(run.code, run.stderr).toBe(0);
    expect(git(f, "log", "-1", "--format=%an|%cn")).toBe("LongTable Panel Worker|LongTable Panel Worker");
    expect(trackedFiles(f)).toContain("x.txt");
    expect(resultOf(f).status).toBe("blocked");
  });

  it("does not run the agent when the run's stop file exists", async () => {
    const f = await fixture({ script: { reviewer: [{ write: { path: "should-not-exist.txt", content: "x" } }, { result: { status: "completed" } }] } });
    writeFileSync(f.stopFilePath, "2026-01-01T00:00:00Z\n");
    const run = await runLauncher(f.paths.launcherPath);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("stop requested");
    expect(f.records()).toEqual([]);
    expect(existsSync(join(f.worktree, "should-not-exist.txt"))).toBe(false);
    expect(existsSync(f.paths.resultPath)).toBe(false);
    expect(existsSync(f.paths.exitCodePath)).toBe(false);
    expect(existsSync(f.paths.agentEventsPath)).toBe(false);
    expect(readFileSync(f.paths.logPath, "utf8")).toMatch(/stop requested before launch; agent not started$/m);
    expect(git(f, "rev-parse", "HEAD")).toBe(f.baseCommit);
  });

  it("a follow-up resumes the codex thread with the message on stdin and commits on top", async () => {
    const f = await fixture({
      script: {
        reviewer: [{ write: { path: "first.txt", content: "1\n" } }, { result: { ...REVIEW, summary: "first turn" } }],
        followup: { reviewer: [{ write: { path: "second.txt", content: "2\n" } }, { result: { ...REVIEW, summary: "second turn", claims: ["after follow-up"] } }] },
      },
    });
    const first = await runLauncher(f.paths.launcherPath);
    expect(first.code, first.stderr).toBe(0);
    const firstCommit = git(f, "rev-parse", "HEAD");
    const threadId = readJsonLines(f.paths.agentEventsPath).find((e) => e.type === "thread.started")!.thread_id as string;
    expect(resultOf(f).summary).toBe("first turn");

    const messagePath = join(f.paths.runtimeDir, "followup-1.md");
    const message = "Please also check 'second' $(and this) `too`.\n";
    writeFileSync(messagePath, message);
    f.writeLauncher({ resume: { threadId, messagePath } });
    const second = await runLauncher(f.paths.launcherPath);
    expect(second.code, second.stderr).toBe(0);

    const records = f.records();
    expect(records).toHaveLength(2);
    expect(records[1]!.argv).toEqual(
      codexExecArgs({ worktreePath: f.worktree, outputSchemaPath: f.outputSchemaPath, lastMessagePath: f.paths.lastMessagePath, resumeThreadId: threadId }),
    );
    expect(records[1]!.argv.slice(-3)).toEqual(["resume", threadId, "-"]);
    expect(records[1]!.stdin).toBe(message);

    expect(resultOf(f)).toMatchObject({ status: "completed", summary: "second turn", claims: ["after follow-up"] });
    expect(git(f, "rev-parse", "HEAD~1")).toBe(firstCommit);
    expect(git(f, "log", "-1", "--format=%s")).toBe("longtable panel worker worker-1-reviewer (follow-up)");
    expect(git(f, "diff", "--name-only", firstCommit, "HEAD")).toBe("second.txt");
    expect(readFileSync(f.paths.commitPath, "utf8").trim()).toBe(git(f, "rev-parse", "HEAD"));
    // Both turns are in the events file, on the same thread.
    const starts = readJsonLines(f.paths.agentEventsPath).filter((e) => e.type === "thread.started");
    expect(starts.map((e) => e.thread_id)).toEqual([threadId, threadId]);
    expect(second.stdout).toContain(`turn:      follow-up (thread ${threadId})`);
  });

  it("a follow-up for an unknown thread fails cleanly with an error result", async () => {
    const f = await fixture({ script: { reviewer: [{ result: { status: "completed" } }], followup: [{ result: { status: "completed" } }] } });
    const messagePath = join(f.paths.runtimeDir, "followup.md");
    writeFileSync(messagePath, "again\n");
    f.writeLauncher({ resume: { threadId: "00000000-0000-0000-0000-000000000000", messagePath }, attempt: 2 });
    const run = await runLauncher(f.paths.launcherPath);
    expect(run.code).toBe(1);
    expect(resultOf(f)).toMatchObject({ status: "error", error: "codex exec exited 1" });
    expect(run.stderr).toContain("no rollout found");
  });

  it("an earlier turn's result is cleared before the agent starts", async () => {
    const f = await fixture({ script: { reviewer: [{ hang: true }] } });
    writeFileSync(f.paths.resultPath, JSON.stringify({ status: "completed", summary: "stale" }));
    writeFileSync(f.paths.commitPath, "stale\n");
    const { child, done } = startLauncher(f.paths.launcherPath);
    try {
      await waitFor(() => existsSync(f.paths.agentEventsPath) && readFileSync(f.paths.agentEventsPath, "utf8").includes("turn.started"), "the agent to start");
      expect(existsSync(f.paths.resultPath)).toBe(false);
      expect(existsSync(f.paths.commitPath)).toBe(false);
    } finally {
      process.kill(-child.pid!, "SIGKILL");
      await done;
    }
  });

  it("Ctrl-C stops a hanging agent and the turn is still recorded (as stopped when a stop was requested)", async () => {
    const f = await fixture({ script: { reviewer: [{ write: { path: "wip.txt", content: "work in progress\n" } }, { hang: true }] } });
    const { child, done } = startLauncher(f.paths.launcherPath);
    await waitFor(() => existsSync(f.paths.agentEventsPath) && readFileSync(f.paths.agentEventsPath, "utf8").includes("file_change"), "the agent to write");
    writeFileSync(f.stopFilePath, "now\n");
    process.kill(-child.pid!, "SIGINT"); // what tmux send-keys C-c does: the whole foreground group
    const run = await done;
    expect(run.code).toBe(130);
    expect(resultOf(f)).toMatchObject({ status: "error", error: "stopped on request: codex exec exited 130 (killed by SIGINT)" });
    expect(readJson<{ exitCode: number }>(f.paths.exitCodePath).exitCode).toBe(130);
    expect(trackedFiles(f)).toContain("wip.txt");
    expect(readFileSync(f.paths.logPath, "utf8")).toMatch(/agent exited with code 130 \(SIGINT\)$/m);
    // A signal: the launcher runs the finish step itself (the pane view is told "cold").
    expect(readFileSync(f.paths.logPath, "utf8")).not.toContain("finish step done in the pane view");
  });

  it("a missing codex binary or task file is reported in the result, without running anything", async () => {
    const f = await fixture({ script: { reviewer: [{ result: { status: "completed" } }] } });
    f.writeLauncher({ codexBin: join(f.repo, "no-such-codex") });
    const run = await runLauncher(f.paths.launcherPath);
    expect(run.code).toBe(127);
    expect(resultOf(f)).toMatchObject({ status: "error", error: `agent binary is not executable: ${join(f.repo, "no-such-codex")}` });

    f.writeLauncher();
    rmSync(f.paths.taskPath);
    const again = await runLauncher(f.paths.launcherPath);
    expect(again.code).toBe(1);
    expect(resultOf(f).error).toBe(`agent input file is missing: ${f.paths.taskPath}`);
    expect(f.records()).toEqual([]);
  });

  it("a pane view that dies or is missing never takes the agent down", async () => {
    const f = await fixture({
      script: { reviewer: [{ bigOutput: 1024 * 1024, to: "stdout" }, { command: "ls" }, { sleep: 50 }, { message: "still here" }, { result: { status: "completed", summary: "done" } }] },
    });
    const crashingView = join(f.repo, "crashing-view.mjs");
    writeFileSync(crashingView, "process.exit(1);\n");
    f.writeLauncher({ paneViewScript: crashingView });
    const run = await runLauncher(f.paths.launcherPath);
    expect(run.code, run.stderr).toBe(0);
    // The view that would have done the finish step died: the launcher did it.
    expect(resultOf(f)).toMatchObject({ status: "completed", summary: "done" });
    expect(readFileSync(f.paths.logPath, "utf8")).not.toContain("finish step done in the pane view");
    expect(readJsonLines(f.paths.agentEventsPath).at(-1)).toMatchObject({ type: "turn.completed" });

    f.writeLauncher({ paneViewScript: join(f.repo, "no-such-view.mjs") });
    const raw = await runLauncher(f.paths.launcherPath);
    expect(raw.code, raw.stderr).toBe(0);
    expect(raw.stdout).toContain('{"type":"turn.completed"');
    expect(readFileSync(f.paths.logPath, "utf8")).toContain("pane view missing");
  });

  it("50 MB of agent output is bounded in result.json and streams through the pane", async () => {
    const f = await fixture({ script: { reviewer: [{ bigOutput: 8 * 1024 * 1024, to: "stdout" }, { bigOutput: 50 * 1024 * 1024 }] } });
    const run = await runLauncher(f.paths.launcherPath);
    expect(run.code, run.stderr).toBe(0);
    const result = resultOf(f);
    expect(result.status).toBe("completed");
    expect(readFileSync(f.paths.resultPath).length).toBeLessThan(200_000);
    expect(readFileSync(f.paths.lastMessagePath).length).toBeGreaterThan(50 * 1024 * 1024 - 1024);
    expect(run.stdout).toContain("✓ exit 0 · 1 line of output — cat big-output");
    expect(run.stdout.length).toBeLessThan(10_000);
  });
});

describe("fake codex", () => {
  const run = (bin: string, args: string[], input = "", cwd?: string) =>
    spawnSync(bin, args, { input, encoding: "utf8", cwd, env: paneEnv() });

  it("answers --version and login status", async () => {
    const dir = scratch();
    const bin = await makeFakeCodex(dir, {});
    expect(run(bin, ["--version"]).stdout).toBe("codex-cli 0.169.0\n");
    expect(run(bin, ["login", "status"]).status).toBe(0);
    const out = await makeFakeCodex(join(dir, "out"), { _options: { login: { loggedIn: false } } });
    const status = run(out, ["login", "status"]);
    expect(status.status).toBe(1);
    expect(status.stderr).toContain("Not logged in");
  });

  it("checks its flags the way codex does", async () => {
    const dir = scratch();
    const schema = join(dir, "schema.json");
    writeFileSync(schema, "{}");
    const bin = await makeFakeCodex(dir, { "*": [{ result: { status: "completed" } }] });
    const task = "Role: Reviewer (reviewer)\n";
    // -s and -C are exec options: codex 0.169.0 rejects them after `resume` (--output-schema is global).
    const late = run(bin, ["exec", "resume", "abc", "-s", "read-only", "-"], task);
    expect(late.status).toBe(2);
    expect(late.stderr).toContain("unexpected argument '-s'");
    expect(run(bin, ["exec", "resume", "abc", "-C", dir, "-"], task).stderr).toContain("unexpected argument '-C'");
    const unknownThread = run(bin, ["exec", "--skip-git-repo-check", "resume", "abc", "--output-schema", schema, "--json", "-o", join(dir, "o"), "-"], task);
    expect(unknownThread.status).toBe(1);
    expect(unknownThread.stderr).toContain("no rollout found for thread id abc");
    const missing = run(bin, ["exec", "--json", "--skip-git-repo-check", "--output-schema", join(dir, "nope.json"), "-"], task);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("failed to load output schema");
    const noRepo = run(bin, ["exec", "--json", "-C", dir, "-"], task);
    expect(noRepo.status).toBe(1);
    expect(noRepo.stderr).toContain("--skip-git-repo-check");
    const empty = run(bin, ["exec", "--json", "--skip-git-repo-check", "-"], "  \n");
    expect(empty.status).toBe(1);
    const badSandbox = run(bin, ["exec", "-s", "everything", "-"], task);
    expect(badSandbox.status).toBe(2);
  });

  it("runs rename and emit steps, and picks per-run scripts", async () => {
    const dir = scratch();
    const work = join(dir, "work");
    const bin = await makeFakeCodex(dir, {
      reviewer: {
        runs: [
          [{ write: { path: "a.txt", content: "a" } }, { rename: ["a.txt", "b/c.txt"] }, { emit: { type: "custom.event", n: 1 } }],
          [{ fail: "model unavailable", exit: 4 }],
        ],
      },
    });
    const args = ["exec", "--json", "--skip-git-repo-check", "-C", work, "-"];
    sh(dir, "mkdir", ["-p", work]);
    const first = run(bin, args, "Role: Reviewer (reviewer)\n");
    expect(first.status, first.stderr).toBe(0);
    expect(existsSync(join(work, "a.txt"))).toBe(false);
    expect(readFileSync(join(work, "b", "c.txt"), "utf8")).toBe("a");
    const events = first.stdout.trim().split("\n").map((l) => JSON.parse(l) as { type: string; item?: { type: string; changes?: unknown } });
    expect(events.map((e) => e.type)).toEqual([
      "thread.started", "turn.started", "item.completed", "item.completed", "custom.event", "turn.completed",
    ]);
    expect(events[3]!.item).toMatchObject({ type: "file_change", changes: [{ path: join(work, "a.txt"), kind: "delete" }, { path: join(work, "b", "c.txt"), kind: "add" }] });
    const second = run(bin, args, "Role: Reviewer (reviewer)\n");
    expect(second.status).toBe(4);
    expect(second.stdout).toContain('{"type":"turn.failed","error":{"message":"model unavailable"}}');
  });
});
