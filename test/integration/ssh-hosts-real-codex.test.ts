/**
 * One real codex worker (the pinned 0.169.0) on an SSH host: the test sshd on 127.0.0.1 as the
 * host, its own clone and tmux socket, codex talking to the scripted model server. The codex
 * options (LONGTABLE_CODEX_ARGS) and the names listed in LONGTABLE_AGENT_ENV (the mock key, the
 * proxies) reach the agent on the host from the panel's environment, through the 0600 env file
 * in the host's panel folder.
 */
import { afterEach, describe, expect, it } from "vitest";
import { gitIn, resultFor, waitForRunStatus } from "../support/bridge";
import { CODEX_BIN, realCodexHarness, type RealCodexHarness } from "../support/codex-env";
import { startTestHost, type TestHost } from "../support/remote-host";

let h: RealCodexHarness | undefined;
let host: TestHost | undefined;
afterEach(async () => {
  await h?.cleanup();
  await host?.cleanup();
  h = undefined;
  host = undefined;
});

describe("a real codex worker on an SSH host", () => {
  it("edits through a real tool call on the host; its commit, activity and usage come back", async () => {
    h = await realCodexHarness({}, { files: { "README.md": "# demo\n" } });
    host = await startTestHost(h.repo, { codex: CODEX_BIN });
    const { api, repo, model } = h;
    model.setScript("reviewer", [
      { tools: [{ exec: "printf 'from the host\\n' > host.md && cat host.md", login: false }], usage: { input_tokens: 1000, cached_input_tokens: 0, output_tokens: 40 } },
      { message: resultFor("reviewer", "Reviewer", { claims: ["host.md written"] }), usage: { input_tokens: 1500, cached_input_tokens: 0, output_tokens: 50 } },
    ]);
    await api.hosts.add(host.input());
    const created = await api.runs.create({ repoPath: repo, prompt: "Write host.md", mode: "draft", members: [{ role: "reviewer", host: "box" }] });
    await api.runs.launch({ runId: created.id });
    const run = await waitForRunStatus(h, created.id, ["completed", "failed", "blocked"], 90_000);
    expect(run.status, JSON.stringify(run.workers.map((w) => [w.id, w.status, w.failureReason, w.diagnostics]))).toBe("completed");
    const w = run.workers[0]!;
    expect(gitIn(repo, "show", "--name-only", "--format=", w.worktreeCommit!).trim()).toBe("host.md");
    expect(gitIn(repo, "show", `${w.worktreeCommit}:host.md`)).toBe("from the host\n");
    expect(w.threadId).toMatch(/^[0-9a-f-]{36}$/);
    expect(w.usage?.outputTokens).toBeGreaterThan(0);
    const items = (await api.workers.activity({ runId: run.id, workerId: w.id })).items;
    expect(items.some((i) => i.kind === "command" && i.text.includes("host.md"))).toBe(true);
    expect(model.requests.length).toBeGreaterThanOrEqual(2);
  }, 180_000);
});
