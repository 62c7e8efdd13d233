/**
 * The merge queue's runner (ARCHITECTURE.md §7 "Merge queue"): one loop per run, in the server
 * process, working through the waiting items in order — build the candidate on the target as it
 * is now, run the gate in a scratch worktree, move the target exactly like a single merge
 * (review/move-target.ts: journal, ff-only or compare-and-swap, record). Every state change is a
 * transition through the door; the run's lock is held only for those and for the target move,
 * never during a check (the supervisor keeps applying results meanwhile).
 *
 * An item's build number is its token: a result that comes back after the queue was stopped, or
 * the item was changed meanwhile, is dropped.
 */
import { checkoutOf } from "../../bridge/merge";
import { resolveRevs } from "../../bridge/rev-batch";
import { mergeBlockers } from "../../bridge/repo-state";
import { createScratch, removeScratch, scratchPath } from "../../bridge/scratch";
import { failpoint } from "../../core/failpoint";
import { ACTIVE_ITEM_STATES, type MergeQueue, type QueueItem } from "../../core/queue";
import { WORKER_ACTIVE } from "../../core/status";
import { changeRun, type RunDoor } from "../door";
import type { Transition } from "../machine";
import { queueItemBuilding, queueItemChecking, queueItemHeld, queueItemMerged, queueItemNoted, queueItemRequeued, queueScratchCleared, queueStopped, type HeldInfo } from "../machine-queue";
import type { Panel } from "../panel";
import { isOwned } from "../runs/ownership";
import { nowIso } from "../review/context";
import { interruptedMerges } from "../review/health";
import { moveTargetJournaled } from "../review/move-target";
import { buildCandidate, candidateInputs, unbuildable, type Candidate } from "./candidate";
import { checkLogPath, runCheck } from "./check";
import { decideCheck } from "./gate";
import { logTail } from "./log";
import { sendBack } from "./send-back";

interface RunnerState {
  loops: Map<string, Promise<void>>;
  again: Set<string>;
  aborts: Map<string, AbortController>;
  closed: boolean;
  unsubscribe?: () => void;
}

const states = new WeakMap<Panel, RunnerState>();

function stateOf(panel: Panel): RunnerState {
  let s = states.get(panel);
  if (s) return s;
  s = { loops: new Map(), again: new Set(), aborts: new Map(), closed: false };
  states.set(panel, s);
  const state = s;
  // A worker's turn ended: a sent-back item may re-enter, a waiting one may be built now.
  state.unsubscribe = panel.bus.subscribe("event", (e) => {
    if ((e.type === "worker_result" || e.type === "worker_failed") && hasQueue(panel, e.runId)) kickQueue(panel, e.runId);
  });
  panel.closers.push(async () => {
    state.closed = true;
    state.unsubscribe?.();
    for (const a of state.aborts.values()) a.abort();
    await Promise.allSettled([...state.loops.values()]);
  });
  return s;
}

function hasQueue(panel: Panel, runId: string): boolean {
  const row = panel.dbh.sqlite.prepare("select json_type(record, '$.mergeQueue') as t from runs where id = ?").get(runId) as { t: string | null } | undefined;
  return row?.t === "object";
}

/** Work through the run's queue (in the background); a call while it runs makes it look again after. */
export function kickQueue(panel: Panel, runId: string): void {
  const s = stateOf(panel);
  if (s.closed) return;
  if (s.loops.has(runId)) {
    s.again.add(runId);
    return;
  }
  const loop = (async () => {
    do {
      s.again.delete(runId);
      while (!s.closed && (await step(panel, runId, s)));
    } while (s.again.has(runId) && !s.closed);
  })()
    .catch((error) => console.warn(`[longtable-panel] merge queue of ${runId}: ${(error as Error).message}`))
    .finally(() => s.loops.delete(runId));
  s.loops.set(runId, loop);
}

/** Resolves when the run's queue has nothing under way in this process (tests, shutdown). */
export async function queueSettled(panel: Panel, runId: string): Promise<void> {
  const s = stateOf(panel);
  while (s.loops.has(runId)) await s.loops.get(runId);
}

/** Abort the check under way in the run's queue (the stop transition has been applied). */
export function abortQueueWork(panel: Panel, runId: string): void {
  stateOf(panel).aborts.get(runId)?.abort();
}

const itemOf = (q: MergeQueue | undefined, workerId: string) => q?.items.find((i) => i.workerId === workerId);

/** Is this build of the item still the one the queue is waiting for? */
function current(door: RunDoor, workerId: string, build: number): QueueItem | undefined {
  const q = door.current.mergeQueue;
  const item = itemOf(q, workerId);
  return q?.state === "running" && item && ACTIVE_ITEM_STATES.includes(item.state) && item.builds === build ? item : undefined;
}

/** Compose transitions applied in one commit. */
function both(first: Transition, then: (run: Transition["run"]) => Transition): Transition {
  const second = then(first.run);
  return { run: second.run, events: [...first.events, ...second.events] };
}

/**
 * One step: pick the next waiting item whose worker has finished (re-entering sent-back items
 * whose next attempt completed), and land or hold it. False when there is nothing to do.
 */
async function step(panel: Panel, runId: string, s: RunnerState): Promise<boolean> {
  const picked = await changeRun(panel, runId, async (door) => {
    const q = door.current.mergeQueue;
    // A run found on disk is never acted on (its record is data): only this panel's runs.
    if (!q || !isOwned(panel, runId, door.current.workingDirectory)) return undefined;
    for (const item of q.items.filter((i) => i.state === "sent_back")) {
      const w = door.current.workers.find((x) => x.id === item.workerId);
      if (!w || WORKER_ACTIVE.has(w.status) || (w.attempt ?? 0) < (item.sentBackAttempt ?? 0)) continue;
      if (w.status === "completed" || w.status === "blocked") {
        await door.apply((run) => queueItemRequeued(run, item.workerId, `attempt ${w.attempt} of ${w.label} ${w.status}`, nowIso()));
      } else if (!item.reason?.startsWith("its follow-up ended")) {
        await door.apply((run) => queueItemNoted(run, item.workerId, `its follow-up ended ${w.status}${w.failureReason ? ` (${w.failureReason})` : ""}: send it back again, retry, or remove it`, nowIso()));
      }
    }
    const queue = door.current.mergeQueue!;
    if (queue.state !== "running" || queue.items.some((i) => ACTIVE_ITEM_STATES.includes(i.state))) return undefined;
    return queue.items.find((i) => {
      const w = door.current.workers.find((x) => x.id === i.workerId);
      return i.state === "waiting" && w && !WORKER_ACTIVE.has(w.status);
    })?.workerId;
  });
  if (!picked) return false;
  for (let round = 0; round < 5; round++) {
    if ((await buildAndLand(panel, runId, picked, s)) !== "again") return true;
  }
  await hold(panel, runId, picked, undefined, { state: "refused", reason: "the target kept moving while the queue built this item (5 times): retry when it is quiet" });
  return true;
}

/** Hold an item (if `build` is still its build), and send it back at once when the queue says so. */
async function hold(panel: Panel, runId: string, workerId: string, build: number | undefined, info: HeldInfo, extra?: (run: Transition["run"]) => Transition): Promise<void> {
  const auto = await changeRun(panel, runId, async (door) => {
    const item = itemOf(door.current.mergeQueue, workerId);
    if (!item || (build !== undefined && !current(door, workerId, build))) return false;
    await door.apply((run) => both(queueItemHeld(run, workerId, info, nowIso()), (r) => (extra ? extra(r) : { run: r, events: [] })));
    return door.current.mergeQueue!.autoSendBack && info.state !== "refused";
  });
  if (auto) await sendBack(panel, runId, workerId).catch((error) => console.warn(`[longtable-panel] merge queue: sending ${workerId} back: ${(error as Error).message}`));
}

type Outcome = "done" | "again" | "stop";

async function buildAndLand(panel: Panel, runId: string, workerId: string, s: RunnerState): Promise<Outcome> {
  const queue = (await changeRun(panel, runId, async (door) => door.current.mergeQueue))!;
  let built: Awaited<ReturnType<typeof candidateInputs>>;
  try {
    built = await candidateInputs(panel, runId, workerId, queue.target);
  } catch (error) {
    const label = (await changeRun(panel, runId, async (d) => d.current.workers.find((w) => w.id === workerId)))!;
    const reason = unbuildable(error, label);
    if (!reason) throw error;
    await hold(panel, runId, workerId, undefined, { state: "refused", reason });
    return "done";
  }
  const { ctx, preview } = built;
  // The token: this build's number, recorded with the head and the target it starts from.
  const build = await changeRun(panel, runId, async (door) => {
    const item = itemOf(door.current.mergeQueue, workerId);
    if (door.current.mergeQueue?.state !== "running" || !item || !["waiting", "building", "checking"].includes(item.state)) return undefined;
    await door.apply((run) => queueItemBuilding(run, workerId, { head: preview.headCommit, targetCommit: preview.targetCommit }, nowIso()));
    return itemOf(door.current.mergeQueue, workerId)!.builds;
  });
  if (build === undefined) return "stop";
  const candidate: Candidate = await buildCandidate(ctx, preview, queue.strategy);
  if (candidate.kind === "conflict") {
    await hold(panel, runId, workerId, build, { state: "conflict", reason: candidate.reason, conflicts: candidate.conflicts });
    return "done";
  }
  if (candidate.kind === "refused") {
    await hold(panel, runId, workerId, build, { state: "refused", reason: candidate.reason });
    return "done";
  }
  if (candidate.kind === "up-to-date") {
    await changeRun(panel, runId, async (door) => {
      if (!current(door, workerId, build)) return;
      const known = door.current.merges?.filter((m) => m.workerId === workerId).at(-1);
      await door.apply((run) => queueItemMerged(run, workerId, { mergeId: known?.id, previousCommit: candidate.targetCommit, commits: [], alreadyMerged: true }, nowIso()));
    });
    return "done";
  }

  // The gate: the check of the config text the target holds now (approved), in a scratch worktree.
  const decision = await decideCheck(panel, ctx.run, candidate.targetCommit, workerId);
  if (decision.kind === "hold") {
    await changeRun(panel, runId, async (door) => {
      if (!current(door, workerId, build)) return;
      await door.apply((run) => queueStopped(run, decision.reason, nowIso()));
    });
    return "stop";
  }
  if (decision.kind === "run") {
    const repo = ctx.repo;
    const scratch = scratchPath(panel.config.dataDir, runId, workerId);
    const candidateCommit = candidate.commits.at(-1)!;
    // Recorded (synced) before the worktree exists: a crash from here on finds and removes it.
    const started = await changeRun(panel, runId, async (door) => {
      if (!current(door, workerId, build)) return false;
      await door.apply((run) => queueItemChecking(run, workerId, candidateCommit, nowIso()), undefined, { durable: true });
      return true;
    });
    if (!started) return "stop";
    const abort = new AbortController();
    s.aborts.set(runId, abort);
    const logPath = checkLogPath(repo, runId, workerId, build);
    let outcome;
    try {
      await createScratch(repo, scratch, candidateCommit);
      failpoint("queue:checking");
      outcome = await runCheck(panel, ctx.run, scratch, decision.plan, logPath, abort.signal);
    } finally {
      s.aborts.delete(runId);
      await removeScratch(repo, scratch);
    }
    if (!outcome.passed) {
      const cleared = (r: Transition["run"]) => queueScratchCleared(r, nowIso());
      if (outcome.aborted) {
        await changeRun(panel, runId, (door) => door.apply(cleared));
        return "stop";
      }
      const what = outcome.timedOut ? "timed out" : `exited ${outcome.exitCode ?? outcome.signal}`;
      await hold(panel, runId, workerId, build, {
        state: "check_failed",
        reason: `the ${outcome.step} ${what} on the candidate (${ctx.worker.label} on ${queue.target} at ${candidate.targetCommit.slice(0, 12)}): send it back to ${ctx.worker.label} to fix, or retry`,
        checkTail: logTail(logPath),
        checkExitCode: outcome.exitCode,
      }, cleared);
      await changeRun(panel, runId, (door) => door.apply(cleared)); // when the item had moved on meanwhile
      return "done";
    }
  }
  return land(panel, runId, workerId, build, candidate);
}

/** Move the target to the candidate, under the run's lock, exactly like a single merge. */
function land(panel: Panel, runId: string, workerId: string, build: number, candidate: Extract<Candidate, { kind: "clean" }>): Promise<Outcome> {
  const { ctx } = candidate;
  const repo = ctx.repo;
  let held: HeldInfo | undefined;
  return changeRun(panel, runId, async (door): Promise<Outcome> => {
    const cleared = (r: Transition["run"]) => queueScratchCleared(r, nowIso());
    if (!current(door, workerId, build)) {
      await door.apply(cleared);
      return "stop";
    }
    const queue = door.current.mergeQueue!;
    const others = interruptedMerges(panel, ctx.run.repoId).filter((m) => m.runId !== runId || door.current.mergeJournal);
    if (others.length > 0 || door.current.mergeJournal) {
      const m = others[0];
      await door.apply((run) => queueStopped(queueScratchCleared(run, nowIso()).run, `the merge of ${m?.workerId ?? "a worker"} into ${m?.target ?? queue.target} was interrupted and is not recovered yet: use Recover on the Runs page, then resume the queue`, nowIso()));
      return "stop";
    }
    // The target as it is now: moved outside the panel since the build → build again on it.
    const [found] = await resolveRevs(repo, [`refs/heads/${queue.target}^{commit}`]);
    const now = found ? { commit: found.sha } : undefined;
    if (!now) {
      held = { state: "refused", reason: `the target branch ${queue.target} is gone: create it again (or stop the queue)` };
    } else if (now.commit !== candidate.targetCommit) {
      await door.apply(cleared);
      return "again";
    } else {
      const checkout = await checkoutOf(repo, queue.target);
      const blockers = await mergeBlockers(repo, queue.target, checkout);
      if (blockers.length > 0) {
        held = { state: "refused", reason: `the target cannot move now, nothing was changed: ${blockers.join("; ")} — then retry` };
      } else {
        const out = await moveTargetJournaled(door, {
          repo, workerId, target: queue.target, strategy: queue.strategy, oldCommit: candidate.targetCommit, commits: candidate.commits,
          workerHead: candidate.head, ...(checkout ? { checkout } : {}), checkoutJustRead: true, reflogMessage: `longtable-panel: merge queue ${workerId} of ${runId} (${queue.strategy})`,
          also: (run, mergeId) => both(queueScratchCleared(run, nowIso()), (r) => queueItemMerged(r, workerId, { mergeId, previousCommit: candidate.targetCommit, commits: candidate.commits }, nowIso())),
        });
        if (out.ok) return "done";
        if (out.moved.reason === "moved") {
          await door.apply(cleared);
          return "again";
        }
        held = { state: "refused", reason: `git refused to update ${queue.target}${out.moved.checkout ? ` in ${out.moved.checkout}` : ""}: ${out.moved.message} — nothing was changed; commit or stash your local changes to those files, then retry` };
      }
    }
    await door.apply((run) => both(queueScratchCleared(run, nowIso()), (r) => queueItemHeld(r, workerId, held!, nowIso())));
    return "done";
  });
}
