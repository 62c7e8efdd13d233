/**
 * A run record the global e2e server finds on disk at start, as if the LongTable CLI had made it
 * (or a cloned repository carried it): planted in the e2e repo before the server starts. Some of
 * its fields are not the panel's (another working directory, a worker on `main`), so the panel
 * ignores them and says so in the run's diagnostics.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const FOUND_RUN_ID = "panel_run_mcli0001_found01";
const AT = "2026-11-01T08:00:00.000Z";

export function foundRunDir(repo: string): string {
  return join(repo, ".longtable", "panel-runs", FOUND_RUN_ID);
}

export function plantFoundRun(repo: string): void {
  const dir = foundRunDir(repo);
  mkdirSync(dir, { recursive: true });
  const record = {
    id: FOUND_RUN_ID,
    status: "completed",
    bridgeStatus: "completed",
    mode: "review",
    prompt: "A run the LongTable CLI made: review src/app.txt.",
    workingDirectory: "/srv/elsewhere",
    createdAt: AT,
    updatedAt: AT,
    workers: [
      { id: "worker-1-reviewer", role: "reviewer", label: "Reviewer", status: "completed", executionState: "result_ready", worktreeBranch: "main", updatedAt: AT },
    ],
    diagnostics: [],
  };
  writeFileSync(join(dir, "run.json"), `${JSON.stringify(record, null, 2)}\n`);
  writeFileSync(join(dir, "events.jsonl"), `${JSON.stringify({ id: "event_mcli0001_abcd0001", createdAt: AT, type: "run_created", message: "Run created by the LongTable CLI." })}\n`);
}
