/**
 * The merge queue's record (ARCHITECTURE.md §7 "Merge queue"): part of run.json (`mergeQueue`),
 * changed only by the pure transitions of server/panel/machine-queue.ts through the door. Paths
 * (the scratch worktree, the check logs) are derived from ids, never stored.
 */

/** What an item is doing, or why it is held. */
export const QUEUE_ITEM_STATES = [
  "waiting", // in line (or its worker is still running: it waits for the result)
  "building", // the candidate is being built on the target as it is now
  "checking", // the repository's check runs on the candidate in the scratch worktree
  "merged", // the target moved to the candidate (a merge record exists)
  "conflict", // held: the worker's change conflicts with the target
  "check_failed", // held: the check failed on the candidate
  "refused", // held: git refused to move the target (local changes in the checkout, a lock, …)
  "sent_back", // a follow-up asks the worker to fix it; re-enters when that attempt completes
  "interrupted", // the panel stopped (crash, restart) while it was building or checking
] as const;
export type QueueItemState = (typeof QUEUE_ITEM_STATES)[number];

/** States in which an item is settled until someone acts (send back, retry, remove). */
export const HELD_STATES: readonly QueueItemState[] = ["conflict", "check_failed", "refused", "interrupted"];
/** States in which the runner works on an item. */
export const ACTIVE_ITEM_STATES: readonly QueueItemState[] = ["building", "checking"];

export interface QueueConflict {
  path: string;
  types: string[];
  /** The conflict-marker regions of the file (text files only), capped. */
  hunks?: string;
}

export interface QueueItem {
  workerId: string;
  state: QueueItemState;
  /** Why it is held (or what it waits for), in words that say what to do. */
  reason?: string;
  conflicts?: QueueConflict[];
  /** The failing check's last lines. */
  checkTail?: string;
  checkExitCode?: number | null;
  /** How many times a candidate was built for this item (names the check log: build-<n>.log). */
  builds: number;
  /** The worker head and the target commit of the candidate under way or last built. */
  head?: string;
  targetCommit?: string;
  candidate?: string;
  /** When merged: the target before, the commits that landed (oldest first), the merge record. */
  previousCommit?: string;
  commits?: string[];
  mergeId?: string;
  /** The worker's attempt the follow-up started (sent back): the item re-enters when a later attempt completes. */
  sentBackAttempt?: number;
  updatedAt: string;
}

export interface MergeQueue {
  id: string;
  /** The branch the queue lands on. */
  target: string;
  strategy: "squash" | "commits";
  /** Send a held item (conflict, check failed) back to its worker at once. */
  autoSendBack: boolean;
  /** running: the panel works through the waiting items; stopped: by the user, or held (reason). */
  state: "running" | "stopped";
  stopReason?: string;
  items: QueueItem[];
  /** The item whose scratch worktree exists (or may: recorded before it is made). */
  scratch?: { workerId: string; build: number };
  createdAt: string;
  updatedAt: string;
}
