import { z } from "zod";
import { createId, runIdSchema } from "../../core/ids";
import { PanelError } from "../../core/errors";
import { changeRun } from "../door";
import { decisionRecorded } from "../machine-review";
import type { Panel } from "../panel";
import type { Decision } from "../../core/records";
import { getRun } from "../runs/queries";

export const DECISION_PRESETS = ["revise", "evidence", "proceed", "defer"] as const;

export const decideInputSchema = z.object({
  runId: runIdSchema,
  answer: z.string().trim().min(1, "say what you decided").max(200).refine((s) => !/[\u0000-\u001f\u007f]/.test(s), "no control characters"),
  note: z.string().max(10_000).optional(),
});

/** Record the researcher's next decision after a run (DESIGN: decision checkpoint). */
export async function decide(panel: Panel, input: z.infer<typeof decideInputSchema>): Promise<Decision> {
  return changeRun(panel, input.runId, async (door) => {
    if (!["completed", "blocked", "failed", "stopped"].includes(door.current.status)) {
      throw new PanelError("CONFLICT", `run is ${door.current.status}; record a decision once it has finished`);
    }
    const createdAt = new Date().toISOString();
    const decision: Decision = { id: createId("decision"), answer: input.answer, note: input.note?.trim() || undefined, createdAt };
    await door.apply((run) => decisionRecorded(run, decision));
    return decision;
  });
}

export function decisions(panel: Panel, runId: string): Decision[] {
  return [...(getRun(panel, runId).decisions ?? [])].reverse();
}
