/** Inputs of the queue procedures (the router uses these as is). Every refusal is a 400 that says what to send. */
import { z } from "zod";
import { runIdSchema, workerIdSchema } from "../../core/ids";
import { branchNameSchema } from "../review/schemas";

const ref = { runId: runIdSchema };
const workerList = z.array(workerIdSchema).min(1, "list at least one worker id").max(256, "at most 256 workers")
  .refine((ids) => new Set(ids).size === ids.length, "a worker is listed twice");

export const queueRunInputSchema = z.object(ref).strict();
export const queueItemInputSchema = z.object({ ...ref, workerId: workerIdSchema }).strict();

export const queueAcceptInputSchema = z
  .object({
    ...ref,
    /** The workers to accept, in this order (after the items already in the queue). */
    workerIds: workerList.optional(),
    /** Accept every completed worker not merged yet, in the run's order. */
    allCompleted: z.literal(true, { error: "allCompleted is true or left out" }).optional(),
    /** Squash (one commit per worker, the default) or the worker's own commits. */
    strategy: z.enum(["squash", "commits"]).optional(),
    /** The branch to land on (default: the run's target branch). */
    target: branchNameSchema.optional(),
    /** Send held items back to their workers at once (default false). */
    autoSendBack: z.boolean().optional(),
  })
  .strict()
  .refine((v) => (v.workerIds === undefined) !== (v.allCompleted === undefined), { message: "give workerIds (a list, in order) or allCompleted: true — one of them", path: ["workerIds"] });
export type QueueAcceptInput = z.infer<typeof queueAcceptInputSchema>;

export const queueReorderInputSchema = z.object({ ...ref, order: workerList }).strict();
export type QueueReorderInput = z.infer<typeof queueReorderInputSchema>;

export const queueConfigureInputSchema = z.object({ ...ref, autoSendBack: z.boolean({ error: "autoSendBack is true or false" }) }).strict();

export const checkLogInputSchema = z
  .object({
    ...ref,
    workerId: workerIdSchema,
    /** Which build's log (default: the item's latest). */
    build: z.number().int().min(1).max(1_000_000).optional(),
    /** Read from this byte offset (default 0); -1: the last 64 KiB. */
    offset: z.number().int().min(-1).max(Number.MAX_SAFE_INTEGER).optional(),
  })
  .strict();
export type CheckLogInput = z.infer<typeof checkLogInputSchema>;

export const checkLogStreamInputSchema = z
  .object({
    ...ref,
    workerId: workerIdSchema,
    build: z.number().int().min(1).max(1_000_000).optional(),
    lastEventId: z.string().regex(/^\d{1,15}$/, "lastEventId is a byte offset").nullish(),
  })
  .strict();
