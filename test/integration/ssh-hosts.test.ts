import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { sessionNameFor } from "@/server/bridge/tmux";
import { bridgeHarness, gitIn, resultFor, waitForRunStatus, type BridgeHarness } from "../support/bridge";
import { launchReviewerOnHost, startTestHost, type TestHost } from "../support/remote-host";
import { waitFor } from "../support/wait";

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

    // Its pane, read over the connection, and how a human attaches to it there.
    const terminal = await api.workers.terminal({ runId: run.id, workerId: rev!.id });
    expect(terminal.text).toContain("LongTable panel worker");
    expect(terminal.attach).toBe(`ssh -t ${host.sshd.alias} tmux -L ${host.tmux.socket} attach -t ${sessionNameFor(run.id)}:${rev!.id}`);

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
    // Hidden: an empty tmpfs over it (or over /tmp, where the test's folders are: the sandbox's /tmp is private).
    const hidden = (dir: string) => launcher.includes(`'--tmpfs' '${dir.startsWith("/tmp/") ? "/tmp" : dir}'`) && !launcher.includes(`'--bind' '${dir}'`);
    expect(hidden(host.panelDir)).toBe(true);
    expect(hidden(join(host.clone, ".longtable"))).toBe(true);
    expect(launcher).toContain(`'--bind' '${remoteWt}' '${remoteWt}'`);
  }, 180_000);
});

describe("a host's connection drops mid-run", () => {
  it("shows the host unreachable, fails no worker, keeps the workers running there, and brings their results when it is back", async () => {
    h = await bridgeHarness({ "*": [] }, FILES);
    const gate = join(h.dir, "gate");
    const slow = (role: string, label: string) => [{ write: { path: `${role}.txt`, content: "x\n" } }, { shell: `while [ ! -f '${gate}' ]; do sleep 0.05; done` }, { result: resultFor(role, label) }];
    writeFileSync(join(h.dir, "fake-codex-script.json"), JSON.stringify({ reviewer: slow("reviewer", "Reviewer"), editor: slow("editor", "Journal Editor") }));
    host = await startTestHost(h.repo, { codex: h.codex }, [h.dir]);
    const { api, repo } = h;
    await api.hosts.add(host.input());
    const created = await api.runs.create({ repoPath: repo, prompt: "p", mode: "draft", members: [{ role: "reviewer", host: "box" }, { role: "editor", host: "box" }] });
    await api.runs.launch({ runId: created.id });
    // Both run, and their activity reaches the panel through the tail.
    await waitFor(async () => {
      const items = (await api.workers.activity({ runId: created.id, workerId: created.workers[1]!.id })).items;
      return items.some((i) => i.kind === "file_change");
    }, "activity of the editor on the host", 30_000);
    const up = (await api.hosts.list()).find((x) => x.id === "box")!.status;
    expect(up.state).toBe("up");
    expect(up.masterPid).toBeGreaterThan(0);

    // The host drops off the network: nothing new can connect, and the shared connection dies.
    await host.sshd.pause();
    process.kill(up.masterPid!, "SIGTERM");
    const down = await waitFor(async () => {
      const s = (await api.hosts.list()).find((x) => x.id === "box")!.status;
      return s.state === "unreachable" ? s : undefined;
    }, "the host to show unreachable", 15_000);
    expect(down.detail).toBeTruthy();
    // The workers finish on the host meanwhile; the panel's checks see an unreachable host, not dead panes.
    writeFileSync(gate, "go");
    const remoteResult = (id: string) => join(host!.clone, ".longtable", "panel-runs", created.id, "workers", id, "result.json");
    await waitFor(() => created.workers.every((w) => existsSync(remoteResult(w.id))), "the workers to finish on the host", 30_000);
    for (let i = 0; i < 3; i++) await h.supervisor.tick();
    const during = await api.runs.get({ runId: created.id });
    expect(during.workers.map((w) => w.status)).toEqual(["running", "running"]);
    expect((await api.workers.terminal({ runId: created.id, workerId: created.workers[0]!.id })).message).toMatch(/cannot be reached/);
    // Still there in tmux on the host (kept after exit, remain-on-exit).
    expect((await host.tmux.listPanes()).filter((p) => p.session === sessionNameFor(created.id))).toHaveLength(2);

    // Back: the connection is made again, the tail resumes from the mirror, the results arrive.
    await host.sshd.resume();
    const run = await waitForRunStatus(h, created.id, ["completed", "failed", "blocked"], 45_000);
    expect(run.status, JSON.stringify(run.workers.map((w) => [w.id, w.status, w.failureReason]))).toBe("completed");
    for (const w of run.workers) expect(gitIn(repo, "show", "--name-only", "--format=", w.worktreeCommit!).trim()).toBe(`${w.role}.txt`);
    const again = (await api.hosts.list()).find((x) => x.id === "box")!.status;
    expect(again.state).toBe("up");
    expect(again.masterPid).not.toBe(up.masterPid);
    // Every agent event line arrived once (the mirror neither lost nor doubled any across the outage).
    for (const w of run.workers) {
      const local = readFileSync(join(repo, ".longtable", "panel-runs", run.id, "workers", w.id, "agent-events.jsonl"), "utf8");
      const remote = readFileSync(join(host.clone, ".longtable", "panel-runs", run.id, "workers", w.id, "agent-events.jsonl"), "utf8");
      expect(local).toBe(remote);
    }
  }, 180_000);
});

describe("stop, resume, follow-up and cleanup of workers on a host", () => {
  it("stops a running worker there, resumes it, follows it up with a new commit, merges and cleans up its worktree there", async () => {
    h = await bridgeHarness({ "*": [] }, FILES);
    const gate = join(h.dir, "gate");
    writeFileSync(join(h.dir, "fake-codex-script.json"), JSON.stringify({
      reviewer: { runs: [
        [{ write: { path: "a.txt", content: "a\n" } }, { shell: `while [ ! -f '${gate}' ]; do sleep 0.05; done` }, { result: resultFor("reviewer", "Reviewer") }],
        [{ write: { path: "b.txt", content: "b\n" } }, { result: resultFor("reviewer", "Reviewer") }],
      ] },
      followup: { reviewer: [{ write: { path: "c.txt", content: "c\n" } }, { result: resultFor("reviewer", "Reviewer", { summary: "followed up" }) }] },
    }));
    host = await startTestHost(h.repo, { codex: h.codex }, [h.dir]);
    const { api, repo } = h;
    const { created, ref } = await launchReviewerOnHost(api, repo, host);

    const stopped = await api.runs.stop({ runId: created.id });
    expect(stopped.status).toBe("stopped");
    const session = sessionNameFor(created.id);
    expect((await host.tmux.listPanes()).filter((p) => p.session === session && !p.dead)).toEqual([]);
    expect(existsSync(join(host.clone, ".longtable", "panel-runs", created.id, "stop-requested"))).toBe(true);

    await api.runs.resume({ runId: created.id });
    expect(existsSync(join(host.clone, ".longtable", "panel-runs", created.id, "stop-requested"))).toBe(false);
    let run = await waitForRunStatus(h, created.id, ["completed", "failed", "blocked"], 45_000);
    expect(run.status, JSON.stringify(run.workers.map((w) => [w.id, w.status, w.failureReason]))).toBe("completed");
    expect(gitIn(repo, "ls-tree", "--name-only", run.workers[0]!.worktreeCommit!).split("\n")).toContain("b.txt");

    await api.workers.followUp({ ...ref, message: "add c" });
    run = await waitFor(async () => {
      const r = await api.runs.get({ runId: created.id });
      return r.workers[0]!.attempt === 3 && r.status === "completed" ? r : undefined;
    }, "the follow-up to finish", 45_000);
    const w = run.workers[0]!;
    expect(gitIn(repo, "show", "--name-only", "--format=", w.worktreeCommit!).trim()).toBe("c.txt");
    const since = await api.workers.diff({ ...ref, since: "previousAttempt" });
    expect(since.files.map((f) => f.path)).toEqual(["c.txt"]);

    await api.workers.merge({ ...ref, expectedHeadCommit: w.worktreeCommit! });
    const remoteWt = join(host.clone, ".longtable", "panel-runs", created.id, "worktrees", w.id);
    expect(existsSync(remoteWt)).toBe(true);
    const cleaned = await api.workers.cleanup({ ...ref, deleteBranch: true });
    expect(cleaned.removed).toBe(true);
    expect(existsSync(remoteWt)).toBe(false);
    expect(gitIn(repo, "branch", "--list", w.worktreeBranch).trim()).toBe("");
  }, 180_000);
});
