/**
 * Reviewing a worker of a LongTable CLI run (docs/cli-interop.md §7). The CLI records no base: it
 * forks the worker branch from the leader HEAD, applies the leader's uncommitted edits (the
 * "carried-in patch", saved nowhere) and, after the agent, commits everything with `git add -A`,
 * `.longtable-worker/` included. So the worker's own change is derived:
 *
 *   fork point   the oldest entry of the branch's reflog ("branch: Created from HEAD"), else the
 *                parent of the oldest CLI worker commit on the branch, else the merge base with HEAD;
 *   carried-in   a path changed to the same content by every worker of the run (they all got the
 *                same patch); for a path the workers changed differently, the content most of them
 *                share, or else the leader's current file; for a run of one worker, a path whose
 *                content equals the leader's current (uncommitted) file;
 *   base         an unreferenced commit: the fork point's tree with the carried-in changes, so
 *                base..head is the worker's own change (plus `.longtable-worker/`, which every
 *                listing and merge leaves out).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { COMMIT_ID, gitBuffer, gitText } from "../../bridge/diff";
import { CLI_RUNTIME_DIR } from "../../bridge/layout";
import { PanelError } from "../../core/errors";
import type { PanelRun, PanelWorker } from "../../core/records";

const IDENTITY = {
  GIT_AUTHOR_NAME: "LongTable Panel", GIT_AUTHOR_EMAIL: "longtable-panel@example.invalid", GIT_AUTHOR_DATE: "@0 +0000",
  GIT_COMMITTER_NAME: "LongTable Panel", GIT_COMMITTER_EMAIL: "longtable-panel@example.invalid", GIT_COMMITTER_DATE: "@0 +0000",
};
const CLI_SUBJECT = (workerId: string) => `longtable panel worker ${workerId}`;

async function revs(repo: string, args: string[]): Promise<string[]> {
  const r = await gitBuffer(repo, args);
  return r.code === 0 ? r.stdout.toString("utf8").split("\n").map((l) => l.trim()).filter((l) => COMMIT_ID.test(l)) : [];
}

/** Where the CLI forked the worker branch. */
export async function cliForkPoint(repo: string, worker: PanelWorker): Promise<string | undefined> {
  const ref = `refs/heads/${worker.worktreeBranch}`;
  const reflog = await revs(repo, ["reflog", "show", "--format=%H", ref, "--"]);
  if (reflog.length > 0) return reflog[reflog.length - 1];
  const log = await gitBuffer(repo, ["log", "--reverse", "--format=%H%x00%P%x00%an%x00%s", ref, "--"]);
  for (const line of log.stdout.toString("utf8").split("\n")) {
    const [commit, parents, author, subject] = line.split("\0");
    if (author === "LongTable Panel Worker" && subject === CLI_SUBJECT(worker.id) && commit && parents) return parents.split(" ")[0];
  }
  return (await revs(repo, ["merge-base", ref, "HEAD"]))[0];
}

/** path → blob (null: deleted) of what changed from `from` to `to`, outside `.longtable-worker/`. */
async function changes(repo: string, from: string, to: string): Promise<Map<string, string | null>> {
  const out = await gitText(repo, ["diff-tree", "-r", "-z", "--no-renames", from, to, "--", ".", `:(top,exclude)${CLI_RUNTIME_DIR}`]);
  const tokens = out.split("\0");
  const map = new Map<string, string | null>();
  for (let i = 0; i + 1 < tokens.length; i += 2) {
    const m = /^:\d{6} (\d{6}) [0-9a-f]+ ([0-9a-f]+) ([A-Z])/.exec(tokens[i]!);
    if (!m) break;
    map.set(tokens[i + 1]!, m[3] === "D" ? null : `${m[1]} ${m[2]}`);
  }
  return map;
}

/** The blob id of the leader's current file (undefined when missing), hashed without writing objects. */
function leaderBlob(repo: string, path: string): string | undefined {
  try {
    const data = readFileSync(join(repo, path));
    return createHash("sha1").update(`blob ${data.length}\0`).update(data).digest("hex");
  } catch {
    return undefined;
  }
}
const blobOf = (entry: string | null | undefined) => (entry ? entry.split(" ")[1] : undefined);

const cache = new Map<string, string>();

/**
 * What a merge of a CLI worker takes as "theirs": its head's tree on top of its derived base (an
 * unreferenced commit), so the base is an ancestor of it and a three-way merge over that base
 * brings in the worker's own change only, never the carried-in leader edits.
 */
export async function cliMergeHead(repo: string, base: string, head: string): Promise<string> {
  const key = `head\0${repo}\0${base}\0${head}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const ancestor = await gitBuffer(repo, ["merge-base", "--is-ancestor", base, head]);
  const out = ancestor.code === 0 ? head : (await gitText(repo, ["commit-tree", `${head}^{tree}`, "-p", base, "-m", "longtable-panel: worker change over its derived base"], { env: IDENTITY })).trim();
  cache.set(key, out);
  return out;
}

/**
 * The base of a CLI worker: its fork point plus the carried-in leader edits, as an unreferenced
 * commit (cached). Throws a PanelError saying what is missing when the branch has no commit.
 */
export async function cliWorkerBase(repo: string, run: PanelRun, worker: PanelWorker, head: string): Promise<string> {
  const fork = await cliForkPoint(repo, worker);
  if (!fork) throw new PanelError("PRECONDITION_FAILED", `${worker.label}'s branch ${worker.worktreeBranch} was not found, so its changes cannot be shown`);
  if (fork === head) return fork; // nothing committed yet (the CLI commits when the agent finishes)
  // Siblings: the run's other CLI workers that committed (they all got the same patch).
  const siblings: { head: string; fork: string }[] = [];
  for (const w of run.workers) {
    if (w.id === worker.id || w.runtimeLayout !== "cli-0.1.59") continue;
    const h = (await revs(repo, ["rev-parse", "--verify", "--quiet", `refs/heads/${w.worktreeBranch}^{commit}`]))[0];
    const f = h ? await cliForkPoint(repo, w) : undefined;
    if (h && f && f === fork && h !== f) siblings.push({ head: h, fork: f });
  }
  const key = [repo, worker.id, fork, head, ...siblings.map((s) => s.head)].join("\0");
  const hit = cache.get(key);
  if (hit) return hit;
  const carried = new Map<string, string | null>();
  const mine = await changes(repo, fork, head);
  // The tool's own folder (.longtable/: the CLI's state.json and run folders) is never a worker's change.
  for (const [path, blob] of mine) if (path.startsWith(".longtable/")) carried.set(path, blob);
  const theirs = await Promise.all(siblings.map((s) => changes(repo, s.fork, s.head)));
  for (const [path, blob] of mine) {
    if (carried.has(path)) continue;
    if (theirs.length > 0) {
      if (!theirs.every((t) => t.has(path))) continue;
      const votes = new Map<string | null, number>();
      for (const b of [blob, ...theirs.map((t) => t.get(path)!)]) votes.set(b, (votes.get(b) ?? 0) + 1);
      const [best, n] = [...votes].sort((a, b) => b[1] - a[1])[0]!;
      if (n >= 2) carried.set(path, best);
      else {
        const lead = leaderBlob(repo, path);
        const match = [blob, ...theirs.map((t) => t.get(path)!)].find((b) => b !== null && blobOf(b) === lead);
        if (match) carried.set(path, match);
      }
    } else if (blob !== null && blobOf(blob) === leaderBlob(repo, path)) {
      carried.set(path, blob);
    }
  }
  let base = fork;
  if (carried.size > 0) {
    // fork's tree with the carried-in changes, through a temporary index (no checkout is touched)
    const dir = await mkdtemp(join(tmpdir(), "ltp-cli-base-"));
    const env = { GIT_INDEX_FILE: join(dir, "index") };
    try {
      await gitText(repo, ["read-tree", fork], { env });
      const info = [...carried].map(([path, entry]) => (entry === null ? `0 ${"0".repeat(40)}\t${path}` : `${entry}\t${path}`)).join("\n");
      await gitText(repo, ["update-index", "--index-info"], { env, input: `${info}\n` });
      const tree = (await gitText(repo, ["write-tree"], { env })).trim();
      base = (await gitText(repo, ["commit-tree", tree, "-p", fork, "-m", `longtable-panel: base of ${worker.id} (fork point + carried-in leader edits)`], { env: IDENTITY })).trim();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  if (cache.size > 500) cache.clear();
  cache.set(key, base);
  return base;
}
