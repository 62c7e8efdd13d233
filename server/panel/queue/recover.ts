/**
 * The merge queue after a restart (ARCHITECTURE.md §7 "Merge queue", crash behaviour). Runs at
 * start after the merge journal's recovery (review/recover.ts), so a target move the crash
 * interrupted is already finished or rolled back. For each queue of a run this panel created:
 * every scratch worktree of the run is removed (what runs in it is killed first), and the items
 * the runner was working on become merged (the journal's recovery recorded their merge) or
 * interrupted; the queue then stops, saying where, until the user resumes it. Queues that were
 * running with nothing interrupted are resumed (startQueues).
 */
import { sql } from "drizzle-orm";
import * as t from "../../../db/schema";
import { gitBuffer } from "../../bridge/git";
import { removeScratch, scratchFoldersOf } from "../../bridge/scratch";
import { ACTIVE_ITEM_STATES } from "../../core/queue";
import { changeRun } from "../door";
import { queueRecovered, type RecoveredItem } from "../machine-queue";
import type { Panel } from "../panel";
import { nowIso } from "../review/context";
import { isOwned } from "../runs/ownership";
import { kickQueue } from "./runner";

function runsWithQueues(panel: Panel): string[] {
  return panel.db
    .select({ id: t.runs.id })
    .from(t.runs)
    .where(sql`json_type(${t.runs.record}, '$.mergeQueue') = 'object'`)
    .all()
    .map((r) => r.id);
}

/** Clean up and settle every queue a crash left mid-item; returns what was done, in words. */
export async function recoverQueues(panel: Panel): Promise<string[]> {
  const out: string[] = [];
  for (const runId of runsWithQueues(panel)) {
    const message = await changeRun(panel, runId, async (door) => {
      const run = door.current;
      const queue = run.mergeQueue;
      if (!queue || !isOwned(panel, runId, run.workingDirectory)) return undefined;
      const folders = scratchFoldersOf(panel.config.dataDir, runId);
      for (const f of folders) await removeScratch(run.workingDirectory, f);
      const active = queue.items.filter((i) => ACTIVE_ITEM_STATES.includes(i.state));
      if (active.length === 0 && !queue.scratch) return folders.length ? `Merge queue of ${runId}: ${folders.length} leftover scratch worktree(s) removed.` : undefined;
      const outcomes: RecoveredItem[] = [];
      const words: string[] = [];
      const targetNow = (await gitBuffer(run.workingDirectory, ["rev-parse", "--verify", "--quiet", `refs/heads/${queue.target}^{commit}`])).stdout.toString("utf8").trim();
      for (const item of active) {
        const w = run.workers.find((x) => x.id === item.workerId);
        const label = w?.label ?? item.workerId;
        const rec = run.merges?.filter((m) => m.workerId === item.workerId && m.workerHead === item.head && m.previousCommit === item.targetCommit).at(-1);
        if (rec) {
          const list = (await gitBuffer(run.workingDirectory, ["rev-list", "--reverse", `${rec.previousCommit}..${rec.commit}`])).stdout.toString("utf8").split("\n").filter(Boolean);
          outcomes.push({ workerId: item.workerId, merged: { mergeId: rec.id, previousCommit: rec.previousCommit, commits: list.length ? list : [rec.commit] } });
          words.push(`${label} had reached ${queue.target} (${rec.commit.slice(0, 12)}) and is recorded as merged`);
        } else {
          outcomes.push({ workerId: item.workerId });
          words.push(`${label} was ${item.state}; nothing of it reached ${queue.target} (at ${targetNow.slice(0, 12) || "?"})`);
        }
      }
      const interrupted = outcomes.some((o) => !o.merged);
      const message = `The panel stopped while the merge queue was working: ${words.join("; ") || "nothing was under way"}.${folders.length ? ` The scratch worktree${folders.length > 1 ? "s were" : " was"} removed.` : ""}${interrupted ? " The queue is stopped: resume it to build the interrupted item again." : ""}`;
      await door.apply((r) => queueRecovered(r, outcomes, message, nowIso()));
      return message;
    });
    if (message) out.push(message);
  }
  return out;
}

/** At start, after recovery and the supervisor: queues that were running go on. */
export function startQueues(panel: Panel): void {
  for (const runId of runsWithQueues(panel)) {
    const row = panel.dbh.sqlite.prepare("select json_extract(record, '$.mergeQueue.state') as s from runs where id = ?").get(runId) as { s: string } | undefined;
    if (row?.s === "running") kickQueue(panel, runId);
  }
}
