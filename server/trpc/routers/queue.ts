import { tracked } from "@trpc/server";
import { setTimeout as sleep } from "node:timers/promises";
import { acceptIntoQueue, checkLog, configureQueue, queueView, removeItem, reorderQueue, resumeQueue, retryItem, sendItemBack, stopQueue } from "../../panel/queue/service";
import {
  checkLogInputSchema, checkLogStreamInputSchema, queueAcceptInputSchema, queueConfigureInputSchema, queueItemInputSchema, queueReorderInputSchema, queueRunInputSchema,
} from "../../panel/queue/schemas";
import { getRun } from "../../panel/runs/queries";
import { operatorProcedure, router, viewerProcedure } from "../init";

/** The merge queue of a run (ARCHITECTURE.md §7 "Merge queue"). */
export const queueRouter = router({
  /** The queue: items in order with their state, reasons, conflicts, check tails and landed commits. */
  get: viewerProcedure.input(queueRunInputSchema).query(({ ctx, input }) => (getRun(ctx.panel, input.runId), queueView(ctx.panel, input.runId))),
  /** Accept workers (workerIds in order, or allCompleted) into the queue, which then runs. */
  accept: operatorProcedure.input(queueAcceptInputSchema).mutation(({ ctx, input }) => acceptIntoQueue(ctx.panel, input)),
  /** A new order: every item exactly once. */
  reorder: operatorProcedure.input(queueReorderInputSchema).mutation(({ ctx, input }) => reorderQueue(ctx.panel, input)),
  /** Stop the queue: a check under way is stopped, nothing new starts, the target stays where it is. */
  stop: operatorProcedure.input(queueRunInputSchema).mutation(({ ctx, input }) => stopQueue(ctx.panel, input.runId)),
  /** Run the queue again (interrupted items are built again). */
  resume: operatorProcedure.input(queueRunInputSchema).mutation(({ ctx, input }) => resumeQueue(ctx.panel, input.runId)),
  /** Build a held or sent-back item again now. */
  retry: operatorProcedure.input(queueItemInputSchema).mutation(({ ctx, input }) => retryItem(ctx.panel, input.runId, input.workerId)),
  /** Take an item out of the queue (not while it is building or checking). */
  remove: operatorProcedure.input(queueItemInputSchema).mutation(({ ctx, input }) => removeItem(ctx.panel, input.runId, input.workerId)),
  /** Send a held item back to its worker as a follow-up turn; it re-enters when that turn completes. */
  sendBack: operatorProcedure.input(queueItemInputSchema).mutation(({ ctx, input }) => sendItemBack(ctx.panel, input.runId, input.workerId)),
  /** Send held items back automatically (or not). */
  configure: operatorProcedure.input(queueConfigureInputSchema).mutation(({ ctx, input }) => configureQueue(ctx.panel, input.runId, input.autoSendBack)),
  /** A chunk of an item's check log, by byte offset. */
  checkLog: viewerProcedure.input(checkLogInputSchema).query(({ ctx, input }) => checkLog(ctx.panel, input)),
  /** An item's check log as it is written (ends when its check has ended and everything was sent). */
  onCheckLog: viewerProcedure.input(checkLogStreamInputSchema).subscription(async function* ({ ctx, input, signal }) {
    getRun(ctx.panel, input.runId);
    let offset = Number(input.lastEventId ?? 0);
    for (;;) {
      const chunk = checkLog(ctx.panel, { runId: input.runId, workerId: input.workerId, build: input.build, offset });
      if (chunk.text) {
        offset = chunk.nextOffset;
        yield tracked(String(offset), { offset: chunk.offset, text: chunk.text, build: chunk.build });
        continue;
      }
      if (!chunk.checking || signal?.aborted) return;
      await sleep(250, undefined, { signal }).catch(() => undefined);
    }
  }),
});
