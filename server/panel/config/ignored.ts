/**
 * Which ignored entries of a worker's worktree its launches made (ARCHITECTURE.md §10): files
 * copied from the leader (launch-ignored.txt, written by the launch) and what setup added (the
 * launcher lists the worktree's ignored entries before setup and after it passed). They can be
 * made again, so clean-up and shutdown do not count them as a loss; anything else ignored — an
 * agent's outputs — still keeps the worktree. Entries are `git ls-files --directory` paths.
 */
import { writeFileAtomic } from "../../bridge/run-files";
import { workerLayout } from "../../bridge/layout";
import { readFileNoFollowSync } from "../../bridge/safe-fs.mjs";
import type { PanelRun, PanelWorker } from "../../core/records";

function entries(path: string): Set<string> {
  try {
    const f = readFileNoFollowSync(path, 1024 * 1024);
    if (!f) return new Set();
    return new Set(f.data.toString("utf8").split("\0").filter((p) => p !== "" && !p.startsWith("/") && !p.split("/").includes("..")));
  } catch {
    return new Set();
  }
}

export function launchIgnored(run: PanelRun, worker: PanelWorker): Set<string> {
  if (worker.runtimeLayout !== "panel") return new Set();
  const l = workerLayout(run.workingDirectory, run.id, worker.id);
  const made = entries(l.launchIgnoredPath);
  const before = entries(l.setupIgnoredBeforePath);
  for (const e of entries(l.setupIgnoredAfterPath)) if (!before.has(e)) made.add(e);
  return made;
}

export async function writeLaunchIgnored(run: PanelRun, workerId: string, made: Iterable<string>): Promise<void> {
  const text = [...made].sort().map((p) => `${p}\0`).join("");
  await writeFileAtomic(workerLayout(run.workingDirectory, run.id, workerId).launchIgnoredPath, text);
}
