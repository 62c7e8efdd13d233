/**
 * At start (ARCHITECTURE.md §3 "Workers outlive the server"): for each unfinished run THIS panel
 * created, finish an interrupted stop and relaunch interrupted launches; the caller then checks the
 * running workers (adopting live panes, applying results written meanwhile). Runs found on disk
 * that this panel did not create are left exactly as they are.
 */
import { existsSync } from "node:fs";
import { inArray } from "drizzle-orm";
import * as t from "../../db/schema";
import { changeRun } from "../panel/door";
import { launchWorkers } from "../panel/lifecycle/launch";
import { finishStop } from "../panel/lifecycle/stop";
import type { Panel } from "../panel/panel";
import { findRun } from "../panel/runs/queries";

/** Reconcile the panel's unfinished runs; returns their ids (to be checked next). */
export async function reconcile(panel: Panel): Promise<string[]> {
  const rows = panel.db.select({ id: t.runs.id }).from(t.runs).where(inArray(t.runs.status, ["running", "stop_requested"])).all();
  const ids: string[] = [];
  for (const { id } of rows) {
    if (!findRun(panel, id)?.owned) continue;
    ids.push(id);
    await changeRun(panel, id, async (door) => {
      const run = door.current;
      if (run.status === "stop_requested" || (existsSync(run.stopFilePath) && run.workers.some((x) => x.status === "stop_requested"))) {
        await finishStop(panel, door);
        return;
      }
      const interrupted = run.workers
        .filter((x) => x.status === "pending" && ["provisioning", "provisioned", "launching", "not_started"].includes(x.executionState))
        .map((x) => x.id);
      if (interrupted.length) await launchWorkers(panel, door, interrupted);
    });
  }
  return ids;
}
