/**
 * Pure transitions of the merge queue (ARCHITECTURE.md §7 "Merge queue"). Like machine.ts:
 * records in, records and events out; no disk, git, tmux or database. The queue lives in the run
 * record (`mergeQueue`), so it is written, indexed and streamed by the door like everything else.
 *
 *   accept ─→ waiting ─build→ building ─(check)→ checking ─target moved→ merged
 *                                │                 ├─check fails→ check_failed ─┐
 *                                ├─conflicts→ conflict ───────────────────────────┼─send back→ sent_back
 *                                └─git refuses the move→ refused                  │   └─worker's next attempt completes→ waiting
 *   held (conflict, check_failed, refused, interrupted) ─retry→ waiting;  any but active ─remove→ gone
 *   stop: building/checking → waiting, queue stopped;  resume: interrupted → waiting, queue running
 *   restart after a crash: building/checking → merged (the journal finished the move) or interrupted
 */
import { ACTIVE_ITEM_STATES, HELD_STATES, type MergeQueue, type QueueConflict, type QueueItem, type QueueItemState } from "../core/queue";
import type { PanelEvent, PanelRun } from "../core/records";
import { makeEvent, type Transition } from "./machine";

const labelOf = (run: PanelRun, workerId: string) => run.workers.find((w) => w.id === workerId)?.label ?? workerId;
const short = (c: string | undefined) => (c ?? "").slice(0, 12);

function queueOf(run: PanelRun): MergeQueue {
  if (!run.mergeQueue) throw new Error(`run ${run.id} has no merge queue`);
  return run.mergeQueue;
}

function withQueue(run: PanelRun, queue: MergeQueue, now: string): PanelRun {
  return { ...run, mergeQueue: { ...queue, updatedAt: now }, updatedAt: now };
}

function withItem(run: PanelRun, workerId: string, patch: (item: QueueItem) => Partial<QueueItem>, now: string): PanelRun {
  const queue = queueOf(run);
  let found = false;
  const items = queue.items.map((i) => {
    if (i.workerId !== workerId) return i;
    found = true;
    const next: QueueItem = { ...i, ...patch(i), updatedAt: now };
    for (const k of Object.keys(next) as (keyof QueueItem)[]) if (next[k] === undefined) delete next[k];
    return next;
  });
  if (!found) throw new Error(`the merge queue of run ${run.id} has no item for ${workerId}`);
  return withQueue(run, { ...queue, items }, now);
}

const itemEvent = (run: PanelRun, workerId: string, message: string, now: string): PanelEvent =>
  makeEvent("queue_item_changed", `Merge queue: ${labelOf(run, workerId)} — ${message}`, now, { workerId });

/** Fields that describe one candidate's outcome: cleared when a new candidate starts. */
const CLEARED = { reason: undefined, conflicts: undefined, checkTail: undefined, checkExitCode: undefined, candidate: undefined } as const;

export interface QueueAcceptInput {
  id: string;
  workerIds: readonly string[];
  target: string;
  strategy: "squash" | "commits";
  autoSendBack: boolean;
  now: string;
}

/**
 * Workers accepted into the run's queue (created on first use), in the given order, after the
 * items already there. A held item accepted again is retried; the queue runs.
 */
export function queueAccepted(run: PanelRun, input: QueueAcceptInput): Transition {
  const { now } = input;
  const existing = run.mergeQueue;
  if (existing && (existing.target !== input.target || existing.strategy !== input.strategy)) {
    throw new Error(`the queue lands on ${existing.target} (${existing.strategy}); it cannot take ${input.target} (${input.strategy})`);
  }
  const queue: MergeQueue = existing ?? { id: input.id, target: input.target, strategy: input.strategy, autoSendBack: input.autoSendBack, state: "running", items: [], createdAt: now, updatedAt: now };
  const items = [...queue.items];
  const added: string[] = [];
  for (const workerId of input.workerIds) {
    if (!run.workers.some((w) => w.id === workerId)) throw new Error(`run ${run.id} has no worker ${workerId}`);
    const at = items.findIndex((i) => i.workerId === workerId);
    if (at < 0) {
      items.push({ workerId, state: "waiting", builds: 0, updatedAt: now });
      added.push(workerId);
    } else if (HELD_STATES.includes(items[at]!.state)) {
      items[at] = { ...items[at]!, ...CLEARED, state: "waiting", updatedAt: now };
      added.push(workerId);
    }
  }
  const next = withQueue(run, { ...queue, autoSendBack: input.autoSendBack, state: "running", stopReason: undefined, items }, now);
  const order = items.map((i) => labelOf(run, i.workerId)).join(", ");
  const message = `Merge queue into ${queue.target} (${queue.strategy}${input.autoSendBack ? ", held items go back to their workers" : ""}): ${added.length ? `accepted ${added.map((id) => labelOf(run, id)).join(", ")}` : "nothing new accepted"}; order ${order}.`;
  return { run: next, events: [makeEvent("queue_updated", message, now)] };
}

/** A new order of the items (every item exactly once). */
export function queueReordered(run: PanelRun, order: readonly string[], now: string): Transition {
  const queue = queueOf(run);
  const byId = new Map(queue.items.map((i) => [i.workerId, i]));
  if (order.length !== queue.items.length || new Set(order).size !== order.length || order.some((id) => !byId.has(id))) {
    throw new Error("the new order must list every item of the queue exactly once");
  }
  const next = withQueue(run, { ...queue, items: order.map((id) => byId.get(id)!) }, now);
  return { run: next, events: [makeEvent("queue_updated", `Merge queue reordered: ${order.map((id) => labelOf(run, id)).join(", ")}.`, now)] };
}

/** Stop the queue: an item under way goes back to waiting (its check is stopped by the runner). */
export function queueStopped(run: PanelRun, reason: string | undefined, now: string): Transition {
  const queue = queueOf(run);
  const items = queue.items.map((i) => (ACTIVE_ITEM_STATES.includes(i.state) ? { ...i, ...CLEARED, state: "waiting" as const, reason: "stopped before it finished: it is built again when the queue runs", updatedAt: now } : i));
  const next = withQueue(run, { ...queue, state: "stopped", stopReason: reason, items }, now);
  return { run: next, events: [makeEvent("queue_updated", `Merge queue stopped${reason ? `: ${reason}` : " by the user"}.`, now)] };
}

/** Run the queue again: interrupted items are built again, in their place. */
export function queueResumed(run: PanelRun, now: string): Transition {
  const queue = queueOf(run);
  const items = queue.items.map((i) => (i.state === "interrupted" ? { ...i, ...CLEARED, state: "waiting" as const, updatedAt: now } : i));
  const next = withQueue(run, { ...queue, state: "running", stopReason: undefined, items }, now);
  return { run: next, events: [makeEvent("queue_updated", "Merge queue running.", now)] };
}

export function queueItemBuilding(run: PanelRun, workerId: string, info: { head: string; targetCommit: string }, now: string): Transition {
  const next = withItem(run, workerId, (i) => ({ ...CLEARED, state: "building", builds: i.builds + 1, head: info.head, targetCommit: info.targetCommit }), now);
  const q = queueOf(run);
  return { run: next, events: [itemEvent(run, workerId, `building ${short(info.head)} on ${q.target} at ${short(info.targetCommit)}.`, now)] };
}

/** The check starts on `candidate` in the scratch worktree (recorded before the worktree is made). */
export function queueItemChecking(run: PanelRun, workerId: string, candidate: string, now: string): Transition {
  const item = queueOf(run).items.find((i) => i.workerId === workerId);
  const next = withItem(run, workerId, () => ({ state: "checking", candidate }), now);
  const queue = queueOf(next);
  return { run: withQueue(next, { ...queue, scratch: { workerId, build: item?.builds ?? 1 } }, now), events: [itemEvent(run, workerId, `checking the candidate ${short(candidate)}.`, now)] };
}

/** The scratch worktree is gone. */
export function queueScratchCleared(run: PanelRun, now: string): Transition {
  const queue = queueOf(run);
  if (!queue.scratch) return { run, events: [] };
  const { scratch: _gone, ...rest } = queue;
  return { run: withQueue(run, rest, now), events: [] };
}

export interface HeldInfo {
  state: Extract<QueueItemState, "conflict" | "check_failed" | "refused">;
  reason: string;
  conflicts?: QueueConflict[];
  checkTail?: string;
  checkExitCode?: number | null;
}

export function queueItemHeld(run: PanelRun, workerId: string, info: HeldInfo, now: string): Transition {
  const next = withItem(run, workerId, () => ({ ...info }), now);
  const word = info.state === "conflict" ? "held: conflict" : info.state === "check_failed" ? "held: the check failed" : "held: git refused to move the target";
  return { run: next, events: [itemEvent(run, workerId, `${word} — ${info.reason.split("\n")[0]!.slice(0, 300)}`, now)] };
}

export interface QueueMergedInfo {
  /** The merge record (absent: the target had the change from elsewhere). */
  mergeId?: string;
  previousCommit: string;
  commits: string[];
  /** Nothing landed: the target had the change already. */
  alreadyMerged?: boolean;
}

export function queueItemMerged(run: PanelRun, workerId: string, info: QueueMergedInfo, now: string): Transition {
  const queue = queueOf(run);
  const next = withItem(run, workerId, () => ({ ...CLEARED, state: "merged", mergeId: info.mergeId, previousCommit: info.previousCommit, commits: info.commits }), now);
  const last = info.commits.at(-1);
  const message = info.alreadyMerged
    ? `already on ${queue.target}; nothing was added.`
    : `merged into ${queue.target}: ${info.commits.length} commit(s), now ${short(last)} (was ${short(info.previousCommit)}).`;
  return { run: next, events: [itemEvent(run, workerId, message, now)] };
}

/** A follow-up turn (attempt `attempt`) asks the worker to fix what held the item. */
export function queueItemSentBack(run: PanelRun, workerId: string, attempt: number, now: string): Transition {
  const next = withItem(run, workerId, () => ({ state: "sent_back", sentBackAttempt: attempt }), now);
  return { run: next, events: [itemEvent(run, workerId, `sent back to its worker (attempt ${attempt}); it re-enters the queue when that attempt completes.`, now)] };
}

/** Back in line: the worker's next attempt completed (after a send-back), or the user retried a held item. */
export function queueItemRequeued(run: PanelRun, workerId: string, why: string, now: string): Transition {
  const next = withItem(run, workerId, () => ({ ...CLEARED, state: "waiting", sentBackAttempt: undefined }), now);
  return { run: next, events: [itemEvent(run, workerId, `back in the queue: ${why}.`, now)] };
}

/** A note on an item that does not change its state (a sent-back worker's attempt did not complete). */
export function queueItemNoted(run: PanelRun, workerId: string, reason: string, now: string): Transition {
  const next = withItem(run, workerId, () => ({ reason }), now);
  return { run: next, events: [itemEvent(run, workerId, reason, now)] };
}

export function queueItemRemoved(run: PanelRun, workerId: string, now: string): Transition {
  const queue = queueOf(run);
  const item = queue.items.find((i) => i.workerId === workerId);
  if (!item) throw new Error(`the merge queue of run ${run.id} has no item for ${workerId}`);
  if (ACTIVE_ITEM_STATES.includes(item.state)) throw new Error(`${workerId} is ${item.state}: stop the queue first`);
  const next = withQueue(run, { ...queue, items: queue.items.filter((i) => i.workerId !== workerId) }, now);
  return { run: next, events: [itemEvent(run, workerId, "removed from the queue.", now)] };
}

export interface RecoveredItem {
  workerId: string;
  /** The move had happened (the merge journal finished it): the merge that landed. */
  merged?: QueueMergedInfo;
}

/**
 * After a restart: the items the runner was working on are merged (when the journal's recovery
 * found the target moved) or interrupted; the queue stops with where it stopped, in words; the
 * scratch worktree is gone (the caller removed it).
 */
export function queueRecovered(run: PanelRun, outcomes: readonly RecoveredItem[], message: string, now: string): Transition {
  const queue = queueOf(run);
  const byId = new Map(outcomes.map((o) => [o.workerId, o]));
  const interrupted = outcomes.filter((o) => !o.merged).length > 0;
  const items = queue.items.map((i): QueueItem => {
    const o = byId.get(i.workerId);
    if (!o || !ACTIVE_ITEM_STATES.includes(i.state)) return i;
    if (o.merged) return { ...i, ...CLEARED, state: "merged", mergeId: o.merged.mergeId, previousCommit: o.merged.previousCommit, commits: o.merged.commits, updatedAt: now };
    return { ...i, ...CLEARED, state: "interrupted", reason: `the panel stopped while it was ${i.state}; nothing of it is on ${queue.target}: resume the queue to build it again`, updatedAt: now };
  });
  for (const i of items) for (const k of Object.keys(i) as (keyof QueueItem)[]) if (i[k] === undefined) delete i[k];
  const { scratch: _gone, ...rest } = queue;
  const next = withQueue(run, { ...rest, items, ...(interrupted ? { state: "stopped" as const, stopReason: message } : {}) }, now);
  return { run: next, events: [makeEvent("queue_recovered", message, now)] };
}
