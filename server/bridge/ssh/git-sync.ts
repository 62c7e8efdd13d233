/**
 * Git across hosts (ARCHITECTURE.md §3 "Transports", §7): the host's clone receives the worker's
 * base from the panel's repository before provisioning, and the worker's commits come back into
 * the panel's repository with `git fetch` — so diff, preview, merge and the merge queue work on
 * local refs, as for a local worker. Both go through the host's shared connection
 * (GIT_SSH_COMMAND), into refs the panel owns: the base under `refs/longtable-panel/bases/`, the
 * worker's branch `longtable/panel/<run>/<worker>`. Nothing is pushed to the user's own remotes,
 * and no hook runs on either side (the hardened git here, `-c core.hooksPath=/dev/null` for
 * receive-pack and upload-pack there).
 */
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RUN_ID_PATTERN, assertId, branchFor } from "../../core/ids";
import { gitOk, runGit } from "../git";
import { SNAPSHOT_MESSAGE, WORKER_AUTHOR, type LeaderFacts } from "../worktree";
import type { SshConnection } from "./connection";

const COMMIT = /^[0-9a-f]{40,64}$/;
const snapshots = new Map<string, Promise<string>>();

/**
 * The base a launch's workers on hosts start from: the leader HEAD, or — when the leader has
 * tracked uncommitted changes — a "leader snapshot" commit on top of it, made here without
 * touching any working tree or index (a temporary index). One per launch, shared by its workers.
 */
export async function hostBase(repo: string, leader: LeaderFacts): Promise<{ base: string; snapshot: boolean }> {
  if (leader.patch.length === 0) return { base: leader.head, snapshot: false };
  const key = createHash("sha256").update(`${repo}\0${leader.head}\0`).update(leader.patch).digest("hex");
  let p = snapshots.get(key);
  if (!p) {
    p = makeSnapshot(repo, leader);
    p.catch(() => snapshots.delete(key));
    if (snapshots.size > 32) snapshots.clear();
    snapshots.set(key, p);
  }
  return { base: await p, snapshot: true };
}

async function makeSnapshot(repo: string, leader: LeaderFacts): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "ltp-host-base-"));
  const env = { GIT_INDEX_FILE: join(dir, "index") };
  try {
    await gitOk(repo, ["read-tree", leader.head], { env });
    const applied = await runGit(repo, ["apply", "--cached", "--binary", "--whitespace=nowarn", "-"], { env, input: leader.patch });
    if (applied.code !== 0) throw new Error(`the leader's uncommitted changes do not apply to its HEAD: ${applied.stderr.trim().split("\n")[0] ?? ""}`);
    const tree = (await gitOk(repo, ["write-tree"], { env })).trim();
    return (await gitOk(repo, [...WORKER_AUTHOR, "commit-tree", tree, "-p", leader.head, "-m", SNAPSHOT_MESSAGE])).trim();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `<destination>:<clone>`: git's scp-like address (the destination has no `:` or `/`, the path is absolute). */
const address = (destination: string, clonePath: string) => `${destination}:${clonePath}`;

function sshEnv(conn: SshConnection) {
  return { GIT_SSH_COMMAND: conn.gitSshCommand(), GIT_SSH_VARIANT: "ssh" };
}

/** Put `commit` (and what it needs) into the host's clone, as refs/longtable-panel/bases/<runId>. */
export async function pushBase(conn: SshConnection, repo: string, destination: string, clonePath: string, runId: string, commit: string): Promise<void> {
  assertId(RUN_ID_PATTERN, runId, "run id");
  if (!COMMIT.test(commit)) throw new Error("the base is not a commit id");
  await conn.ready();
  const r = await conn.session(() => runGit(repo, [
    "push", "--quiet", "--no-verify", "--receive-pack=git -c core.hooksPath=/dev/null receive-pack",
    address(destination, clonePath), `+${commit}:refs/longtable-panel/bases/${runId}`,
  ], { env: sshEnv(conn) }));
  if (r.code !== 0) throw new Error(`sending the base ${commit.slice(0, 12)} to the clone on the host failed: ${r.stderr.trim().split("\n").slice(-2).join(" ")}`);
}

/** Fetch the worker's branch from the host's clone into the same branch here (it only ever moves forward, but is forced: the panel owns it). */
export async function fetchWorkerBranch(conn: SshConnection, repo: string, destination: string, clonePath: string, runId: string, workerId: string): Promise<string> {
  const branch = branchFor(runId, workerId);
  await conn.ready();
  // Every object received is checked (transfer.fsckObjects, which fetch follows when
  // fetch.fsckObjects is unset): the commits were made by an agent there. No submodule is fetched.
  const r = await conn.session(() => runGit(repo, [
    "-c", "transfer.fsckObjects=true", "-c", "fetch.fsckObjects=true",
    "fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--no-recurse-submodules", "--upload-pack=git -c core.hooksPath=/dev/null upload-pack",
    address(destination, clonePath), `+refs/heads/${branch}:refs/heads/${branch}`,
  ], { env: sshEnv(conn) }));
  if (r.code !== 0) throw new Error(`fetching ${branch} from the host failed: ${r.stderr.trim().split("\n").slice(-4).join(" ")}`);
  return (await gitOk(repo, ["rev-parse", "--verify", `refs/heads/${branch}^{commit}`])).trim();
}
