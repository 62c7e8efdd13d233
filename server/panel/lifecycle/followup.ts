/**
 * Request changes: the user's feedback goes to the worker's mailbox and the worker runs a
 * follow-up turn (`codex exec resume <thread_id>`) in the same worktree and tmux window: a new
 * attempt, a new commit, a new result.
 */
import { z } from "zod";
import { agentFor } from "../../agents/registry";
import { workerLayout } from "../../bridge/layout";
import { appendFileNoFollowSync } from "../../bridge/safe-fs.mjs";
import { sessionNameFor } from "../../bridge/tmux";
import { PanelError } from "../../core/errors";
import { createId, runIdSchema, workerIdSchema } from "../../core/ids";
import type { PanelWorker, WorkerRuntime } from "../../core/records";
import { changeRun } from "../door";
import { followUpStarted } from "../machine-review";
import type { Panel } from "../panel";
import { listRoles } from "../roles/catalog";
import { getRun } from "../runs/queries";
import { localTransport, transportFor } from "../transports";
import { prepareAttempt } from "./attempt";
import { moveRuntimeOut } from "./runtime";

export const followUpInputSchema = z.object({
  runId: runIdSchema,
  workerId: workerIdSchema,
  message: z.string().trim().min(1, "write what should change").max(50_000),
  /** Lines of the diff the feedback refers to. */
  quotes: z.array(z.object({ path: z.string().max(4096), line: z.number().int().min(0).optional(), text: z.string().max(4000) })).max(50).optional(),
});
export type FollowUpInput = z.infer<typeof followUpInputSchema>;

function followUpText(worker: PanelWorker, input: FollowUpInput): string {
  const quotes = (input.quotes ?? []).map((q) => `> ${q.path}${q.line !== undefined ? `:${q.line}` : ""}\n> ${q.text.split("\n").join("\n> ")}`);
  return [
    "Follow-up from the researcher (LongTable panel review):",
    "",
    input.message,
    ...(quotes.length ? ["", "Referring to these lines of your diff:", "", ...quotes] : []),
    "",
    "Make the requested changes in your worktree. Then answer again with JSON matching the output schema,",
    `with role ${JSON.stringify(worker.role)} and label ${JSON.stringify(worker.label)}.`,
    "",
  ].join("\n");
}

export async function requestFollowUp(panel: Panel, input: FollowUpInput): Promise<PanelWorker> {
  await changeRun(panel, input.runId, async (door) => {
    let worker = door.current.workers.find((x) => x.id === input.workerId);
    if (!worker) throw new PanelError("NOT_FOUND", `worker ${input.workerId} was not found in run ${input.runId}`);
    if (worker.status === "running" || worker.status === "pending") {
      throw new PanelError("CONFLICT", `${worker.label} is ${worker.status}; wait for its result before requesting changes`);
    }
    const threadId = worker.threadId;
    if (!threadId) {
      throw new PanelError("PRECONDITION_FAILED", `${worker.label} has no agent thread to resume (it never started a turn); resume the run instead`);
    }
    if (!agentFor(worker.agent).threadIdPattern.test(threadId)) {
      throw new PanelError("PRECONDITION_FAILED", `${worker.label}'s recorded thread id is not one its agent could have given; resume the run instead`);
    }
    const transport = transportFor(panel, worker);
    const worktreeThere = workerLayout(transport.root(door.current), door.current.id, worker.id).worktreePath;
    if (worker.cleanupStatus === "removed" || !(await transport.exists(worktreeThere))) {
      throw new PanelError("PRECONDITION_FAILED", `${worker.label}'s worktree was removed; changes cannot be requested any more`);
    }
    if (door.current.bridgeStatus === "shutdown") throw new PanelError("CONFLICT", "the run was shut down");
    if (door.current.status === "stopped" || door.current.status === "stop_requested" || (await localTransport(panel).exists(door.current.stopFilePath))) {
      throw new PanelError("CONFLICT", "the run is stopped; resume it before requesting changes");
    }
    await moveRuntimeOut(door, [worker.id]);
    worker = door.current.workers.find((x) => x.id === input.workerId)!;
    const now = new Date().toISOString();
    appendFileNoFollowSync(worker.mailboxPath, `${JSON.stringify({ id: createId("message"), createdAt: now, from: "researcher", kind: "followup", message: input.message, quotes: input.quotes ?? [] })}\n`);
    const brief = listRoles(panel).find((r) => r.id === worker!.role)?.brief ?? "";
    const { argv, cwd } = await prepareAttempt(panel, door.current, worker, { brief, followUp: { threadId, text: followUpText(worker, input) } });
    const tmux = transport.tmux;
    const session = sessionNameFor(door.current.id);
    const where = transport.hostId ? { host: transport.hostId } : {};
    const panes = await tmux.listPanes();
    const pane = panes.find((p) => p.session === session && p.window === worker!.id);
    let runtime: WorkerRuntime;
    if (pane) {
      await tmux.respawn(pane.paneId, cwd, argv);
      runtime = { ...worker.runtime, transport: "tmux", paneId: pane.paneId, session, window: worker.id, socket: tmux.socket, launchedAt: now, ...where };
    } else {
      const opened = await tmux.openWindow(session, worker.id, cwd, argv);
      runtime = { transport: "tmux", paneId: opened.paneId, session, window: worker.id, windowIndex: opened.windowIndex, socket: tmux.socket, launchedAt: now, ...where };
    }
    await door.apply((run) => followUpStarted(run, worker!.id, runtime, input.message, now));
    transport.watch(door.current, door.current.workers.find((x) => x.id === input.workerId)!);
  });
  return getRun(panel, input.runId).workers.find((x) => x.id === input.workerId)!;
}
