/**
 * Registered worker hosts (ARCHITECTURE.md §3 "Transports"), in the database and — like the
 * known repos — in `<data-dir>/hosts.json`, so a deleted database gets them back on the next
 * start. A host's record is data the user typed: every value is validated by the hosts schema
 * before it is stored, and quoted wherever it goes (ssh config, ssh argv, git).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { asc, eq, inArray } from "drizzle-orm";
import * as t from "../../../db/schema";
import { writeJsonAtomic } from "../../bridge/run-files";
import { PanelError } from "../../core/errors";
import type { HostSettings } from "../../core/hosts";
import type { Panel } from "../panel";
import { hostInputSchema, type HostInput } from "./schemas";

const hostsFile = (panel: Panel) => join(panel.config.dataDir, "hosts.json");

function fromRow(row: typeof t.hosts.$inferSelect): HostSettings {
  const s = hostInputSchema.safeParse({ ...(row.settings as object), id: row.id, destination: row.destination, clonePath: row.clonePath });
  if (!s.success) throw new PanelError("PRECONDITION_FAILED", `the stored settings of host ${row.id} are not valid (${s.error.issues[0]?.message ?? "?"}): edit the host`);
  return { ...s.data, createdAt: row.createdAt, updatedAt: row.updatedAt };
}

function toRow(h: HostSettings): typeof t.hosts.$inferInsert {
  const { id, destination, clonePath, createdAt, updatedAt, ...settings } = h;
  return { id, destination, clonePath, settings, createdAt, updatedAt };
}

const restored = new WeakSet<Panel>();

/** After the database was deleted: the hosts listed in hosts.json come back (once per panel). */
function restore(panel: Panel): void {
  if (restored.has(panel)) return;
  restored.add(panel);
  if (panel.db.select({ id: t.hosts.id }).from(t.hosts).limit(1).get() || !existsSync(hostsFile(panel))) return;
  try {
    const list = JSON.parse(readFileSync(hostsFile(panel), "utf8")) as unknown;
    for (const raw of Array.isArray(list) ? list : []) {
      const parsed = hostInputSchema.safeParse(raw);
      if (!parsed.success) continue; // a hand-edited entry that is not valid is left out
      const at = typeof (raw as { createdAt?: unknown }).createdAt === "string" ? (raw as { createdAt: string }).createdAt : new Date().toISOString();
      panel.db.insert(t.hosts).values(toRow({ ...parsed.data, createdAt: at, updatedAt: at })).onConflictDoNothing().run();
    }
  } catch {
    // an unreadable hosts.json: the hosts are added again by hand
  }
}

async function writeHostsFile(panel: Panel): Promise<void> {
  await writeJsonAtomic(hostsFile(panel), listHosts(panel), 0o600);
}

export function listHosts(panel: Panel): HostSettings[] {
  restore(panel);
  return panel.db.select().from(t.hosts).orderBy(asc(t.hosts.id)).all().map(fromRow);
}

export function findHost(panel: Panel, id: string): HostSettings | undefined {
  restore(panel);
  const row = panel.db.select().from(t.hosts).where(eq(t.hosts.id, id)).get();
  return row ? fromRow(row) : undefined;
}

export function getHost(panel: Panel, id: string): HostSettings {
  const h = findHost(panel, id);
  if (!h) throw new PanelError("NOT_FOUND", `host ${id} is not registered: add it on the Hosts page (or hosts.add)`);
  return h;
}

export async function addHost(panel: Panel, input: HostInput): Promise<HostSettings> {
  if (findHost(panel, input.id)) throw new PanelError("CONFLICT", `a host named ${input.id} is already registered: pick another name, or edit it`);
  const now = new Date().toISOString();
  const host: HostSettings = { ...input, createdAt: now, updatedAt: now };
  panel.db.insert(t.hosts).values(toRow(host)).run();
  await writeHostsFile(panel);
  return host;
}

export async function updateHost(panel: Panel, input: HostInput): Promise<HostSettings> {
  const old = getHost(panel, input.id);
  const host: HostSettings = { ...input, createdAt: old.createdAt, updatedAt: new Date().toISOString() };
  panel.db.update(t.hosts).set(toRow(host)).where(eq(t.hosts.id, input.id)).run();
  await writeHostsFile(panel);
  return host;
}

/** Runs (ids) with a worker on `hostId` that is pending or running. */
export function runsUsingHost(panel: Panel, hostId: string): string[] {
  const rows = panel.db.select({ record: t.runs.record, id: t.runs.id }).from(t.runs).where(inArray(t.runs.status, ["planned", "running", "stop_requested"])).all();
  return rows
    .filter((r) => ((r.record as { workers?: Array<{ host?: unknown; status?: unknown }> }).workers ?? []).some((w) => w.host === hostId && (w.status === "running" || w.status === "pending")))
    .map((r) => r.id);
}

export async function removeHost(panel: Panel, id: string): Promise<void> {
  getHost(panel, id);
  const using = runsUsingHost(panel, id);
  if (using.length > 0) throw new PanelError("CONFLICT", `host ${id} has workers in ${using.length} run(s) that are planned or running (${using.slice(0, 3).join(", ")}): stop them first; nothing was changed`);
  panel.db.delete(t.hosts).where(eq(t.hosts.id, id)).run();
  await writeHostsFile(panel);
}
