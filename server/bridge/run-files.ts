/**
 * Files of a run folder (ARCHITECTURE.md §4): atomic JSON writes, the events.jsonl log, and
 * reading run records. Nothing here follows a symbolic link (safe-fs.mjs).
 */
import { existsSync } from "node:fs";
import { mkdir, readdir } from "node:fs/promises";
import { RUN_ID_PATTERN } from "../core/ids";
import type { PanelEvent, PanelRun } from "../core/records";
import { runLayout, runsRoot } from "./layout";
import { MAX_RECORD_BYTES, RecordError, normalizeRunRecord } from "./run-record";
import { appendFileNoFollowSync, readFileNoFollowSync, writeFileAtomicSync } from "./safe-fs.mjs";

export { runsRoot };

export async function writeJsonAtomic(path: string, value: unknown, mode?: number, fsync = false): Promise<void> {
  writeFileAtomicSync(path, `${JSON.stringify(value, null, 2)}\n`, { mode, fsync });
}

export async function writeFileAtomic(path: string, text: string | Buffer, mode?: number): Promise<void> {
  writeFileAtomicSync(path, text, { mode });
}

export async function appendEvents(path: string, events: readonly PanelEvent[]): Promise<void> {
  if (events.length === 0) return;
  appendFileNoFollowSync(path, events.map((e) => `${JSON.stringify(e)}\n`).join(""));
}

/** The largest events.jsonl read at all (a run has a few hundred lifecycle events). */
export const MAX_EVENTS_BYTES = 64 * 1024 * 1024;

export async function readEvents(path: string): Promise<PanelEvent[]> {
  const file = readFileNoFollowSync(path, MAX_EVENTS_BYTES);
  if (!file) return [];
  const out: PanelEvent[] = [];
  for (const line of file.data.toString("utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as PanelEvent;
      if (e && typeof e.id === "string" && /^event_[a-z0-9_]{4,40}$/.test(e.id) && typeof e.type === "string" && typeof e.message === "string") {
        out.push({
          id: e.id,
          createdAt: typeof e.createdAt === "string" ? e.createdAt.slice(0, 40) : new Date(0).toISOString(),
          type: e.type.slice(0, 60),
          message: e.message.slice(0, 4000),
          ...(typeof e.workerId === "string" ? { workerId: e.workerId.slice(0, 60) } : {}),
          ...(typeof e.path === "string" ? { path: e.path.slice(0, 4096) } : {}),
        });
      }
    } catch {
      // A torn last line (the writer was killed mid-append) is skipped, never fatal.
    }
  }
  return out;
}

export async function listRunIds(repoPath: string): Promise<string[]> {
  const root = runsRoot(repoPath);
  if (!existsSync(root)) return [];
  const entries = await readdir(root, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory() && RUN_ID_PATTERN.test(e.name)).map((e) => e.name).sort();
}

/** A run record from disk, normalized (see run-record.ts); undefined when there is no run.json. */
export async function readRunRecord(repoPath: string, runId: string): Promise<{ run: PanelRun; problems: string[] } | undefined> {
  const path = runLayout(repoPath, runId).runJson;
  const file = readFileNoFollowSync(path, MAX_RECORD_BYTES);
  if (!file) return undefined;
  if (file.truncated) throw new RecordError(`${path} is larger than ${MAX_RECORD_BYTES} bytes`);
  let raw: unknown;
  try {
    raw = JSON.parse(file.data.toString("utf8"));
  } catch (error) {
    throw new RecordError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  return normalizeRunRecord(raw, repoPath, runId);
}

export async function ensureDir(path: string, mode?: number): Promise<void> {
  await mkdir(path, { recursive: true, mode });
}

/** A JSON file the panel reads as data (size-capped, no symlinks); undefined when missing or invalid. */
export function readJsonData<T>(path: string, maxBytes = 16 * 1024 * 1024): T | undefined {
  try {
    const file = readFileNoFollowSync(path, maxBytes);
    if (!file || file.truncated) return undefined;
    return JSON.parse(file.data.toString("utf8")) as T;
  } catch {
    return undefined;
  }
}
