import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { sessionNameFor } from "@/server/bridge/tmux";
import { bridgeHarness, gitIn, resultFor, waitForRunStatus, type BridgeHarness } from "../support/bridge";
import { startTestHost, type TestHost } from "../support/remote-host";

let h: BridgeHarness | undefined;
let host: TestHost | undefined;
afterEach(async () => {
  await h?.cleanup();
  await host?.cleanup();
  h = undefined;
  host = undefined;
});

const FILES = { "README.md": "# demo\n", "src/app.txt": "one\ntwo\nthree\n" };

describe("workers on an SSH host (test sshd on 127.0.0.1, a separate clone and tmux socket)", () => {
  it("a 3-member run with 2 workers on the host and 1 here completes; the host's commits are fetched, reviewed and merged like local ones", async () => {
    h = await bridgeHarness({
      reviewer: [{ write: { path: "r.txt", content: "r\n" } }, { command: "echo hi", output: "hi\n" }, { result: resultFor("reviewer", "Reviewer") }],
      theory_critic: [{ write: { path: "t.txt", content: "t\n" } }, { result: resultFor("theory_critic", "Theory Critic") }],
      methods_critic: [{ write: { path: "m.txt", content: "m\n" } }, { result: resultFor("methods_critic", "Methods Critic") }],
    }, FILES);
    host = await startTestHost(h.repo, { codex: h.codex }, [h.dir]);
    const { api, repo } = h;
    await api.hosts.add(host.input());
    // The leader has an uncommitted tracked change: the workers on the host start from the same leader snapshot.
    writeFileSync(join(repo, "README.md"), "# demo (leader edit)\n");
    const created = await api.runs.create({
      repoPath: repo, prompt: "look", mode: "draft",
      members: [{ role: "reviewer", host: "box" }, { role: "theory_critic", host: "box" }, { role: "methods_critic" }],
    });
    expect(created.workers.map((w) => w.host ?? "local")).toEqual(["box", "box", "local"]);
    await api.runs.launch({ runId: created.id });
    const run = await waitForRunStatus(h, created.id, ["completed", "failed", "blocked"], 60_000);
    expect(run.status, JSON.stringify(run.workers.map((w) => [w.id, w.status, w.failureReason]))).toBe("completed");

    const [rev, theory, methods] = run.workers;
    // The remote workers ran in the host's clone and tmux, not here.
    const remoteWt = join(host.clone, ".longtable", "panel-runs", run.id, "worktrees", rev!.id);
    expect(existsSync(join(remoteWt, "r.txt"))).toBe(true);
    expect(existsSync(rev!.worktreePath)).toBe(false);
    const panes = (await host.tmux.listPanes()).filter((p) => p.session === sessionNameFor(run.id)).map((p) => p.window).sort();
    expect(panes).toEqual([rev!.id, theory!.id]);
    expect((await h.tmux.listPanes()).filter((p) => p.session === sessionNameFor(run.id)).map((p) => p.window)).toEqual([methods!.id]);
    // Same base for all three: the leader snapshot (HEAD + the uncommitted edit), and the commits are here now.
    for (const w of run.workers) {
      expect(w.worktreeCommit).toMatch(/^[0-9a-f]{40}$/);
      expect(gitIn(repo, "rev-parse", w.worktreeBranch).trim()).toBe(w.worktreeCommit);
      expect(gitIn(repo, "show", `${w.baseCommit}:README.md`)).toBe("# demo (leader edit)\n");
    }
    expect(new Set(run.workers.map((w) => gitIn(repo, "rev-parse", `${w.baseCommit}^{tree}`).trim())).size).toBe(1);
    // Activity came through the live tail.
    const activity = await api.workers.activity({ runId: run.id, workerId: rev!.id });
    expect(activity.items.some((i) => i.kind === "command" && i.text.includes("echo hi"))).toBe(true);

    const diff = await api.workers.diff({ runId: run.id, workerId: rev!.id });
    expect(diff.files.map((f) => f.path)).toEqual(["r.txt"]);
    // Merge the remote reviewer and the local critic into main (the leader edit stays out of both).
    gitIn(repo, "checkout", "--", "README.md");
    for (const w of [rev!, methods!]) {
      const preview = await api.workers.mergePreview({ runId: run.id, workerId: w.id });
      expect(preview.clean).toBe(true);
      await api.workers.merge({ runId: run.id, workerId: w.id, expectedHeadCommit: w.worktreeCommit! });
    }
    expect(gitIn(repo, "ls-tree", "--name-only", "main").split("\n").filter(Boolean).sort()).toEqual(["README.md", "m.txt", "r.txt", "src"]);
    expect(gitIn(repo, "show", "main:README.md")).toBe("# demo\n");
    // The host's clone got nothing pushed to its branches: only the panel's base ref and worker branches.
    expect(gitIn(host.clone, "for-each-ref", "--format=%(refname)").split("\n").filter((r) => r.includes("longtable")).every((r) => r.startsWith("refs/longtable-panel/bases/") || r.startsWith("refs/heads/longtable/panel/"))).toBe(true);
    // Nothing of the agents' environment is left on the host.
    expect(existsSync(join(host.panelDir, "secrets", `${run.id}.${rev!.id}.env`))).toBe(false);
    expect(readFileSync(join(host.clone, ".git", "info", "exclude"), "utf8")).toContain(".longtable/");
    // The agents on the host ran in the panel's sandbox there, with the host's panel folder and run folders hidden.
    const launcher = readFileSync(join(host.clone, ".longtable", "panel-runs", run.id, "workers", rev!.id, "launch.sh"), "utf8");
    expect(launcher).toContain("bwrap");
    expect(launcher).toContain(`'--tmpfs' '${host.panelDir}'`);
    expect(launcher).toContain(`'--tmpfs' '${join(host.clone, ".longtable")}'`);
  });
});
