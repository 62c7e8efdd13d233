/**
 * A merge queue item interrupted like a single merge recovers like one (ARCHITECTURE.md §7
 * "Merge queue", crash behaviour): the real server, its whole process group killed with SIGKILL
 * during an item's target move (at the merge journal's crash points, which the queue shares with
 * a single merge) and during an item's check (a slow check in the scratch worktree); then
 * started again. Afterwards the target is exactly before or exactly merged, the item says so
 * (merged or interrupted), the leader's uncommitted edit is intact, no lock and no scratch
 * worktree is left, and the queue goes on (by itself, or on Resume) to merge what is left once.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startServer, stopServer, type RunningServer, type StartOptions } from "../../e2e/support/server";
import { Tmux } from "@/server/bridge/tmux";
import type { RunView } from "@/server/panel/runs/queries";
import type { QueueView } from "@/server/panel/queue/service";
import { gitIn, resultFor } from "../support/bridge";
import { makeFakeCodex } from "../support/fake-codex.ts";
import { trpc } from "../support/http";
import { makeRepo, removeDir, tempDir } from "../support/repo";
import { waitFor } from "../support/wait";

const started: RunningServer[] = [];
const dirs: string[] = [];
const tmuxSockets = new Set<string>();
afterAll(async () => {
  for (const s of started) if (s.child.exitCode === null && s.child.signalCode === null) await stopServer(s.child.pid!);
  for (const socket of tmuxSockets) await new Tmux(socket).killServer();
  for (const d of dirs) removeDir(d);
}, 120_000);

const exited = (s: RunningServer) => new Promise<void>((resolve) => (s.child.exitCode !== null || s.child.signalCode !== null ? resolve() : s.child.once("exit", () => resolve())));
const status = (repo: string) => gitIn(repo, "--no-optional-locks", "status", "--porcelain=v1", "--untracked-files=all");
const scratchLeft = (dataDir: string) => (existsSync(join(dataDir, "scratch")) ? readdirSync(join(dataDir, "scratch")).flatMap((r) => readdirSync(join(dataDir, "scratch", r))) : []);
const LOCKS = (repo: string) => [join(repo, ".git", "index.lock"), join(repo, ".git", "refs", "heads", "main.lock")];

type Call = <T>(proc: string, input: unknown, kind?: "query" | "mutation") => Promise<T>;
const caller = (s: RunningServer): Call => (proc, input, kind = "query") => trpc(s.baseURL, s.token, proc, input, kind);

/** A repo, a fake codex for reviewer (a.txt) and editor (b.txt), and a completed run of both on a started server. */
async function setup(files: Record<string, string>, env: Record<string, string>, script: Record<string, unknown> = {}) {
  const repo = makeRepo({ "README.md": "# crash queue\n", "notes.txt": "notes\n", ...files });
  const work = tempDir("ltp-crash-queue-");
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
      const { repo, s, same } = await setup({}, { LONGTABLE_PANEL_FAILPOINT: point });
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
});
