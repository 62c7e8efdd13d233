import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { codexExecArgs } from "../../server/agents/codex";
import { renderEventLine, paneText } from "../../server/agents/codex/pane.mjs";
import { envFileText, launcherScript, shellQuote, type LauncherInput } from "../../server/bridge/launcher";
import { makeWorkerFixture, paneEnv, readJson, runLauncher, RUN_ID } from "../support/launcher-fixture";
import { removeDir, tempDir } from "../support/repo";

const NASTY = [
  "",
  "plain",
  "it's",
  "'''",
  'double "quotes" and \\backslash\\',
  "$(touch pwned-dollar)",
  "`touch pwned-backtick`",
  "a; touch pwned-semicolon",
  "line one\nline two\n",
  "-n",
  "--version",
  "-e \\x41",
  "${HOME} $HOME $$ $? $1 $@ *",
  "!! history? ~ {a,b} [x] >out <in | & &&",
  "tab\there\r\n",
  "unicode — Größe 😀 \u200b",
];

const tempDirs: string[] = [];
const scratch = (prefix: string) => {
  const dir = tempDir(prefix);
  tempDirs.push(dir);
  return dir;
};
afterAll(() => tempDirs.forEach(removeDir));

describe("shellQuote", () => {
  it.each(NASTY.map((v) => [JSON.stringify(v), v]))("%s comes out of bash literally", (_name, value) => {
    const out = execFileSync("bash", ["-c", `printf '%s' ${shellQuote(value)}`], { encoding: "utf8", cwd: scratch("ltp-quote-") });
    expect(out).toBe(value);
  });

  it("is one word even next to other words, and refuses NUL", () => {
    const out = execFileSync("bash", ["-c", `printf '<%s>' ${NASTY.map(shellQuote).join(" ")}`], { encoding: "utf8" });
    expect(out).toBe(NASTY.map((v) => `<${v}>`).join(""));
    expect(() => shellQuote("a\0b")).toThrow(/NUL/);
  });
});

describe("codexExecArgs", () => {
  const base = { worktreePath: "/w t", outputSchemaPath: "/s.json", lastMessagePath: "/w t/.longtable-worker/last-message.json" };

  it("new session: the documented agent contract, prompt on stdin", () => {
    expect(codexExecArgs(base)).toEqual([
      "exec", "--json", "-s", "workspace-write", "-C", "/w t", "--skip-git-repo-check",
      "--output-schema", "/s.json", "-o", "/w t/.longtable-worker/last-message.json", "-",
    ]);
  });

  it("follow-up: every exec option before `resume <thread_id>`, then -", () => {
    expect(codexExecArgs({ ...base, resumeThreadId: "0199a213-81c0-7800-8aa1-bbab2a035a53", extraArgs: ["-c", "model=x"] })).toEqual([
      "exec", "--json", "-s", "workspace-write", "-C", "/w t", "--skip-git-repo-check",
      "--output-schema", "/s.json", "-o", "/w t/.longtable-worker/last-message.json", "-c", "model=x",
      "resume", "0199a213-81c0-7800-8aa1-bbab2a035a53", "-",
    ]);
  });

  it("refuses a thread id that could be read as a flag", () => {
    expect(() => codexExecArgs({ ...base, resumeThreadId: "--last" })).toThrow(/thread id/);
    expect(() => codexExecArgs({ ...base, resumeThreadId: "a b" })).toThrow(/thread id/);
  });
});

describe("launcherScript validation", () => {
  const rt = "/r/workers/worker-1-reviewer";
  const paths = {
    promptPath: `${rt}/task.md`, resultPath: `${rt}/result.json`, logPath: `${rt}/worker.log`,
    exitCodePath: `${rt}/result.exit.json`, commitPath: `${rt}/result.json.commit`,
    agentEventsPath: `${rt}/agent-events.jsonl`, lastMessagePath: `${rt}/outbox/last-message.json`, envFile: "/data/secrets/x.env",
  };
  const input: LauncherInput = {
    workerId: "worker-1-reviewer", role: "reviewer", label: "Reviewer", runId: RUN_ID, attempt: 1, agent: "codex", worktreePath: "/w",
    gitDir: "/repo/.git/worktrees/worker-1-reviewer", paths, stopFilePath: "/r/stop-requested", agentBin: "/bin/codex",
    agentArgs: codexExecArgs({ worktreePath: "/w", outputSchemaPath: "/r/schema.json", lastMessagePath: paths.lastMessagePath }),
    nodeBin: "/usr/bin/node", finishScript: "/p/server/bridge/worker-finish.mjs", paneViewScript: "/p/server/bridge/pane-view.mjs",
  };

  it("accepts a valid input and rejects bad ids, names, paths and numbers", () => {
    expect(launcherScript(input)).toContain("set -u");
    const bad: [Partial<LauncherInput>, RegExp][] = [
      [{ workerId: "worker-1-reviewer; rm -rf /" }, /worker id/],
      [{ role: "Reviewer" }, /role id/],
      [{ runId: "../../etc" }, /run id/],
      [{ attempt: 0 }, /attempt/],
      [{ attempt: 1.5 }, /attempt/],
      [{ worktreePath: "relative/path" }, /worktreePath/],
      [{ gitDir: ".git" }, /gitDir/],
      [{ agentBin: "codex" }, /agentBin/],
      [{ agent: "bash" as never }, /unknown agent/],
      [{ nodeBin: "/usr/bin/node\n/bin/sh" }, /nodeBin/],
      [{ label: "a\0b" }, /label/],
      [{ agentArgs: ["a\0b"] }, /agent argument/],
      [{ sandbox: ["bwrap", "--"] }, /sandbox binary/],
      [{ followUp: { threadId: "-x" } }, /thread id/],
      [{ paths: { ...paths, logPath: "worker.log" } }, /paths.logPath/],
      [{ paths: { ...paths, envFile: "x.env" } }, /paths.envFile/],
    ];
    for (const [override, error] of bad) expect(() => launcherScript({ ...input, ...override }), JSON.stringify(override)).toThrow(error);
  });

  it("is valid bash (bash -n) whatever the label, arguments and paths contain", () => {
    const dir = scratch("ltp-syntax-");
    for (const value of NASTY) {
      const script = launcherScript({
        ...input,
        label: value,
        worktreePath: `/w/${value.replace(/\0/g, "")}`.replace(/[\r\n]/g, "_"),
        agentArgs: ["-c", value],
        sandbox: ["/usr/bin/bwrap", "--bind", value, value, "--"],
        followUp: { threadId: "0199a213-81c0-7800-8aa1-bbab2a035a53" },
        paths: { ...paths, promptPath: "/m/follow up 'x'.md" },
      });
      const file = join(dir, "launch.sh");
      writeFileSync(file, script);
      const check = spawnSync("bash", ["-n", file], { encoding: "utf8" });
      expect(check.status, `${JSON.stringify(value)}: ${check.stderr}`).toBe(0);
    }
  });

  it("embeds values only inside single-quoted assignments, never in comments or commands; environment values not at all", () => {
    const script = launcherScript({ ...input, label: "MARKER1 $(x) 'y'", agentArgs: [...input.agentArgs, "MARKER3"] });
    const lines = script.split("\n");
    expect(lines.filter((l) => l.includes("MARKER1"))).toEqual([String.raw`label='MARKER1 $(x) '\''y'\'''`]);
    expect(lines.filter((l) => l.includes("MARKER3"))).toHaveLength(1);
    expect(lines.find((l) => l.includes("MARKER3"))).toMatch(/^agent_args=\('exec' .* 'MARKER3'\)$/);
    expect(lines.filter((l) => l.startsWith("#")).join("\n")).not.toMatch(/MARKER|reviewer|\/w\//);
    // Environment values (API keys) go to the 0600 env file the launcher reads, never into launch.sh.
    expect(script).not.toMatch(/^export [A-Za-z_]+='/m);
    expect(envFileText({ SOME_VALUE: "MARKER2 `z`\nline" })).toBe("SOME_VALUE=MARKER2 `z`\nline\0");
    expect(() => envFileText({ "A-B": "x" })).toThrow(/environment variable name/);
    expect(() => envFileText({ lower_ok: "x\0y" })).toThrow(/NUL/);
  });
});

describe("launch.sh with a recording fake codex", () => {

  it("passes label, env, paths and task text through literally (nothing is executed)", async () => {
    const label = "Ré'viewer \"$(touch pwned-label)\" `touch pwned-tick`; touch pwned-semi\n-n --help";
    const envValue = "$(touch pwned-env) 'quoted' `tick` ; echo hi\nsecond line";
    const taskText = `LongTable native panel worker\n\nRole: ${label.split("\n")[0]} (reviewer)\n\nPrompt: $(touch pwned-task) \`x\` '\n`;
    const f = await makeWorkerFixture({
      script: { reviewer: [{ result: { status: "completed", summary: "ok", claims: [], objections: [], openQuestions: [], evidenceRefs: [], error: "" } }] },
      label,
      worktreeName: "worker 1 'quoted' $(touch pwned-path)",
      env: { LONGTABLE_TEST_VALUE: envValue, LEADING_DASH: "-rf /" },
      recordEnv: ["LONGTABLE_TEST_VALUE", "LEADING_DASH"],
      taskText,
    });
    tempDirs.push(f.repo, dirname(f.codexBin));
    const run = await runLauncher(f.paths.launcherPath, paneEnv());
    expect(run.code, run.stderr).toBe(0);

    const records = f.records();
    expect(records).toHaveLength(1);
    expect(records[0]!.argv).toEqual(
      codexExecArgs({ worktreePath: f.worktree, outputSchemaPath: f.outputSchemaPath, lastMessagePath: f.paths.lastMessagePath }),
    );
    expect(records[0]!.cwd).toBe(f.worktree);
    expect(records[0]!.stdin).toBe(taskText);
    expect(records[0]!.env).toEqual({ LONGTABLE_TEST_VALUE: envValue, LEADING_DASH: "-rf /" });

    // The header shows the label as text; the result is the agent's own (checked against the worker later).
    expect(run.stdout).toContain(`role:      ${label} (reviewer)`);
    expect(readJson<{ label: string; status: string }>(f.paths.resultPath)).toMatchObject({ status: "completed" });

    // Nothing was executed anywhere.
    const found = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.name === ".git" ? [] : e.isDirectory() ? found(join(dir, e.name)) : e.name.startsWith("pwned") ? [join(dir, e.name)] : [],
      );
    expect(found(f.repo)).toEqual([]);
    expect(existsSync(join(process.cwd(), "pwned-label"))).toBe(false);
  });
});

describe("pane view", () => {
  const cwd = "/repo/wt";
  const line = (event: unknown) => renderEventLine(JSON.stringify(event), cwd);

  it("renders codex events as short human lines", () => {
    expect(line({ type: "thread.started", thread_id: "t-1" })).toEqual(["● session t-1"]);
    expect(line({ type: "item.started", item: { id: "item_0", type: "command_execution", command: "npm test", aggregated_output: "", exit_code: null, status: "in_progress" } }))
      .toEqual(["$ npm test"]);
    expect(line({ type: "item.completed", item: { id: "item_0", type: "command_execution", command: "npm test", aggregated_output: "a\nb\n", exit_code: 2, status: "failed" } }))
      .toEqual(["  ✗ exit 2 · 2 lines of output — npm test"]);
    expect(line({ type: "item.completed", item: { id: "item_1", type: "file_change", changes: [{ path: "/repo/wt/src/a.ts", kind: "update" }, { path: "/elsewhere/b", kind: "add" }, { path: "/repo/wt/c", kind: "delete" }], status: "completed" } }))
      .toEqual(["  ~ src/a.ts", "  + /elsewhere/b", "  - c"]);
    expect(line({ type: "item.completed", item: { id: "item_2", type: "agent_message", text: "First line\nsecond line" } })).toEqual(["» First line"]);
    expect(line({ type: "turn.completed", usage: { input_tokens: 1200, cached_input_tokens: 200, output_tokens: 345 } }))
      .toEqual(["● turn completed — tokens: 1200 in (200 cached), 345 out"]);
    expect(line({ type: "turn.failed", error: { message: "model refused" } })).toEqual(["✗ turn failed: model refused"]);
    expect(line({ type: "item.updated", item: { id: "x", type: "todo_list", items: [] } })).toEqual([]);
    expect(renderEventLine("not json at all", cwd)).toEqual(["  not json at all"]);
    expect(renderEventLine("   ", cwd)).toEqual([]);
  });

  it("strips terminal escapes and control characters, and shortens long text", () => {
    expect(paneText("\u001b[2J\u001b]0;owned\u0007hi")).toBe("?[2J?]0;owned?hi");
    const long = paneText("x".repeat(5000));
    expect(long.length).toBe(200);
    expect(long.endsWith("…")).toBe(true);
  });
});
