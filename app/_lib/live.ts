import type { Usage } from "@/server/core/records";
import type { EventData } from "@/server/panel/door";

/*
 * The server's names: a lifecycle event as the subscriptions deliver it (plain JSON) is a
 * `BusEvent`, one agent step an `ActivityEvent`; the run and worker state an event carries is
 * its `EventData` (a `WorkerSnapshot` per worker).
 */
export type { ActivityEvent, BusEvent } from "@/server/events/bus";
export type { EventData, WorkerSnapshot } from "@/server/panel/door";

export type { Usage };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The run and worker state an event carries, when it carries one (older rows may not). */
export function eventData(e: { data: unknown }): EventData | null {
  const d = e.data;
  if (!isObject(d) || !isObject(d.run) || !Array.isArray(d.workers)) return null;
  return d as unknown as EventData;
}

export function usageOf(data: unknown): Usage | null {
  if (!isObject(data)) return null;
  const n = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);
  if (!("inputTokens" in data) && !("outputTokens" in data)) return null;
  const cost = data.costUsd;
  return {
    inputTokens: n(data.inputTokens), cachedInputTokens: n(data.cachedInputTokens), outputTokens: n(data.outputTokens),
    ...(typeof cost === "number" && Number.isFinite(cost) && cost >= 0 ? { costUsd: cost } : {}),
  };
}

export const FINISHED_RUN_STATUSES = ["completed", "blocked", "failed", "stopped"] as const;
export const TERMINAL_RUN_STATUSES = ["completed", "blocked", "stopped", "degraded", "failed"] as const;

export const isFinishedRun = (status: string) => (FINISHED_RUN_STATUSES as readonly string[]).includes(status);
export const isTerminalRun = (status: string) => (TERMINAL_RUN_STATUSES as readonly string[]).includes(status);

export interface ResultMessage {
  role: string;
  label: string;
  status: string;
  summary: string;
  claims: number;
  objections: number;
  openQuestions: number;
}

/**
 * The agent's final message is its result as JSON (codex --output-schema). Recognise it, so the
 * UI shows "result: completed — summary" instead of a wall of JSON.
 */
export function parseResultMessage(text: string): ResultMessage | null {
  const t = text.trim();
  if (!t.startsWith("{") || !t.endsWith("}")) return null;
  try {
    const v = JSON.parse(t) as unknown;
    if (!isObject(v) || typeof v.status !== "string" || typeof v.summary !== "string") return null;
    const count = (x: unknown) => (Array.isArray(x) ? x.length : 0);
    return {
      role: typeof v.role === "string" ? v.role : "",
      label: typeof v.label === "string" ? v.label : "",
      status: v.status,
      summary: v.summary,
      claims: count(v.claims),
      objections: count(v.objections),
      openQuestions: count(v.openQuestions),
    };
  } catch {
    return null;
  }
}
