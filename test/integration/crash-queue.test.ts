/**
 * A merge queue item interrupted like a single merge recovers like one (ARCHITECTURE.md §7
 * "Merge queue", crash behaviour): the real server, its whole process group killed with SIGKILL
 * during an item's target move (at the merge journal's crash points, which the queue shares with
 * a single merge) and during an item's check (a slow check in the scratch worktree); then
 * started again. Afterwards the target is exactly before or exactly merged, the item says so
 * (merged or interrupted), the leader's uncommitted edit is intact, no lock and no scratch
 * worktree is left, and the queue goes on (by itself, or on Resume) to merge what is left once.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startServer, stopServer, type RunningServer, type StartOptions } from "../../e2e/support/server";
import type { RunView } from "@/server/panel/runs/queries";
import type { QueueView } from "@/server/panel/queue/service";
import { gitIn, resultFor } from "../support/bridge";
import { makeFakeCodex } from "../support/fake-codex.ts";
import { trpc } from "../support/http";
import { makeRepo, tempDir } from "../support/repo";
import { crashTestResources } from "../support/crash-servers";
import { waitFor } from "../support/wait";

const { started, dirs, tmuxSockets } = crashTestResources();

const exited = (s: RunningServer) => new Promise<void>((resolve) => (s.child.exitCode !== null || s.child.signalCode !== null ? resolve() : s.child.once("exit", () => resolve())));
const status = (repo: string) => gitIn(repo, "--no-optional-locks", "status", "--porcelain=v1", "--untracked-files=all");
const scratchLeft = (dataDir: string) => (existsSync(join(dataDir, "scratch")) ? readdirSync(join(dataDir, "scratch")).flatMap((r) => readdirSync(join(dataDir, "scratch", r))) : []);
const LOCKS = (repo: string) => [join(repo, ".git", "index.lock"), join(repo, ".git", "refs", "heads", "main.lock")];

type Call = <T>(proc: string, input: unknown, kind?: "query" | "mutation") => Promise<T>;
const caller = (s: RunningServer): Call => (proc, input, kind = "query") => trpc(s.baseURL, s.token, proc, input, kind);

/** A repo, a fake codex for reviewer (a.txt) and editor (b.txt), and a completed run of both on a started server. */
async function setup(files: (work: string) => Record<string, string>, env: Record<string, string>, script: Record<string, unknown> = {}) {
  // (work: the fake codex's folder, which the sandbox lets agents and checks see: its /tmp is private)
  const work = tempDir("ltp-crash-queue-");
  const repo = makeRepo({ "README.md": "# crash queue\n", "notes.txt": "notes\n", ...files(work) });
  dirs.push(repo, work);
  const codex = await makeFakeCodex(work, {
    reviewer: [{ write: { path: "a.txt", content: "a\n" } }, { result: resultFor("reviewer", "Reviewer", { summary: "A" }) }],
    editor: [{ write: { path: "b.txt", content: "b\n" } }, { result: resultFor("editor", "Journal Editor", { summary: "B" }) }],
    ...script,
  } as never);
  const base: StartOptions = { repo, detached: true, env: { LONGTABLE_CODEX_BIN: codex, LONGTABLE_SANDBOX_WRITABLE: work } };
  const s = await startServer({ ...base, env: { ...base.env, ...env } });
  started.push(s);
  tmuxSockets.add(s.tmuxSocket);
  const same: StartOptions = { ...base, dataDir: s.dataDir, token: s.token, viewerToken: s.viewerToken, tmuxSocket: s.tmuxSocket };
  return { repo, work, s, same };
}

async function completedRun(call: Call, repo: string, roles: string[], approve?: () => Promise<void>): Promise<RunView> {
  const run = await call<RunView>("runs.create", { repoPath: repo, prompt: "queue crash", roles, mode: "draft" }, "mutation");
  await call("runs.launch", { runId: run.id }, "mutation");
  await approve?.();
  return waitFor(async () => {
    const r = await call<RunView>("runs.get", { runId: run.id });
    return r.status === "completed" ? r : undefined;
  }, "the run to complete", 90_000, 100);
}

describe("crash-safe merge queue (real server process group, SIGKILL)", () => {
  for (const point of ["merge:journal-written", "merge:ref-moved"] as const) {
    it(`a queue item's target move killed at ${point} recovers to exactly before or exactly merged, and the queue merges both once`, async () => {
      const { repo, s, same } = await setup(() => ({}), { LONGTABLE_PANEL_FAILPOINT: point });
      const call = caller(s);
      const run = await completedRun(call, repo, ["reviewer", "editor"]);
      const [A, B] = run.workers.map((w) => w.id) as [string, string];
      writeFileSync(join(repo, "notes.txt"), "uncommitted edit\n");
      const before = status(repo);
      const oldMain = gitIn(repo, "rev-parse", "main").trim();

      await call("queue.accept", { runId: run.id, workerIds: [A, B] }, "mutation").catch(() => undefined);
      await exited(s); // the failpoint killed the group during A's move
      const journal = (JSON.parse(readFileSync(join(run.runDirectory, "run.json"), "utf8")) as { mergeJournal?: { newCommit: string } }).mergeJournal;
      expect(journal).toBeDefined();
      expect(gitIn(repo, "rev-parse", "main").trim()).toBe(point === "merge:ref-moved" ? journal!.newCommit : oldMain);

      const s2 = await startServer(same);
      started.push(s2);
      const again = caller(s2);
      for (const lock of LOCKS(repo)) expect(existsSync(lock), lock).toBe(false);
      expect(status(repo)).toBe(before);
      expect(readFileSync(join(repo, "notes.txt"), "utf8")).toBe("uncommitted edit\n");
      const view = await again<QueueView>("queue.get", { runId: run.id });
      const a = view.queue!.items[0]!;
      if (point === "merge:ref-moved") {
        // The move had happened: recorded as merged, and the queue went on by itself with B.
        expect(a.state).toBe("merged");
        expect(a.commits).toEqual([journal!.newCommit]);
      } else {
        expect(a.state).toBe("interrupted");
        expect(view.queue!.state).toBe("stopped");
        expect(view.queue!.stopReason).toMatch(/nothing of it reached main/);
        expect(gitIn(repo, "rev-parse", "main").trim()).toBe(oldMain);
        await again("queue.resume", { runId: run.id }, "mutation");
      }
      const done = await waitFor(async () => {
        const q = await again<QueueView>("queue.get", { runId: run.id });
        return q.queue!.items.every((i) => i.state === "merged") ? q : undefined;
      }, "both items merged", 60_000);
      // Exactly two commits landed, A then B, each once; the user's edit is still there.
      expect(gitIn(repo, "log", "--reverse", "--format=%s", `${oldMain}..main`).trim().split("\n")).toEqual(["Reviewer (reviewer): A", "Journal Editor (editor): B"]);
      expect(done.queue!.items[1]!.previousCommit).toBe(done.queue!.items[0]!.commits![0]);
      expect(status(repo)).toBe(before);
      expect(scratchLeft(s2.dataDir)).toEqual([]);
      const health = await again<Array<{ problems: string[] }>>("repos.status", {});
      expect(health.flatMap((h) => h.problems)).toEqual([]);
      await stopServer(s2.child.pid!);
    }, 240_000);
  }

  it("killed during an item's check: the target stays where it was after B, the item is interrupted, no scratch worktree or check process is left; Resume checks it again", async () => {
    // The check is slow for D until the test opens the gate (a file in a folder the sandbox shows).
    const gateOf = (work: string) => join(work, "gate-open");
    const check = (work: string) => `if [ -e d.txt ] && [ ! -e ${gateOf(work)} ]; then echo 'checking slowly'; sleep 120; fi; echo passed`;
    const { repo, work, s, same } = await setup((w) => ({ ".longtable-panel.json": JSON.stringify({ check: check(w) }) }), {}, {
      theory_critic: [{ write: { path: "d.txt", content: "d\n" } }, { result: resultFor("theory_critic", "Theory Critic", { summary: "D" }) }],
    });
    const call = caller(s);
    const run = await completedRun(call, repo, ["reviewer", "editor", "theory_critic"], async () => {
      const runs = await call<{ items: Array<{ repoId: string }> }>("runs.list", {});
      const repoId = runs.items[0]!.repoId;
      const cfg = await call<{ sha256: string }>("repos.config", { repoId });
      await call("repos.approveConfig", { repoId, sha256: cfg.sha256 }, "mutation");
    });
    const [A, B, D] = run.workers.map((w) => w.id) as [string, string, string];
    writeFileSync(join(repo, "notes.txt"), "uncommitted edit\n");
    const before = status(repo);
    const oldMain = gitIn(repo, "rev-parse", "main").trim();

    await call("queue.accept", { runId: run.id, workerIds: [A, B, D] }, "mutation");
    await waitFor(async () => {
      const q = await call<QueueView>("queue.get", { runId: run.id });
      if (q.queue!.items[2]!.state !== "checking") return undefined;
      return (await call<{ text: string }>("queue.checkLog", { runId: run.id, workerId: D })).text.includes("checking slowly");
    }, "D's check to be under way", 90_000, 100);
    const afterB = gitIn(repo, "rev-parse", "main").trim();
    expect(gitIn(repo, "rev-list", "--count", `${oldMain}..main`).trim()).toBe("2");
    const scratch = join(same.dataDir!, "scratch", run.id, D);
    expect(existsSync(scratch)).toBe(true);
    expect(gitIn(repo, "worktree", "list", "--porcelain")).toContain(scratch);
    process.kill(-s.child.pid!, "SIGKILL");
    await exited(s);

    const s2 = await startServer(same);
    started.push(s2);
    const again = caller(s2);
    // Exactly where it was after B; D interrupted and the queue stopped, saying so; nothing left behind.
    expect(gitIn(repo, "rev-parse", "main").trim()).toBe(afterB);
    expect(status(repo)).toBe(before);
    expect(existsSync(scratch)).toBe(false);
    expect(scratchLeft(s2.dataDir)).toEqual([]);
    expect(gitIn(repo, "worktree", "list", "--porcelain")).not.toContain(join(same.dataDir!, "scratch"));
    expect(processesUnder(join(same.dataDir!, "scratch"))).toEqual([]);
    let view = await again<QueueView>("queue.get", { runId: run.id });
    expect(view.queue!.items.map((i) => i.state)).toEqual(["merged", "merged", "interrupted"]);
    expect(view.queue!.state).toBe("stopped");
    expect(view.queue!.stopReason).toMatch(/Theory Critic was checking; nothing of it reached main/);
    const feed = readFileSync(run.eventLogPath, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { type: string });
    expect(feed.filter((e) => e.type === "queue_recovered")).toHaveLength(1);

    // Resume: D is checked again (now quickly) and lands once, on top of B.
    writeFileSync(gateOf(work), "");
    await again("queue.resume", { runId: run.id }, "mutation");
    view = await waitFor(async () => {
      const q = await again<QueueView>("queue.get", { runId: run.id });
      return q.queue!.items[2]!.state === "merged" ? q : undefined;
    }, "D merged after the resume", 60_000);
    expect(view.queue!.items[2]!.previousCommit).toBe(afterB);
    expect(view.queue!.items[2]!.builds).toBe(2);
    expect(gitIn(repo, "rev-list", "--count", `${oldMain}..main`).trim()).toBe("3");
    expect(status(repo)).toBe(before);
    expect(scratchLeft(s2.dataDir)).toEqual([]);
    await stopServer(s2.child.pid!);
  }, 240_000);
});

/** pids whose working directory is under `dir` (a check left running would be one). */
function processesUnder(dir: string): number[] {
  return readdirSync("/proc").filter((p) => /^\d+$/.test(p)).flatMap((pid) => {
    try {
      return readlinkSync(`/proc/${pid}/cwd`).startsWith(dir) ? [Number(pid)] : [];
    } catch {
      return [];
    }
  });
}
