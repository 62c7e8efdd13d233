/**
 * A worker under review: its run, its base, and its head — from the live worktree (through its
 * real git dir, never its `.git` file), else its branch, else the recorded commit.
 */
import { isAbsolute } from "node:path";
import { commitsBetween, gitBuffer, objectExists, COMMIT_ID } from "../../bridge/diff";
import { worktreeHead } from "../../bridge/snapshot";
import { worktreeGit, type WorktreeGit } from "../../bridge/git";
import { PanelError, notFound } from "../../core/errors";
import { cliWorkerBase } from "./cli-base";
import { branchFor } from "../../core/ids";
import type { PanelWorker } from "../../core/records";
import type { Panel } from "../panel";
import { getRun, type RunView } from "../runs/queries";

export { WORKER_ACTIVE as ACTIVE, WORKER_FINISHED as FINISHED } from "../../core/status";
export const nowIso = () => new Date().toISOString();

export interface WorkerContext {
  run: RunView;
  worker: PanelWorker;
  repo: string;
  base: string;
}

export async function loadWorker(panel: Panel, runId: string, workerId: string): Promise<WorkerContext> {
  const run = getRun(panel, runId);
  const worker = run.workers.find((w) => w.id === workerId);
  if (!worker) throw notFound(`worker ${workerId} in run ${runId}`);
  const repo = run.workingDirectory;
  if (worker.runtimeLayout === "cli-0.1.57") {
    throw new PanelError("PRECONDITION_FAILED", `${worker.label} ran read-only in the leader checkout (LongTable CLI 0.1.57): it has no worktree or commits, so there is nothing to review or merge; its result is in the synthesis`);
  }
  let base = worker.baseCommit;
  if (!base && worker.runtimeLayout === "cli-0.1.59") {
    // The LongTable CLI records no base: derive it (fork point + the leader edits it carried in).
    const head = (await gitBuffer(repo, ["rev-parse", "--verify", "--quiet", `refs/heads/${worker.worktreeBranch}^{commit}`])).stdout.toString("utf8").trim();
    if (COMMIT_ID.test(head)) base = await cliWorkerBase(repo, run, worker, head);
  }
  if (!base) {
    throw new PanelError("PRECONDITION_FAILED", `${worker.label} has not been provisioned yet, so it has no changes: launch the run first`);
  }
  if (!COMMIT_ID.test(base)) throw new PanelError("PRECONDITION_FAILED", `the run record has an invalid base commit for ${workerId}; the run directory may be damaged`);
  return { run, worker, repo, base };
}

export type HeadSource = "worktree" | "branch" | "commit" | "base";

export interface WorkerHead {
  head: string;
  source: HeadSource;
  /** The live worktree, when the head came from it (with its HEAD tree and index file). */
  worktree?: WorktreeGit;
  headTree?: string;
  indexPath?: string;
}

/** The worker's branch as a full ref, only when it has the expected shape (never an option, never a user branch). */
export function workerBranchRef(ctx: WorkerContext): string | undefined {
  return ctx.worker.worktreeBranch === branchFor(ctx.run.id, ctx.worker.id) ? `refs/heads/${ctx.worker.worktreeBranch}` : undefined;
}

/** Worker HEAD: the live worktree, else its branch, else the recorded worktreeCommit, else the base. */
export async function resolveHead(ctx: WorkerContext): Promise<WorkerHead> {
  const { worker, repo } = ctx;
  const wtGit = isAbsolute(worker.worktreePath) ? await worktreeGit(repo, worker.worktreePath) : undefined;
  if (wtGit) {
    const wt = await worktreeHead(wtGit);
    if (wt) return { head: wt.head, source: "worktree", worktree: wtGit, headTree: wt.tree, indexPath: wt.indexPath };
  }
  const ref = workerBranchRef(ctx);
  const candidates: [string | undefined, HeadSource][] = [
    [ref, "branch"],
    [worker.worktreeCommit && COMMIT_ID.test(worker.worktreeCommit) ? worker.worktreeCommit : undefined, "commit"],
    [ctx.base, "base"],
  ];
  for (const [rev, source] of candidates) {
    if (!rev) continue;
    const found = await commitAndTree(repo, rev);
    if (found) return { head: found.commit, headTree: found.tree, source };
  }
  throw new PanelError("NOT_FOUND", `the commits of ${worker.label} are no longer in the repository (branch deleted and objects pruned)`);
}

/** A commit and its tree in one rev-parse; `rev` is a checked full ref or a hex id (never an option). */
export async function commitAndTree(repo: string, rev: string): Promise<{ commit: string; tree: string } | undefined> {
  const r = await gitBuffer(repo, ["rev-parse", "--quiet", `${rev}^{commit}`, `${rev}^{tree}`]);
  if (r.code !== 0) return undefined;
  const [commit, tree] = r.stdout.toString("utf8").trim().split("\n");
  return commit && tree && COMMIT_ID.test(commit) && COMMIT_ID.test(tree) ? { commit, tree } : undefined;
}

const WORKER_COMMIT_SUBJECT = /^longtable panel worker (\S+)(?: \((.*)\))?$/;

/**
 * The commit the worker's previous attempt ended on: the newest first-parent commit between
 * base and head that worker-finish made for an attempt before the current one
 * (`longtable panel worker <id> (attempt N…)`). An attempt that committed nothing left HEAD
 * where the attempt before it ended, so the walk finds the right commit then too. When no such
 * commit exists, the recorded `previousCommit` (set when a follow-up starts) is used if it is
 * an ancestor of head, else the base.
 */
async function previousAttemptCommit(ctx: WorkerContext, head: string): Promise<string> {
  const { worker, repo, base } = ctx;
  const attempt = worker.attempt ?? 1;
  if (attempt <= 1) {
    throw new PanelError("PRECONDITION_FAILED", `${worker.label} has had one attempt only, so there is no previous attempt to compare with: leave out since`);
  }
  const commits = await commitsBetween(repo, base, head, { firstParent: true });
  for (const c of commits.reverse()) {
    const m = WORKER_COMMIT_SUBJECT.exec(c.subject);
    if (!m || m[1] !== worker.id) continue;
    const n = Number(/attempt (\d+)/.exec(m[2] ?? "")?.[1] ?? 1);
    if (n < attempt) return c.commit;
  }
  const recorded = worker.previousCommit;
  if (recorded && COMMIT_ID.test(recorded) && recorded !== base) {
    const isAncestor = await gitBuffer(repo, ["merge-base", "--is-ancestor", recorded, head]);
    if (isAncestor.code === 0) return recorded;
  }
  return base;
}

export async function resolveSince(ctx: WorkerContext, since: string, head: string): Promise<string> {
  if (since === "previousAttempt") return previousAttemptCommit(ctx, head);
  const full = await objectExists(ctx.repo, since);
  if (!full) throw new PanelError("NOT_FOUND", `commit ${since} was not found in the repository: pass a commit id from the worker's history`);
  return full;
}

