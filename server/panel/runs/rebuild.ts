/**
 * The index is rebuildable (ARCHITECTURE.md §3): run folders on disk are the source. At start,
 * every known repo's run folders are read (as data: see server/bridge/run-record.ts) and indexed
 * through the door; runs.add and live discovery index one repo.
 */
import { listRunIds, readEvents, readRunRecord } from "../../bridge/run-files";
import { indexFromDisk } from "../door";
import type { Panel } from "../panel";
import { addRepo, listRepos, readKnownRepoPaths, type Repo } from "../repos";
import { findRun } from "./queries";

export interface IndexedRepo {
  runs: number;
  /** Run folders that could not be read, with the reason. */
  rejected: { runId: string; reason: string }[];
}

/** Index the run folders of one repo; runs already indexed and unchanged since are skipped. */
export async function indexRepoRuns(panel: Panel, repo: Repo): Promise<IndexedRepo> {
  const out: IndexedRepo = { runs: 0, rejected: [] };
  for (const runId of await listRunIds(repo.path)) {
    try {
      const read = await readRunRecord(repo.path, runId);
      if (!read) continue;
      out.runs++;
      // Indexed and unchanged since (the usual start): nothing to read or write.
      if (findRun(panel, runId)?.updatedAt === read.run.updatedAt) continue;
      const run = read.problems.length ? { ...read.run, diagnostics: [...new Set([...read.run.diagnostics, ...read.problems])] } : read.run;
      const events = await readEvents(run.eventLogPath);
      await indexFromDisk(panel, repo.id, run, events);
    } catch (error) {
      out.rejected.push({ runId, reason: (error as Error).message });
      console.warn(`[longtable-panel] skipped run ${runId} in ${repo.path}: ${(error as Error).message}`);
    }
  }
  return out;
}

/** Rebuild the index from the run folders of every known repo (the database may have been deleted). */
export async function reindexFromDisk(panel: Panel): Promise<{ runs: number; repos: number }> {
  const paths = new Set([...listRepos(panel).map((r) => r.path), ...readKnownRepoPaths(panel)]);
  let count = 0;
  for (const path of paths) {
    let repo;
    try {
      repo = await addRepo(panel, path);
    } catch {
      continue; // a repo that disappeared is skipped, not fatal
    }
    count += (await indexRepoRuns(panel, repo)).runs;
  }
  return { runs: count, repos: paths.size };
}
