/**
 * Crash-safe merges (ARCHITECTURE.md §7 "Crash safety"): the real server, its whole process group
 * killed with SIGKILL at six points of a 2,000-file squash merge into a leader checkout that has an
 * uncommitted edit, an untracked and an ignored file; then started again. After each restart: no
 * lock is left, the leader's status is exactly as before the merge (or exactly merged, which shows
 * the same status), the user's files are intact, the worker branch is intact, nothing needs the
 * user's attention, and merging again leaves exactly one merge commit holding every file.
 *
 * Three kills are at crash points in the server (LONGTABLE_PANEL_FAILPOINT, server/core/failpoint.ts);
 * two are made by this test while git is writing the leader's working tree (watched with inotify);
 * one is after the merge was recorded.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, utimesSync, watch, writeFileSync, type FSWatcher } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startServer, stopServer, type RunningServer, type StartOptions } from "../../e2e/support/server";
import type { RunView } from "@/server/panel/runs/queries";
import { gitIn, resultFor } from "../support/bridge";
import { makeFakeCodex } from "../support/fake-codex.ts";
import { trpc } from "../support/http";
import { makeRepo, tempDir } from "../support/repo";
import { crashTestResources } from "../support/crash-servers";
import { waitFor } from "../support/wait";

const FILES = 2000;
const { started, dirs, tmuxSockets } = crashTestResources();

/** SIGKILL the server's process group (the server and any git it runs) and wait for the server to be gone. */
function killGroup(s: RunningServer): Promise<void> {
  const gone = new Promise<void>((resolve) => (s.child.exitCode !== null || s.child.signalCode !== null ? resolve() : s.child.once("exit", () => resolve())));
  try {
    process.kill(-s.child.pid!, "SIGKILL");
  } catch {
    // already gone (a crash point killed it)
  }
  return gone;
}
const exited = (s: RunningServer) => new Promise<void>((resolve) => (s.child.exitCode !== null || s.child.signalCode !== null ? resolve() : s.child.once("exit", () => resolve())));

const status = (repo: string) => gitIn(repo, "--no-optional-locks", "status", "--porcelain=v1", "--untracked-files=all");
const runJson = (run: RunView) => JSON.parse(readFileSync(join(run.runDirectory, "run.json"), "utf8")) as RunView & { mergeJournal?: { newCommit: string; oldCommit: string } };
const LOCKS = (repo: string) => [join(repo, ".git", "index.lock"), join(repo, ".git", "refs", "heads", "main.lock"), join(repo, ".git", "HEAD.lock")];

type Phase = "merge:before-journal" | "merge:journal-written" | "checkout-early" | "checkout-late" | "merge:ref-moved" | "after-record";

/** Kill the server while git writes the leader's tree: as soon as the worker's folder appears ("early"), or once half its files are there ("late"). */
function killDuringCheckout(repo: string, s: RunningServer, late: boolean): { killed: Promise<number>; close(): void } {
  const watchers: FSWatcher[] = [];
  let done = false;
  let resolveKilled!: (n: number) => void;
  const killed = new Promise<number>((r) => (resolveKilled = r));
  const fire = (dir: string) => {
    if (done) return;
    done = true;
    process.kill(-s.child.pid!, "SIGKILL");
    void exited(s).then(() => resolveKilled(readdirSync(dir).length));
  };
  watchers.push(watch(repo, (_event, name) => {
    const n = String(name ?? "");
    if (!n.startsWith("bulk-") || watchers.length > 1) return;
    const dir = join(repo, n);
    if (!late) return fire(dir);
    const seen = new Set<string>();
    try {
      watchers.push(watch(dir, (_e, f) => {
        if (f) seen.add(String(f));
        if (seen.size >= FILES / 2) fire(dir);
      }));
      for (const f of readdirSync(dir)) seen.add(f);
    } catch {
      // the folder is not there (yet): the next event tells
    }
  }));
  return { killed, close: () => watchers.forEach((w) => w.close()) };
}

describe("crash-safe merges (real server process group, SIGKILL)", () => {
  it("recovers a 2,000-file squash merge killed at six points to exactly before or exactly merged, and merges once", async () => {
    const repo = makeRepo({ "README.md": "# crash\n", ".gitignore": ".env\n", "src/app.txt": "one\n" });
    const work = tempDir("ltp-crash-");
    dirs.push(repo, work);
    // The worker adds 2,000 files under a folder of its own (bulk-<nanoseconds>: pids repeat in the sandbox), ~2 KiB each.
    const bulk = `d=bulk-$(date +%s%N); mkdir "$d"; line=$(printf 'x%.0s' $(seq 1 2000)); for i in $(seq 1 ${FILES}); do printf '%s %s\\n' "$i" "$line" > "$d/f$i.txt"; done`;
    const codex = await makeFakeCodex(work, { reviewer: [{ shell: bulk }, { result: resultFor("reviewer", "Reviewer") }] } as never);
    // The user's own files in the leader: an uncommitted edit, an untracked and an ignored file.
    writeFileSync(join(repo, "src/app.txt"), "one\nuncommitted edit\n");
    writeFileSync(join(repo, "scratch.txt"), "untracked\n");
    writeFileSync(join(repo, ".env"), "SECRET=1\n");
    const before = status(repo);
    expect(before.split("\n").filter(Boolean).sort()).toEqual([" M src/app.txt", "?? scratch.txt"]);

    const base: StartOptions = { repo, detached: true, env: { LONGTABLE_CODEX_BIN: codex, LONGTABLE_SANDBOX_WRITABLE: work } };
    let same: StartOptions = base;
    const phases: Phase[] = ["merge:before-journal", "merge:journal-written", "checkout-early", "checkout-late", "merge:ref-moved", "after-record"];
    const seen: Record<string, string> = {};
    for (const phase of phases) {
      const failpoint: Record<string, string> = phase.startsWith("merge:") ? { LONGTABLE_PANEL_FAILPOINT: phase } : {};
      let s = await startServer({ ...same, env: { ...same.env, ...failpoint } });
      started.push(s);
      tmuxSockets.add(s.tmuxSocket);
      same = { ...base, dataDir: s.dataDir, token: s.token, viewerToken: s.viewerToken, tmuxSocket: s.tmuxSocket };
      const call = <T>(proc: string, input: unknown, kind: "query" | "mutation" = "query") => trpc<T>(s.baseURL, s.token, proc, input, kind);

      const run = await call<RunView>("runs.create", { repoPath: repo, prompt: `crash at ${phase}`, roles: ["reviewer"], mode: "draft" }, "mutation");
      await call("runs.launch", { runId: run.id }, "mutation");
      const done = await waitFor(async () => {
        const r = await call<RunView>("runs.get", { runId: run.id });
        return r.status === "completed" ? r : undefined;
      }, `the ${phase} run to complete`, 90_000, 100);
      const worker = done.workers[0]!;
      const oldMain = gitIn(repo, "rev-parse", "main").trim();
      const dir = gitIn(repo, "show", "--name-only", "--format=", worker.worktreeCommit!).split("\n")[0]!.split("/")[0]!;
      expect(gitIn(repo, "show", "--name-only", "--format=", worker.worktreeCommit!).split("\n").filter(Boolean)).toHaveLength(FILES);

      // The merge, and the kill.
      const merging = call<{ commit: string }>("workers.merge", { runId: run.id, workerId: worker.id }, "mutation");
      merging.catch(() => undefined); // (a killed server's answer is awaited below, phase by phase)
      if (phase === "checkout-early" || phase === "checkout-late") {
        const killer = killDuringCheckout(repo, s, phase === "checkout-late");
        const written = await killer.killed;
        killer.close();
        await merging.catch(() => undefined);
        // Killed mid-checkout: git's index.lock is left, main did not move, part of the files are there.
        expect(existsSync(join(repo, ".git", "index.lock"))).toBe(true);
        expect(gitIn(repo, "rev-parse", "main").trim()).toBe(oldMain);
        expect(written).toBeLessThan(FILES);
        if (phase === "checkout-late") expect(written).toBeGreaterThanOrEqual(FILES / 2);
        expect(runJson(done).mergeJournal).toBeDefined();
      } else if (phase === "after-record") {
        await merging;
        await killGroup(s);
        expect(runJson(done).mergeJournal).toBeUndefined();
      } else {
        await expect(merging).rejects.toThrow();
        await exited(s);
        const j = runJson(done).mergeJournal;
        if (phase === "merge:before-journal") expect(j).toBeUndefined();
        else expect(j).toBeDefined();
        expect(gitIn(repo, "rev-parse", "main").trim()).toBe(phase === "merge:ref-moved" ? j!.newCommit : oldMain);
        if (phase === "merge:journal-written") expect(existsSync(join(repo, dir))).toBe(false);
      }

      // Start again: recovery runs before anything else.
      s = await startServer(same);
      started.push(s);
      const again = <T>(proc: string, input: unknown, kind: "query" | "mutation" = "query") => trpc<T>(s.baseURL, s.token, proc, input, kind);
      for (const lock of LOCKS(repo)) expect(existsSync(lock), `${phase}: ${lock}`).toBe(false);
      const mainNow = gitIn(repo, "rev-parse", "main").trim();
      expect(status(repo), phase).toBe(before);
      expect(readFileSync(join(repo, "src/app.txt"), "utf8")).toBe("one\nuncommitted edit\n");
      expect(readFileSync(join(repo, "scratch.txt"), "utf8")).toBe("untracked\n");
      expect(readFileSync(join(repo, ".env"), "utf8")).toBe("SECRET=1\n");
      expect(gitIn(repo, "rev-parse", worker.worktreeBranch).trim()).toBe(worker.worktreeCommit);
      const recovered = await again<RunView>("runs.get", { runId: run.id });
      expect((recovered as { mergeJournal?: unknown }).mergeJournal).toBeUndefined();
      const health = await again<Array<{ ok: boolean; problems: string[] }>>("repos.status", {});
      expect(health.flatMap((h) => h.problems)).toEqual([]);
      const feed = readFileSync(run.eventLogPath, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { type: string; message: string });
      const recoveredEvents = feed.filter((e) => e.type === "merge_recovered").map((e) => e.message);
      if (mainNow === oldMain) {
        // exactly as before: none of the worker's files in the leader
        expect(existsSync(join(repo, dir)), `${phase}: ${existsSync(join(repo, dir)) ? readdirSync(join(repo, dir)).slice(0, 5).join(", ") : ""}`).toBe(false);
        expect(recoveredEvents.length).toBe(phase === "merge:before-journal" ? 0 : 1);
        if (recoveredEvents[0]) expect(recoveredEvents[0]).toMatch(/rolled back/);
        seen[phase] = "rolled back";
      } else {
        expect(readdirSync(join(repo, dir))).toHaveLength(FILES);
        expect(recovered.workers[0]!.merged?.commit).toBe(mainNow);
        if (phase === "merge:ref-moved") expect(recoveredEvents).toEqual([expect.stringMatching(/now recorded/)]);
        seen[phase] = "merged";
      }

      // Merging again: exactly one merge commit on main, holding every file.
      const out = await again<{ commit: string; alreadyMerged?: boolean }>("workers.merge", { runId: run.id, workerId: worker.id }, "mutation");
      expect(Boolean(out.alreadyMerged)).toBe(mainNow !== oldMain);
      expect(gitIn(repo, "rev-list", "--count", `${oldMain}..main`).trim()).toBe("1");
      expect(gitIn(repo, "show", "--name-only", "--format=", "main").split("\n").filter(Boolean)).toHaveLength(FILES);
      expect(readdirSync(join(repo, dir))).toHaveLength(FILES);
      expect(status(repo)).toBe(before);
      expect((await again<RunView>("runs.get", { runId: run.id })).workers[0]!.merged?.commit).toBe(gitIn(repo, "rev-parse", "main").trim());
      await stopServer(s.child.pid!);
    }
    expect(seen).toEqual({
      "merge:before-journal": "rolled back",
      "merge:journal-written": "rolled back",
      "checkout-early": "rolled back",
      "checkout-late": "rolled back",
      "merge:ref-moved": "merged",
      "after-record": "merged",
    });
  }, 480_000);

  it("never removes a lock held by a live git process of the user's", async () => {
    const repo = makeRepo({ "README.md": "# lock\n" });
    const work = tempDir("ltp-crash-lock-");
    dirs.push(repo, work);
    const codex = await makeFakeCodex(work, { reviewer: [{ write: { path: "added.txt", content: "added\n" } }, { result: resultFor("reviewer", "Reviewer") }] } as never);
    const base: StartOptions = { repo, detached: true, env: { LONGTABLE_CODEX_BIN: codex, LONGTABLE_SANDBOX_WRITABLE: work } };
    let s = await startServer({ ...base, env: { ...base.env, LONGTABLE_PANEL_FAILPOINT: "merge:journal-written" } });
    started.push(s);
    tmuxSockets.add(s.tmuxSocket);
    const same: StartOptions = { ...base, dataDir: s.dataDir, token: s.token, viewerToken: s.viewerToken, tmuxSocket: s.tmuxSocket };
    let call = <T>(proc: string, input: unknown, kind: "query" | "mutation" = "query") => trpc<T>(s.baseURL, s.token, proc, input, kind);
    const run = await call<RunView>("runs.create", { repoPath: repo, prompt: "lock", roles: ["reviewer"], mode: "draft" }, "mutation");
    await call("runs.launch", { runId: run.id }, "mutation");
    const done = await waitFor(async () => {
      const r = await call<RunView>("runs.get", { runId: run.id });
      return r.status === "completed" ? r : undefined;
    }, "the run to complete", 90_000, 100);
    const worker = done.workers[0]!;
    const oldMain = gitIn(repo, "rev-parse", "main").trim();
    await expect(call("workers.merge", { runId: run.id, workerId: worker.id }, "mutation")).rejects.toThrow();
    await exited(s);
    expect(runJson(done).mergeJournal).toBeDefined();

    // The user's git holds the index lock (a long git command of theirs, still running).
    const lock = join(repo, ".git", "index.lock");
    writeFileSync(lock, "");
    const userGit = spawn("git", ["cat-file", "--batch"], { cwd: repo, stdio: ["pipe", "ignore", "ignore"] });
    try {
      s = await startServer(same);
      started.push(s);
      call = <T>(proc: string, input: unknown, kind: "query" | "mutation" = "query") => trpc<T>(s.baseURL, s.token, proc, input, kind);
      expect(existsSync(lock)).toBe(true);
      const health = await call<Array<{ problems: string[]; interruptedMerges: unknown[]; gitProcesses: number[] }>>("repos.status", {});
      expect(health[0]!.gitProcesses).toContain(userGit.pid);
      expect(health[0]!.interruptedMerges).toHaveLength(1);
      expect(health[0]!.problems.join("\n")).toMatch(/git is running in this repository/);
      const tried = await call<{ recovered: Array<{ outcome: string; message: string }> }>("repos.recover", {}, "mutation");
      expect(tried.recovered).toEqual([expect.objectContaining({ outcome: "waiting" })]);
      expect(existsSync(lock)).toBe(true);
      // Merging meanwhile is refused with what to do (not git's text).
      await expect(call("workers.merge", { runId: run.id, workerId: worker.id }, "mutation")).rejects.toThrow(/interrupted and is not recovered yet.*Recover/);
    } finally {
      userGit.stdin!.end();
      await new Promise<void>((r) => (userGit.exitCode !== null ? r() : userGit.once("exit", () => r())));
    }
    // Their git is gone, but the lock is older than the merge: not the panel's — left alone, and named.
    utimesSync(lock, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    const after = await call<{ recovered: Array<{ outcome: string; message: string }>; repos: Array<{ problems: string[] }> }>("repos.recover", {}, "mutation");
    expect(after.recovered).toEqual([expect.objectContaining({ outcome: "rolled-back" })]);
    expect(after.recovered[0]!.message).toMatch(/index\.lock is not the panel's and was left alone/);
    expect(existsSync(lock)).toBe(true);
    expect(after.repos[0]!.problems.join("\n")).toMatch(/index\.lock was left by a git process that is gone.*rm /);
    await expect(call("workers.merge", { runId: run.id, workerId: worker.id }, "mutation")).rejects.toThrow(/index\.lock was left behind.*delete it/);
    expect(gitIn(repo, "rev-parse", "main").trim()).toBe(oldMain);
    expect(existsSync(join(repo, "added.txt"))).toBe(false);
    await stopServer(s.child.pid!);
  }, 240_000);
});
