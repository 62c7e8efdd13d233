import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startServer, stopServer, type RunningServer } from "../../e2e/support/server";
import { Tmux, sessionNameFor } from "@/server/bridge/tmux";
import type { RunView } from "@/server/panel/runs/queries";
import { gitIn, resultFor } from "../support/bridge";
import { makeFakeCodex } from "../support/fake-codex.ts";
import { trpc } from "../support/http";
import { makeRepo, removeDir, tempDir } from "../support/repo";
import { waitFor } from "../support/wait";

const started: RunningServer[] = [];
const dirs: string[] = [];
let tmux: Tmux | undefined;
afterAll(async () => {
  for (const s of started) if (s.child.exitCode === null && s.child.signalCode === null) await stopServer(s.child.pid!); // (a dead one's pid may be reused)
  await tmux?.killServer();
  for (const d of dirs) removeDir(d);
});

function sigkill(s: RunningServer) {
  process.kill(s.child.pid!, "SIGKILL");
  return new Promise<void>((resolve) => (s.child.exitCode !== null || s.child.signalCode !== null ? resolve() : s.child.once("exit", () => resolve())));
}

describe("restart safety (real server process, SIGKILL)", () => {
  it("survives SIGKILL during provisioning and while workers run: no lost commit, no duplicate worktree, no orphan window", async () => {
    // A repo big enough that provisioning takes a moment.
    const files: Record<string, string> = { "README.md": "# big\n" };
    for (let i = 0; i < 1500; i++) files[`data/d${i % 30}/f${i}.txt`] = `file ${i}\n`.repeat(20);
    const repo = makeRepo(files);
    const work = tempDir("ltp-restart-");
    dirs.push(repo, work);
    const gate = join(work, "gate");
    const roles = ["reviewer", "theory_critic", "methods_critic"] as const;
    const labels = { reviewer: "Reviewer", theory_critic: "Theory Critic", methods_critic: "Methods Critic" };
    const script: Record<string, unknown> = {};
    for (const r of roles) {
      script[r] = [
        { write: { path: `out-${r}.txt`, content: `${r}\n` } },
        { shell: `while [ ! -f '${gate}' ]; do sleep 0.05; done` },
        { result: resultFor(r, labels[r]) },
      ];
    }
    const codex = await makeFakeCodex(work, script as never);
    // The fake codex keeps its script (and the gate) in `work`: a folder the sandbox lets it see.
    const base = { repo, env: { LONGTABLE_CODEX_BIN: codex, LONGTABLE_SANDBOX_WRITABLE: work } };
    let s = await startServer(base);
    started.push(s);
    const same = { ...base, dataDir: s.dataDir, token: s.token, viewerToken: s.viewerToken, tmuxSocket: s.tmuxSocket };
    tmux = new Tmux(s.tmuxSocket);
    const call = <T>(proc: string, input: unknown, kind: "query" | "mutation" = "query") => trpc<T>(s.baseURL, s.token, proc, input, kind);

    const run = await call<RunView>("runs.create", { repoPath: repo, prompt: "restart me", roles, mode: "draft" }, "mutation");
    void call("runs.launch", { runId: run.id }, "mutation").catch(() => undefined);
    await waitFor(() => existsSync(run.eventLogPath) && readFileSync(run.eventLogPath, "utf8").includes("worktree_provisioned"), "the first worktree to be provisioned", 60_000, 5);
    await sigkill(s); // 1: mid-provisioning
    const atKill = JSON.parse(readFileSync(join(run.runDirectory, "run.json"), "utf8")) as RunView;
    // the kill really interrupted the launch: some worker had not been launched yet
    expect(atKill.workers.some((w) => w.executionState !== "running")).toBe(true);

    s = await startServer(same);
    started.push(s);
    await waitFor(async () => (await call<RunView>("runs.get", { runId: run.id })).workers.every((w) => w.status === "running"), "all workers running after restart", 60_000);
    await sigkill(s); // 2: while the workers run

    writeFileSync(gate, "go");
    await waitFor(() => run.workers.every((w) => existsSync(w.resultPath)), "workers to finish while the server is down", 60_000);
    s = await startServer(same);
    started.push(s);
    const done = await waitFor(async () => {
      const r = await call<RunView>("runs.get", { runId: run.id });
      return ["completed", "failed", "blocked"].includes(r.status) ? r : undefined;
    }, "the run to settle after the second restart", 60_000);

    expect(done.status).toBe("completed");
    const worktrees = gitIn(repo, "worktree", "list", "--porcelain").split("\n").filter((l) => l.startsWith("worktree ") && l.includes(run.id));
    expect(worktrees).toHaveLength(3);
    for (const w of done.workers) {
      expect(w.worktreeCommit).toMatch(/^[0-9a-f]{40}$/);
      expect(gitIn(repo, "rev-parse", w.worktreeBranch).trim()).toBe(w.worktreeCommit);
      expect(gitIn(repo, "show", "--name-only", "--format=", w.worktreeCommit!).trim()).toBe(`out-${w.role}.txt`);
    }
    const windows = (await tmux.listPanes()).filter((p) => p.session === sessionNameFor(run.id)).map((p) => p.window).sort();
    expect(windows).toEqual(["worker-1-reviewer", "worker-2-theory_critic", "worker-3-methods_critic"]);
    const aggregate = JSON.parse(readFileSync(done.aggregateResultPath, "utf8"));
    expect(aggregate.memberResults).toHaveLength(3);
    // the server shuts down cleanly on SIGTERM
    await stopServer(s.child.pid!);
    expect(s.child.exitCode).toBe(0);
  });
});
