/**
 * The index is rebuildable (ARCHITECTURE.md §3): run folders on disk are the source. At start,
 * every known repo's run folders are read (as data: see server/bridge/run-record.ts) and indexed
 * through the door; runs.add and live discovery index one repo.
 */
import { listRunIds, readEvents, readRunRecord } from "../../bridge/run-files";
import { indexFromDisk } from "../door";
import type { Panel } from "../panel";
import { addRepo, listRepos, readKnownRepoPaths, type Repo } from "../repos";
import { applyForeignResults, readForeignResults } from "./foreign";
import { isOwned } from "./ownership";
import { findRun } from "./queries";

export interface IndexedRepo {
  runs: number;
  /** Run folders that could not be read, with the reason. */
  rejected: { runId: string; reason: string }[];
}

/**
 * Index the run folders of one repo; runs already indexed and unchanged since are skipped. With
 * `onlyNew`, only folders the index does not know yet are read (live discovery of runs the
 * LongTable CLI creates while the panel is up).
 */
export async function indexRepoRuns(panel: Panel, repo: Repo, options: { onlyNew?: boolean } = {}): Promise<IndexedRepo> {
  const out: IndexedRepo = { runs: 0, rejected: [] };
  const ids = await listRunIds(repo.path);
  for (const runId of options.onlyNew ? ids.filter((id) => !findRun(panel, id) && !rejectedOnce(panel, repo.path, id)) : ids) {
    try {
      const read = await readRunRecord(repo.path, runId);
      if (!read) continue;
      out.runs++;
      // Indexed and unchanged since (the usual start): nothing to read or write.
      if (findRun(panel, runId)?.updatedAt === read.run.updatedAt) continue;
      let run = read.problems.length ? { ...read.run, diagnostics: [...new Set([...read.run.diagnostics, ...read.problems])] } : read.run;
      const events = await readEvents(run.eventLogPath);
      if (!isOwned(panel, runId, repo.path)) {
        // Another tool's run (the LongTable CLI's): its workers' result files say more than its
        // run.json, which only its own refresh rewrites.
        const derived = applyForeignResults(run, readForeignResults(run));
        run = derived.run;
        events.push(...derived.events);
      }
      await indexFromDisk(panel, repo.id, run, events);
    } catch (error) {
      out.rejected.push({ runId, reason: (error as Error).message });
      rememberRejected(panel, repo.path, runId);
      console.warn(`[longtable-panel] skipped run ${runId} in ${repo.path}: ${(error as Error).message}`);
    }
  }
  return out;
}

/** Folders that could not be read are not read again by live discovery (a restart or repos.add does). */
const rejected = new WeakMap<Panel, Set<string>>();
const rejectedOnce = (panel: Panel, repo: string, id: string) => rejected.get(panel)?.has(`${repo}\0${id}`) ?? false;
function rememberRejected(panel: Panel, repo: string, id: string) {
  let s = rejected.get(panel);
  if (!s) rejected.set(panel, (s = new Set()));
  s.add(`${repo}\0${id}`);
}

/** Live discovery: index the run folders that appeared in known repos since the last look. */
export async function discoverNewRuns(panel: Panel): Promise<number> {
  let found = 0;
  for (const repo of listRepos(panel)) found += (await indexRepoRuns(panel, repo, { onlyNew: true }).catch(() => ({ runs: 0 }))).runs;
  return found;
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
