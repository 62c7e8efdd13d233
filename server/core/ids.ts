import { randomBytes } from "node:crypto";
import { z } from "zod";

/**
 * Every id that can reach a path, a git ref or a tmux target is checked against one of these
 * patterns before use. None allows `.`, `/`, whitespace or shell metacharacters.
 */
export const RUN_ID_PATTERN = /^panel_run_[a-z0-9]{6,16}_[a-z0-9]{4,16}$/;
export const ROLE_ID_PATTERN = /^[a-z][a-z0-9_]{0,39}$/;
export const WORKER_ID_PATTERN = /^worker-[1-9][0-9]{0,2}-[a-z][a-z0-9_]{0,39}$/;
export const REPO_ID_PATTERN = /^repo_[a-f0-9]{12}$/;
export const EVENT_ID_PATTERN = /^event_[a-z0-9]{6,16}_[a-z0-9]{4,16}$/;

export const runIdSchema = z.string().regex(RUN_ID_PATTERN, "not a panel run id (panel_run_<time>_<random>)");
export const roleIdSchema = z
  .string()
  .regex(ROLE_ID_PATTERN, "role ids are lower-case letters, digits and _, starting with a letter (max 40)");
export const workerIdSchema = z.string().regex(WORKER_ID_PATTERN, "not a worker id (worker-<n>-<role>)");
export const repoIdSchema = z.string().regex(REPO_ID_PATTERN, "not a repo id");

function randomBase36(length: number): string {
  const bytes = randomBytes(length);
  let out = "";
  for (const b of bytes) out += (b % 36).toString(36);
  return out;
}

export function createId(prefix: string, now = Date.now()): string {
  return `${prefix}_${now.toString(36)}_${randomBase36(8)}`;
}

export const newRunId = (now?: number) => createId("panel_run", now);
export const newEventId = (now?: number) => createId("event", now);

export function workerIdFor(index: number, role: string): string {
  const id = `worker-${index + 1}-${role}`;
  if (!WORKER_ID_PATTERN.test(id)) throw new Error(`invalid worker id ${JSON.stringify(id)}`);
  return id;
}

export function branchFor(runId: string, workerId: string): string {
  assertId(RUN_ID_PATTERN, runId, "run id");
  assertId(WORKER_ID_PATTERN, workerId, "worker id");
  return `longtable/panel/${runId}/${workerId}`;
}

export function assertId(pattern: RegExp, value: unknown, what: string): asserts value is string {
  if (typeof value !== "string" || !pattern.test(value)) {
    throw new Error(`invalid ${what}: ${JSON.stringify(value)}`);
  }
}
