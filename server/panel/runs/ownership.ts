/**
 * Which runs this panel created (ARCHITECTURE.md §6 "Records are data"). A run folder found on
 * disk — rebuilt after the database was deleted, made by the LongTable CLI, or committed into a
 * cloned repository — is listed, but never launched, relaunched, stopped or cleaned up without an
 * explicit action of the user. The list lives in the data dir (never in the repository, where
 * anyone could claim a run): one file per run, `<data-dir>/runs/<runId>.json`.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { RUN_ID_PATTERN, assertId } from "../../core/ids";
import { writeFileAtomicSync } from "../../bridge/safe-fs.mjs";
import type { Panel } from "../panel";

const fileFor = (panel: Panel, runId: string) => {
  assertId(RUN_ID_PATTERN, runId, "run id");
  return join(panel.config.dataDir, "runs", `${runId}.json`);
};

const known = new WeakMap<Panel, Map<string, boolean>>();
const cache = (panel: Panel) => {
  let m = known.get(panel);
  if (!m) known.set(panel, (m = new Map()));
  return m;
};

export function markOwned(panel: Panel, runId: string, repoPath: string): void {
  const file = fileFor(panel, runId);
  cache(panel).set(`${runId}\0${repoPath}`, true);
  mkdirSync(join(panel.config.dataDir, "runs"), { recursive: true, mode: 0o700 });
  writeFileAtomicSync(file, `${JSON.stringify({ runId, repoPath, createdAt: new Date().toISOString() })}\n`, { mode: 0o600 });
}

/** Did this panel (this data dir) create the run, in this repository? */
export function isOwned(panel: Panel, runId: string, repoPath: string): boolean {
  const key = `${runId}\0${repoPath}`;
  const hit = cache(panel).get(key);
  if (hit !== undefined) return hit;
  const owned = readOwned(fileFor(panel, runId), runId, repoPath);
  cache(panel).set(key, owned);
  return owned;
}

function readOwned(file: string, runId: string, repoPath: string): boolean {
  if (!existsSync(file)) return false;
  try {
    const v = JSON.parse(readFileSync(file, "utf8")) as { runId?: unknown; repoPath?: unknown };
    return v.runId === runId && v.repoPath === repoPath;
  } catch {
    return false;
  }
}
