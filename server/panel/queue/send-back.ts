/**
 * Sending a held queue item back to its worker (ARCHITECTURE.md §7 "Merge queue"): a follow-up
 * turn ("rebase onto the target and fix: …") with the conflicting paths and their excerpts, or
 * the failing check's last lines. The item is marked sent back (with the attempt that follow-up
 * starts) before the turn starts, so a result that comes quickly is never missed; if the turn
 * cannot start, the item is held again with the reason.
 */
import { PanelError } from "../../core/errors";
import type { MergeQueue, QueueItem } from "../../core/queue";
import type { PanelWorker } from "../../core/records";
import { changeRun } from "../door";
import { requestFollowUp } from "../lifecycle/followup";
import { queueItemHeld, queueItemSentBack } from "../machine-queue";
import type { Panel } from "../panel";
import { nowIso } from "../review/context";

/** The follow-up text for a held item. */
export function sendBackText(queue: MergeQueue, item: QueueItem, worker: Pick<PanelWorker, "label">): string {
  const at = item.targetCommit ? ` (now at ${item.targetCommit})` : "";
  const lines: string[] = [];
  if (item.state === "conflict") {
    lines.push(
      `Rebase onto the target and fix: the merge queue could not land your change on ${queue.target}${at}, because it conflicts with what was merged there since you started.`,
      "",
      `Bring your change up to date with ${queue.target}: for each file below, take ${queue.target}'s version (git show ${item.targetCommit ?? queue.target}:<path>) and redo your own change on top of it, so that nothing of ${queue.target}'s is lost. Keep your change otherwise as it is.`,
      "",
      "Conflicting files (the excerpts show both sides):",
    );
    for (const c of item.conflicts ?? []) {
      lines.push("", `- ${c.path}${c.types.length ? ` (${c.types.join(", ")})` : ""}`);
      if (c.hunks) lines.push("```", c.hunks, "```");
    }
    if ((item.conflicts ?? []).length === 0 && item.reason) lines.push("", item.reason);
  } else {
    lines.push(
      `Rebase onto the target and fix: the merge queue put your change on top of ${queue.target}${at} and the repository's check failed there${item.checkExitCode !== undefined && item.checkExitCode !== null ? ` (exit code ${item.checkExitCode})` : ""}.`,
      "",
      `Make the check pass with your change on top of ${queue.target} (git show ${item.targetCommit ?? queue.target}:<path> shows a file as it is there). Its last lines:`,
      "",
      "```",
      item.checkTail ?? item.reason ?? "(no output)",
      "```",
    );
  }
  lines.push("", `When you are done, your change re-enters the merge queue (${worker.label}).`);
  return lines.join("\n");
}

/** Send a held item (conflict or failed check) back to its worker as a follow-up turn. */
export async function sendBack(panel: Panel, runId: string, workerId: string): Promise<QueueItem> {
  const prepared = await changeRun(panel, runId, async (door) => {
    const queue = door.current.mergeQueue;
    const item = queue?.items.find((i) => i.workerId === workerId);
    if (!queue || !item) throw new PanelError("NOT_FOUND", `${workerId} is not in the merge queue of run ${runId}: accept it first (queue.accept)`);
    if (item.state !== "conflict" && item.state !== "check_failed") {
      throw new PanelError("CONFLICT", `${workerId} is ${item.state.replace("_", " ")}: only an item held by a conflict or a failed check can be sent back`);
    }
    const worker = door.current.workers.find((w) => w.id === workerId)!;
    const message = sendBackText(queue, item, worker);
    await door.apply((run) => queueItemSentBack(run, workerId, (worker.attempt ?? 1) + 1, nowIso()));
    return { message, previous: item };
  });
  try {
    await requestFollowUp(panel, { runId, workerId, message: prepared.message });
  } catch (error) {
    const p = prepared.previous;
    await changeRun(panel, runId, (door) =>
      door.apply((run) => queueItemHeld(run, workerId, {
        state: p.state as "conflict" | "check_failed",
        reason: `could not send it back: ${(error as Error).message}`,
        ...(p.conflicts ? { conflicts: p.conflicts } : {}),
        ...(p.checkTail !== undefined ? { checkTail: p.checkTail } : {}),
        ...(p.checkExitCode !== undefined ? { checkExitCode: p.checkExitCode } : {}),
      }, nowIso())));
    throw error;
  }
  const run = await changeRun(panel, runId, async (door) => door.current);
  return run.mergeQueue!.items.find((i) => i.workerId === workerId)!;
}
