/**
 * The generic command agent (server/agents/command): a tiny shell script as the agent, run by the
 * panel in the worker's worktree inside the panel's sandbox, with the task on stdin and its JSON
 * result written to $LONGTABLE_RESULT_FILE; its stdout becomes activity, its session marker
 * makes a follow-up possible, and a failure without a result ends the worker in an error result.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { bridgeHarness, gitIn, waitForRunStatus, type BridgeHarness } from "../support/bridge";
import { setProcessEnv } from "../support/codex-env";
import { removeDir, tempDirOutsideTmp } from "../support/repo";
import { waitFor } from "../support/wait";

const AGENT = `#!/bin/sh
# A command agent: the task on stdin, notes.md in the worktree, the result in $LONGTABLE_RESULT_FILE.
task=$(cat)
role=$(printf '%s\\n' "$task" | sed -n 's/^Role: .* (\\([a-z_]*\\))$/\\1/p' | head -n 1)
label=$(printf '%s\\n' "$task" | sed -n 's/^Role: \\(.*\\) ([a-z_]*)$/\\1/p' | head -n 1)
if [ "$LONGTABLE_FOLLOW_UP" = 1 ]; then
  # The private HOME is kept across turns: the role is remembered there.
  . "$HOME/.my-agent"
  echo "working on $role with: $*"
  echo "follow-up of $LONGTABLE_SESSION_ID: $(printf '%s\\n' "$task" | head -n 3 | tail -n 1)"
  printf 'second\\n' >> notes.md
else
  printf 'role=%s\\nlabel="%s"\\n' "$role" "$label" > "$HOME/.my-agent"
  echo "working on $role with: $*"
  echo "longtable-session: sess-$role"
  printf 'first\\n' > notes.md
fi
echo 'longtable-usage: {"inputTokens": 10, "cachedInputTokens": 2, "outputTokens": 5, "costUsd": 0.25}'
if echo escaped > "$HOME_OUTSIDE/escape.txt" 2>/dev/null; then echo "wrote outside"; else echo "could not write outside"; fi
if [ "$role" = methods_critic ]; then echo "giving up" >&2; exit 3; fi
printf '{"role":"%s","label":"%s","status":"completed","summary":"model %s","claims":["notes.md"],"objections":[],"openQuestions":[],"evidenceRefs":[],"error":"","extra":1}' "$role" "$label" "$LONGTABLE_MODEL" > "$LONGTABLE_RESULT_FILE"
`;

let h: BridgeHarness | undefined;
let restore: (() => void) | undefined;
const cleanups: Array<() => void> = [];
afterEach(async () => {
  await h?.cleanup();
  restore?.();
  cleanups.splice(0).forEach((c) => c());
  h = undefined;
  restore = undefined;
});

type Row = { worker_id: string; attempt: number; kind: string; text: string; data: string | null };

describe("the command agent (any CLI: task on stdin, JSON result to a file)", () => {
  it("runs a script agent per member: activity from its stdout, its result, a commit; a failure without a result is an error; a follow-up gets its session back", async () => {
    h = await bridgeHarness({});
    const script = join(h.dir, "my-agent.sh");
    writeFileSync(script, AGENT);
    chmodSync(script, 0o755);
    h.panel.config.agentBins.command = script;
    // HOME_OUTSIDE: a folder outside the worktree and outside /tmp (the sandbox's /tmp is its own), read-only for the agent.
    const outside = tempDirOutsideTmp("ltp-command-outside-");
    cleanups.push(() => removeDir(outside));
    restore = setProcessEnv({ LONGTABLE_COMMAND_ARGS: JSON.stringify(["--flag", "a value"]), HOME_OUTSIDE: outside, LONGTABLE_AGENT_ENV: "HOME_OUTSIDE" });
    const { api, repo, panel } = h;
    expect(outside.startsWith("/tmp/")).toBe(false);
    const created = await api.runs.create({
      repoPath: repo, prompt: "Take notes", mode: "draft",
      members: [{ role: "reviewer", agent: "command", model: "my-model-1" }, { role: "methods_critic", agent: "command" }],
    });
    await api.runs.launch({ runId: created.id });
    const run = await waitForRunStatus(h, created.id, ["completed", "failed", "blocked"], 20_000);
    const [rev, methods] = run.workers as [typeof run.workers[0], typeof run.workers[0]];
    expect([rev.status, rev.failureReason ?? ""]).toEqual(["completed", ""]);
    expect(JSON.parse(readFileSync(rev.resultPath, "utf8"))).toEqual({
      role: "reviewer", label: "Reviewer", status: "completed", summary: "model my-model-1", claims: ["notes.md"], objections: [], openQuestions: [], evidenceRefs: [], error: "",
    });
    expect(gitIn(repo, "show", `${rev.worktreeCommit}:notes.md`)).toBe("first\n");
    expect(rev.threadId).toBe("sess-reviewer");
    expect(rev.usage).toEqual({ inputTokens: 10, cachedInputTokens: 2, outputTokens: 5, costUsd: 0.25 });
    const rows = (panel.dbh.sqlite.prepare("select worker_id, attempt, kind, text, data from activity where run_id = ? order by seq").all(run.id) as Row[]).filter((r) => r.worker_id === rev.id);
    expect(rows.map((r) => [r.kind, r.text])).toEqual([
      ["message", "working on reviewer with: --flag a value"],
      ["thread", "Session sess-reviewer"],
      ["usage", "Usage: 10 in (2 cached), 5 out, $0.2500"],
      ["message", "could not write outside"],
    ]);
    expect(gitIn(repo, "status", "--porcelain", "--untracked-files=all")).toBe("");
    expect(existsSync(join(outside, "escape.txt"))).toBe(false);

    expect([methods.status, methods.executionState]).toEqual(["failed", "result_ready"]);
    expect(methods.failureReason).toBe("the agent command exited 3; the agent command wrote no result file ($LONGTABLE_RESULT_FILE)");
    expect(readFileSync(methods.logPath, "utf8")).toContain("giving up");

    await api.workers.followUp({ runId: run.id, workerId: rev.id, message: "Add a second line." });
    const after = await waitFor(async () => {
      const w = (await api.runs.get({ runId: run.id })).workers[0]!;
      return w.attempt === 2 && w.status !== "running" ? w : undefined;
    }, "the follow-up turn", 20_000);
    expect(after.status).toBe("completed");
    expect(gitIn(repo, "show", `${after.worktreeCommit}:notes.md`)).toBe("first\nsecond\n");
    expect(gitIn(repo, "rev-parse", `${after.worktreeCommit}^`).trim()).toBe(rev.worktreeCommit);
    const second = (panel.dbh.sqlite.prepare("select worker_id, attempt, kind, text from activity where run_id = ? and attempt = 2 order by seq").all(run.id) as Row[]);
    expect(second[1]).toMatchObject({ kind: "message", text: "follow-up of sess-reviewer: Add a second line." });
  });
});
