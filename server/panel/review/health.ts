/**
 * repos.status and the doctor's repositories (ARCHITECTURE.md §7 "Crash safety"): for each repo,
 * what keeps git from working there (a stale lock, the user's merge or rebase under way), and the
 * merges a crash interrupted that are waiting for recovery — each with what to do, in words.
 */
import { eq, sql, and } from "drizzle-orm";
import * as t from "../../../db/schema";
import { repoState, type LockFile } from "../../bridge/repo-state";
import { listRepos } from "../repos";
import type { Panel } from "../panel";

export interface InterruptedMerge {
  runId: string;
  workerId: string;
  target: string;
  startedAt: string;
}

export interface RepoHealth {
  repoId: string;
  path: string;
  ok: boolean;
  locks: LockFile[];
  gitProcesses: number[];
  inProgress: string[];
  interruptedMerges: InterruptedMerge[];
  /** What is wrong and what to do (empty when ok). */
  problems: string[];
}

/** Merges a crash interrupted in this repo, waiting for recovery. */
export function interruptedMerges(panel: Panel, repoId: string): InterruptedMerge[] {
  return panel.db
    .select({ runId: t.runs.id, journal: sql<string>`json_extract(${t.runs.record}, '$.mergeJournal')` })
    .from(t.runs)
    .where(and(eq(t.runs.repoId, repoId), sql`json_extract(${t.runs.record}, '$.mergeJournal') is not null`))
    .all()
    .flatMap((r) => {
      try {
        const j = JSON.parse(r.journal) as { workerId?: unknown; target?: unknown; startedAt?: unknown };
        return [{ runId: r.runId, workerId: String(j.workerId ?? ""), target: String(j.target ?? ""), startedAt: String(j.startedAt ?? "") }];
      } catch {
        return [];
      }
    });
}

export async function repoHealth(panel: Panel, repoId?: string): Promise<RepoHealth[]> {
  const repos = listRepos(panel).filter((r) => repoId === undefined || r.id === repoId);
  return Promise.all(
    repos.map(async (repo) => {
      const merges = interruptedMerges(panel, repo.id);
      try {
        const state = await repoState(repo.path);
        const problems = [
          ...merges.map((m) => `the merge of ${m.workerId} (run ${m.runId}) into ${m.target} was interrupted (started ${m.startedAt}): use Recover, which finishes or rolls it back`),
          ...state.problems,
        ];
        return { repoId: repo.id, path: repo.path, ok: problems.length === 0, locks: state.locks, gitProcesses: state.gitProcesses, inProgress: state.inProgress, interruptedMerges: merges, problems };
      } catch (error) {
        const problem = `${repo.path} could not be read as a git repository (${(error as Error).message}): check that it still exists, or remove it from the panel`;
        return { repoId: repo.id, path: repo.path, ok: false, locks: [], gitProcesses: [], inProgress: [], interruptedMerges: merges, problems: [problem] };
      }
    }),
  );
}
