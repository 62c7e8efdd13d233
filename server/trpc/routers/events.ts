import { tracked } from "@trpc/server";
import { z } from "zod";
import { backlogThenLive } from "../../events/stream";
import { activityAfter, eventsAfter, latestEventSeq } from "../../panel/results/feed";
import { runIdSchema, workerIdSchema } from "../../core/ids";
import { getRun } from "../../panel/runs/queries";
import { router, viewerProcedure } from "../init";

const lastEventIdSchema = z.string().regex(/^\d{1,15}$/, "lastEventId is an event seq").nullish();

export const eventsRouter = router({
  /** Lifecycle events of one run: the whole backlog (or after lastEventId), then live. */
  onRun: viewerProcedure
    .input(z.object({ runId: runIdSchema, lastEventId: lastEventIdSchema }))
    .subscription(async function* ({ ctx, input, signal }) {
      getRun(ctx.panel, input.runId);
      const stream = backlogThenLive({
        subscribe: (push) => ctx.panel.bus.subscribe("event", (e) => e.runId === input.runId && push(e)),
        backlog: (after) => eventsAfter(ctx.panel, after, input.runId),
        after: Number(input.lastEventId ?? 0),
        signal,
      });
      for await (const e of stream) yield tracked(String(e.seq), e);
    }),
  /** Events of every run (the runs list): live from now, or from lastEventId on reconnect. */
  onAll: viewerProcedure
    .input(z.object({ lastEventId: lastEventIdSchema }).optional())
    .subscription(async function* ({ ctx, input, signal }) {
      const stream = backlogThenLive({
        subscribe: (push) => ctx.panel.bus.subscribe("event", push),
        backlog: (after) => eventsAfter(ctx.panel, after),
        after: input?.lastEventId ? Number(input.lastEventId) : latestEventSeq(ctx.panel),
        signal,
      });
      for await (const e of stream) yield tracked(String(e.seq), e);
    }),
  /** The agents' own steps in a run (optionally one worker): backlog, then live. */
  onActivity: viewerProcedure
    .input(z.object({ runId: runIdSchema, workerId: workerIdSchema.optional(), lastEventId: lastEventIdSchema }))
    .subscription(async function* ({ ctx, input, signal }) {
      getRun(ctx.panel, input.runId);
      const stream = backlogThenLive({
        subscribe: (push) => ctx.panel.bus.subscribe("activity", (a) => a.runId === input.runId && (!input.workerId || a.workerId === input.workerId) && push(a)),
        backlog: (after) => activityAfter(ctx.panel, input.runId, after, input.workerId),
        after: Number(input.lastEventId ?? 0),
        signal,
      });
      for await (const a of stream) yield tracked(String(a.seq), a);
    }),
});
