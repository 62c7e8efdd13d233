import type { PanelRun, PanelWorker } from "../core/records";
import { PANEL_WORKER_OUTPUT_SCHEMA } from "../core/records";

const MODE_GUIDANCE: Record<string, string> = {
  review: "Review the work. You may take notes in the worktree, but keep edits to what your role needs.",
  critique: "Critique the work from your role's angle. Prefer findings over edits.",
  draft: "Draft changes in the worktree: edit, add or delete files as your role calls for.",
  commit: "Make the changes the prompt asks for in the worktree; they are committed when you finish.",
};

/** task.md: what the worker is asked to do, given to the agent on stdin. */
export function workerTaskText(run: PanelRun, worker: PanelWorker, brief: string): string {
  return [
    "LongTable native panel worker",
    "",
    `Role: ${worker.label} (${worker.role})`,
    `Run: ${run.id}`,
    `Invocation: ${run.invocationId}`,
    `Panel plan: ${run.planId}`,
    `Mode: ${run.mode}`,
    "",
    "Role brief:",
    brief,
    "",
    "Instructions:",
    `- ${MODE_GUIDANCE[run.mode] ?? MODE_GUIDANCE.review}`,
    "- Work only inside your writable worker worktree; never change the leader checkout.",
    "- Do not expose or persist hidden reasoning, private tool traces or chain-of-thought.",
    "- Your changes are committed for you when you finish; do not run git commit yourself.",
    "- Your final message must be JSON matching the output schema, with exactly these fields:",
    `  ${JSON.stringify(Object.keys(PANEL_WORKER_OUTPUT_SCHEMA.properties))}`,
    `- Use role ${JSON.stringify(worker.role)} and label ${JSON.stringify(worker.label)}; status is completed, blocked or error.`,
    "",
    `Writable worker worktree: ${worker.worktreePath}`,
    "",
    "Research object:",
    run.prompt,
    "",
  ].join("\n");
}
