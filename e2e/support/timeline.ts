import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "@playwright/test";
import { runDirOf } from "./fake-script";

/** A run's lifecycle log on disk: one JSON object per line, in the order it was written. */
export function eventsOnDisk(repo: string, runId: string): { id: string; type: string }[] {
  return readFileSync(join(runDirOf(repo, runId), "events.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { id: string; type: string });
}

/** The run page's timeline rows, in page order. */
export async function timelineRows(page: Page) {
  return page.getByTestId("timeline-row").evaluateAll((rows) =>
    rows.map((r) => ({ seq: Number(r.getAttribute("data-seq")), id: r.getAttribute("data-event-id") ?? "", type: r.getAttribute("data-type") ?? "" })),
  );
}

/** The run record on disk (run.json), for waits that must not go through the browser's connection. */
export function runOnDisk(repo: string, runId: string): { status: string; workers: { id: string; status: string }[] } {
  return JSON.parse(readFileSync(join(runDirOf(repo, runId), "run.json"), "utf8"));
}
