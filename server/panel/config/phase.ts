/**
 * The setup phase as the supervisor sees it (ARCHITECTURE.md §10): the launcher writes
 * setup.exit.json in the worker's runtime folder (where neither setup nor the agent can write)
 * when setup ends; this turns it into `setup passed` or a failed worker with the exit code and the
 * last lines of setup's output.
 */
import { workerLayout } from "../../bridge/layout";
import { lastLines, readFileTail } from "../../bridge/run-captured";
import { readJsonData } from "../../bridge/run-files";
import type { RunDoor } from "../door";
import { setupFinished } from "../machine-setup";

/** Apply the worker's setup exit when the launcher wrote it; true when it did. */
export async function applySetupExit(door: RunDoor, workerId: string): Promise<boolean> {
  const w = door.current.workers.find((x) => x.id === workerId);
  if (!w || w.status !== "running" || w.setup?.state !== "running" || w.runtimeLayout !== "panel") return false;
  const layout = workerLayout(door.current.workingDirectory, door.current.id, workerId);
  const exit = readJsonData<{ exitCode?: unknown; finishedAt?: unknown }>(layout.setupExitPath, 4096);
  if (!exit || !Number.isInteger(exit.exitCode)) return false;
  const exitCode = exit.exitCode as number;
  const finishedAt = typeof exit.finishedAt === "string" && !Number.isNaN(Date.parse(exit.finishedAt)) ? exit.finishedAt : new Date().toISOString();
  const tail = exitCode === 0 ? "" : lastLines(readFileTail(layout.setupLogPath));
  await door.apply((run) => setupFinished(run, workerId, { exitCode, finishedAt, tail }, new Date().toISOString()));
  return true;
}
