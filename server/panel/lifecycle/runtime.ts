/**
 * A LongTable CLI worker keeps its runtime files in its worktree (`.longtable-worker/`, 0.1.59+)
 * or in the run's `tasks/ results/ …` folders (0.1.57). Before the panel runs anything for such a
 * worker (launch, resume, follow-up) the worker moves to the panel's layout: its runtime files
 * from then on live in `workers/<workerId>/`, outside the agent-writable worktree. The old files
 * stay where they are, as the CLI wrote them.
 */
import { mkdir } from "node:fs/promises";
import { workerLayout } from "../../bridge/layout";
import type { RunDoor } from "../door";
import { workerPatched } from "../machine";

export async function moveRuntimeOut(door: RunDoor, workerIds: readonly string[]): Promise<void> {
  const run = door.current;
  for (const id of workerIds) {
    const worker = run.workers.find((w) => w.id === id);
    if (!worker || worker.runtimeLayout === "panel") continue;
    const l = workerLayout(run.workingDirectory, run.id, id, "panel");
    await mkdir(l.runtimeDir, { recursive: true, mode: 0o700 });
    await door.apply((r) =>
      workerPatched(r, id, {
        runtimeLayout: "panel",
        taskPath: l.taskPath, resultPath: l.resultPath, logPath: l.logPath, launcherPath: l.launcherPath,
        exitCodePath: l.exitCodePath, mailboxPath: l.mailboxPath, taskStatePath: l.taskStatePath,
        diagnostics: [...worker.diagnostics, `Runtime files moved out of the worktree (from the LongTable CLI's ${worker.runtimeLayout} layout) before the panel ran anything for it.`],
      }, new Date().toISOString()),
    );
  }
}
