/**
 * A worker's result files, read as data (ARCHITECTURE.md §6): no symlinks, size-capped, every
 * field type-checked and size-limited. For a worker in the panel's layout these files are written
 * by the finish step, outside the sandbox, after the agent exited; the agent cannot write there.
 */
import { readJsonData } from "./run-files";
import { readFileNoFollowSync } from "./safe-fs.mjs";
import { RESULT_STATUSES } from "../core/enums";
import type { PanelWorker, WorkerResult } from "../core/records";

/** The largest result.json the panel reads (a larger one counts as missing); a host's result files are capped alike. */
export const MAX_RESULT_BYTES = 8 * 1024 * 1024;
const text = (v: unknown, max: number) => (typeof v === "string" ? v.slice(0, max) : "");
const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string").slice(0, 200).map((x) => x.slice(0, 20_000)) : []);

/** The worker's result.json, sanitized; undefined when missing or not a result. */
export function readResult(worker: Pick<PanelWorker, "resultPath">): WorkerResult | undefined {
  const raw = readJsonData<Record<string, unknown>>(worker.resultPath, MAX_RESULT_BYTES);
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return undefined;
  const status = (RESULT_STATUSES as readonly string[]).includes(raw.status as string) ? (raw.status as WorkerResult["status"]) : "error";
  return {
    role: text(raw.role, 200),
    label: text(raw.label, 200),
    status,
    summary: text(raw.summary, 20_000),
    claims: list(raw.claims),
    objections: list(raw.objections),
    openQuestions: list(raw.openQuestions),
    evidenceRefs: list(raw.evidenceRefs),
    error: text(raw.error, 20_000) || (status !== raw.status ? "the result had no valid status" : ""),
  };
}

/** The commit the finish step recorded (result.json.commit), when it is a commit id. */
export function readCommit(worker: Pick<PanelWorker, "resultPath">): string | undefined {
  try {
    const file = readFileNoFollowSync(`${worker.resultPath}.commit`, 200);
    const c = file?.data.toString("utf8").trim();
    return c && /^[0-9a-f]{40,64}$/.test(c) ? c : undefined;
  } catch {
    return undefined;
  }
}

/** The finish step wrote its exit file (it does so before the result, after the agent exited). */
export function finishStepRan(worker: Pick<PanelWorker, "exitCodePath">): boolean {
  return readJsonData<{ exitCode?: unknown }>(worker.exitCodePath, 4096)?.exitCode !== undefined;
}
