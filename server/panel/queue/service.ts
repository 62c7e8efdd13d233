/**
 * The merge queue's actions and views (ARCHITECTURE.md §7 "Merge queue"): accept workers,
 * reorder, stop and resume, retry or remove an item, send one back, and read the queue and its
 * check logs. Each action is one transition through the door, then a kick of the runner.
 */
import { existsSync } from "node:fs";
import { gitBuffer } from "../../bridge/git";
import { PanelError, notFound } from "../../core/errors";
import { createId } from "../../core/ids";
import { ACTIVE_ITEM_STATES, HELD_STATES, type MergeQueue, type QueueItem } from "../../core/queue";
import { changeRun, loadRecord } from "../door";
import { queueAccepted, queueItemRemoved, queueItemRequeued, queueReordered, queueResumed, queueStopped } from "../machine-queue";
import type { Panel } from "../panel";
import { loadWorker, nowIso } from "../review/context";
import { resolveTarget } from "../review/preview";
import { getRun } from "../runs/queries";
import { checkLogPath } from "./check";
import { readChunk, type LogChunk } from "./log";
import { abortQueueWork, kickQueue } from "./runner";
import type { CheckLogInput, QueueAcceptInput, QueueReorderInput } from "./schemas";
import { sendBack } from "./send-back";

export interface QueueItemView extends QueueItem {
  label: string;
  role: string;
  workerStatus: string;
  attempt: number;
  /** The merged commits with their subjects (oldest first). */
  landed?: Array<{ commit: string; subject: string }>;
  /** A check log exists for the latest build. */
  hasLog: boolean;
}

export interface QueueView {
  runId: string;
  queue: (Omit<MergeQueue, "items"> & { items: QueueItemView[] }) | null;
  /** The target's commit now (null without a queue, or when the branch is gone). */
  targetCommit: string | null;
}

function ownedRun(panel: Panel, runId: string) {
  const run = getRun(panel, runId);
  if (!run.owned) throw new PanelError("PRECONDITION_FAILED", `run ${runId} was not created by this panel (it was found on disk): the merge queue works on this panel's runs only — merge its workers one by one`);
  return run;
}

function queueOf(panel: Panel, runId: string): MergeQueue {
  const q = ownedRun(panel, runId).mergeQueue;
  if (!q) throw new PanelError("NOT_FOUND", `run ${runId} has no merge queue: accept workers first (queue.accept)`);
  return q;
}

function itemOf(q: MergeQueue, runId: string, workerId: string): QueueItem {
  const item = q.items.find((i) => i.workerId === workerId);
  if (!item) throw new PanelError("NOT_FOUND", `${workerId} is not in the merge queue of run ${runId}: see queue.get for its items`);
  return item;
}

/** Accept workers into the run's queue (created on first use) and start working through it. */
export async function acceptIntoQueue(panel: Panel, input: QueueAcceptInput): Promise<QueueView> {
  const run = ownedRun(panel, input.runId);
  const ids = input.workerIds ?? run.workers.filter((w) => w.status === "completed" && !w.discarded && w.merged?.workerHead !== w.worktreeCommit).map((w) => w.id);
  if (ids.length === 0) throw new PanelError("PRECONDITION_FAILED", "no completed worker is waiting to be merged: wait for results, or list workerIds");
  for (const id of ids) {
    const w = run.workers.find((x) => x.id === id);
    if (!w) throw new PanelError("NOT_FOUND", `run ${input.runId} has no worker ${id}: see runs.get for its workers`);
    if (w.discarded || w.cleanupStatus === "removed") throw new PanelError("PRECONDITION_FAILED", `${w.label}'s worktree was removed: it cannot be queued`);
    if (w.status === "failed") throw new PanelError("PRECONDITION_FAILED", `${w.label} failed (${w.failureReason ?? "no result"}): request changes or resume the run, then queue it`);
    if (!w.baseCommit && w.runtimeLayout === "panel") throw new PanelError("PRECONDITION_FAILED", `${w.label} has not been provisioned yet: launch the run first`);
  }
  const existing = run.mergeQueue;
  const busy = existing?.items.some((i) => i.state === "waiting" || i.state === "sent_back" || ACTIVE_ITEM_STATES.includes(i.state));
  const strategy = input.strategy ?? existing?.strategy ?? "squash";
  const target = input.target ?? existing?.target ?? (await resolveTarget(await loadWorker(panel, input.runId, ids[0]!), undefined)).target;
  if (input.target) await resolveTarget(await loadWorker(panel, input.runId, ids[0]!), input.target);
  if (existing && busy && (existing.target !== target || existing.strategy !== strategy)) {
    throw new PanelError("CONFLICT", `the run's merge queue lands on ${existing.target} (${existing.strategy}) and still has items to merge: accept into it as it is, or stop it and remove its items first`);
  }
  await changeRun(panel, input.runId, async (door) => {
    let current = door.current;
    if (current.mergeQueue && !busy && (current.mergeQueue.target !== target || current.mergeQueue.strategy !== strategy)) {
      const { mergeQueue: _old, ...rest } = current; // a settled queue gives way to a new one
      current = rest as typeof current;
    }
    const base = current;
    await door.apply(() => queueAccepted(base, { id: current.mergeQueue?.id ?? createId("queue"), workerIds: ids, target, strategy, autoSendBack: input.autoSendBack ?? current.mergeQueue?.autoSendBack ?? false, now: nowIso() }));
  });
  kickQueue(panel, input.runId);
  return queueView(panel, input.runId);
}

export async function reorderQueue(panel: Panel, input: QueueReorderInput): Promise<QueueView> {
  const q = queueOf(panel, input.runId);
  const known = new Set(q.items.map((i) => i.workerId));
  const missing = q.items.filter((i) => !input.order.includes(i.workerId)).map((i) => i.workerId);
  const unknown = input.order.filter((id) => !known.has(id));
  if (missing.length || unknown.length) {
    throw new PanelError("BAD_REQUEST", `order must list every item of the queue exactly once${missing.length ? `; missing ${missing.join(", ")}` : ""}${unknown.length ? `; not in the queue: ${unknown.join(", ")}` : ""}`);
  }
  await changeRun(panel, input.runId, (door) => door.apply((run) => queueReordered(run, input.order, nowIso())));
  kickQueue(panel, input.runId);
  return queueView(panel, input.runId);
}

/** Stop the queue: nothing new starts; a check under way is stopped and its item waits again. */
export async function stopQueue(panel: Panel, runId: string): Promise<QueueView> {
  queueOf(panel, runId);
  await changeRun(panel, runId, (door) => (door.current.mergeQueue?.state === "stopped" ? Promise.resolve(door.current) : door.apply((run) => queueStopped(run, undefined, nowIso()))));
  abortQueueWork(panel, runId);
  return queueView(panel, runId);
}

export async function resumeQueue(panel: Panel, runId: string): Promise<QueueView> {
  queueOf(panel, runId);
  await changeRun(panel, runId, (door) => door.apply((run) => queueResumed(run, nowIso())));
  kickQueue(panel, runId);
  return queueView(panel, runId);
}

/** Build a held item again (after the worker branch or the checkout was fixed by hand). */
export async function retryItem(panel: Panel, runId: string, workerId: string): Promise<QueueView> {
  const item = itemOf(queueOf(panel, runId), runId, workerId);
  if (!HELD_STATES.includes(item.state) && item.state !== "sent_back") {
    throw new PanelError("CONFLICT", `${workerId} is ${item.state.replace("_", " ")}: only a held or sent-back item can be retried`);
  }
  await changeRun(panel, runId, (door) => door.apply((run) => queueItemRequeued(run, workerId, "retried by the user", nowIso())));
  kickQueue(panel, runId);
  return queueView(panel, runId);
}

export async function removeItem(panel: Panel, runId: string, workerId: string): Promise<QueueView> {
  const item = itemOf(queueOf(panel, runId), runId, workerId);
  if (ACTIVE_ITEM_STATES.includes(item.state)) throw new PanelError("CONFLICT", `${workerId} is ${item.state}: stop the queue first, then remove it`);
  await changeRun(panel, runId, (door) => door.apply((run) => queueItemRemoved(run, workerId, nowIso())));
  return queueView(panel, runId);
}

export async function configureQueue(panel: Panel, runId: string, autoSendBack: boolean): Promise<QueueView> {
  queueOf(panel, runId);
  await changeRun(panel, runId, (door) =>
    door.apply((run) => ({ run: { ...run, mergeQueue: { ...run.mergeQueue!, autoSendBack, updatedAt: nowIso() }, updatedAt: nowIso() }, events: [] })));
  return queueView(panel, runId);
}

export async function sendItemBack(panel: Panel, runId: string, workerId: string): Promise<QueueView> {
  itemOf(queueOf(panel, runId), runId, workerId);
  await sendBack(panel, runId, workerId);
  return queueView(panel, runId);
}

/** The queue with each item's worker, its landed commits (with subjects) and whether a log exists. */
export async function queueView(panel: Panel, runId: string): Promise<QueueView> {
  const loaded = loadRecord(panel, runId);
  if (!loaded) throw notFound(`run ${runId}`);
  const run = loaded.run;
  const q = run.mergeQueue;
  if (!q) return { runId, queue: null, targetCommit: null };
  const commits = q.items.flatMap((i) => (i.state === "merged" ? i.commits ?? [] : []));
  const subjects = new Map<string, string>();
  if (commits.length > 0) {
    const r = await gitBuffer(run.workingDirectory, ["show", "-s", "--format=%H %s", ...commits, "--"]);
    for (const line of r.stdout.toString("utf8").split("\n")) if (line) subjects.set(line.slice(0, line.indexOf(" ")), line.slice(line.indexOf(" ") + 1));
  }
  const target = (await gitBuffer(run.workingDirectory, ["rev-parse", "--verify", "--quiet", `refs/heads/${q.target}^{commit}`])).stdout.toString("utf8").trim();
  const items = q.items.map((i): QueueItemView => {
    const w = run.workers.find((x) => x.id === i.workerId);
    return {
      ...i,
      label: w?.label ?? i.workerId,
      role: w?.role ?? "",
      workerStatus: w?.status ?? "unknown",
      attempt: w?.attempt ?? 0,
      ...(i.state === "merged" && i.commits ? { landed: i.commits.map((c) => ({ commit: c, subject: subjects.get(c) ?? "" })) } : {}),
      hasLog: i.builds > 0 && existsSync(checkLogPath(run.workingDirectory, runId, i.workerId, i.builds)),
    };
  });
  return { runId, queue: { ...q, items }, targetCommit: target || null };
}

/** A chunk of an item's check log (its latest build unless `build`). */
export function checkLog(panel: Panel, input: CheckLogInput): LogChunk & { build: number; checking: boolean } {
  const q = queueOf(panel, input.runId);
  const item = itemOf(q, input.runId, input.workerId);
  const build = input.build ?? item.builds;
  if (build < 1 || build > item.builds) throw new PanelError("NOT_FOUND", `${input.workerId} has ${item.builds} build(s) in the queue: ask for build 1 to ${item.builds}`);
  const run = getRun(panel, input.runId);
  const chunk = readChunk(checkLogPath(run.workingDirectory, input.runId, input.workerId, build), input.offset ?? 0);
  return { ...chunk, build, checking: item.state === "checking" && item.builds === build };
}
