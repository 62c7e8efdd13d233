/**
 * Agents as a choice per member, in the records: a role's default agent (custom_roles.default_agent,
 * migration 0001), runs.create's members with an agent and a model, and records without an agent
 * (older runs, the LongTable CLI's) read as codex.
 */
import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { normalizeRunRecord } from "@/server/bridge/run-record";
import { callerFor, closePanel, openTestPanel } from "../support/panel";
import { makeRepo, removeDir, tempDir } from "../support/repo";

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function panel(dataDir?: string) {
  const p = openTestPanel(dataDir ? { dataDir } : {});
  cleanups.push(async () => {
    await closePanel(p);
    removeDir(p.config.dataDir);
  });
  return p;
}

describe("a role's default agent", () => {
  it("built-in roles are codex; a custom role keeps the agent it was saved with; bad input changes nothing", async () => {
    const api = callerFor(panel());
    const builtIn = await api.roles.list();
    expect(new Set(builtIn.map((r) => r.defaultAgent))).toEqual(new Set(["codex"]));

    expect(await api.roles.create({ id: "implementer", label: "Implementer", brief: "Implement it.", defaultAgent: "claude" })).toMatchObject({ id: "implementer", defaultAgent: "claude", custom: true });
    expect((await api.roles.list()).find((r) => r.id === "implementer")!.defaultAgent).toBe("claude");
    // Saved again without an agent (e.g. a new brief): the agent stays.
    expect(await api.roles.create({ id: "implementer", label: "Implementer", brief: "Implement it, with tests." })).toMatchObject({ defaultAgent: "claude", brief: "Implement it, with tests." });
    await expect(api.roles.create({ id: "implementer", label: "Implementer", brief: "x", defaultAgent: "gemini" as never })).rejects.toThrow(/defaultAgent|Invalid option/);
    expect((await api.roles.list()).find((r) => r.id === "implementer")).toMatchObject({ defaultAgent: "claude", brief: "Implement it, with tests." });
    expect(await api.roles.create({ id: "tester", label: "Tester", brief: "Test it." })).toMatchObject({ defaultAgent: "codex" });

    // A run made with role ids only (no member agents): each member gets its role's default agent.
    const repo = makeRepo();
    cleanups.push(() => removeDir(repo));
    const run = await api.runs.create({ repoPath: repo, prompt: "defaults", roles: ["implementer", "tester", "reviewer"], mode: "draft" });
    expect(run.workers.map((w) => [w.role, w.agent])).toEqual([["implementer", "claude"], ["tester", "codex"], ["reviewer", "codex"]]);
  });

  it("a database from before agents were a choice migrates: its custom roles read as codex; a value this version does not know reads as codex too", async () => {
    // A database made by the first migration only, with a custom role in it.
    const dataDir = tempDir("ltp-data-");
    const old = join(dataDir, "old-migrations");
    mkdirSync(join(old, "meta"), { recursive: true });
    cpSync(join(process.cwd(), "db", "migrations", "0000_init.sql"), join(old, "0000_init.sql"));
    const journal = JSON.parse(readFileSync(join(process.cwd(), "db", "migrations", "meta", "_journal.json"), "utf8")) as { entries: unknown[] };
    writeFileSync(join(old, "meta", "_journal.json"), JSON.stringify({ ...journal, entries: journal.entries.slice(0, 1) }));
    const sqlite = new Database(join(dataDir, "panel.db"));
    migrate(drizzle(sqlite), { migrationsFolder: old });
    expect((sqlite.prepare("select name from pragma_table_info('custom_roles')").all() as { name: string }[]).map((c) => c.name)).not.toContain("default_agent");
    sqlite.prepare("insert into custom_roles (id, label, brief) values ('archivist', 'Archivist', 'Keep the records.')").run();
    sqlite.close();

    const p = panel(dataDir);
    const api = callerFor(p);
    expect((await api.roles.list()).find((r) => r.id === "archivist")).toMatchObject({ label: "Archivist", defaultAgent: "codex" });
    p.dbh.sqlite.prepare("update custom_roles set default_agent = 'gemini' where id = 'archivist'").run();
    expect((await api.roles.list()).find((r) => r.id === "archivist")!.defaultAgent).toBe("codex");
  });
});

describe("members with an agent and a model", () => {
  it("runs.create keeps each member's agent and model in the record and run.json; a bad agent or model is refused and nothing is created", async () => {
    const p = panel();
    const api = callerFor(p);
    const repo = makeRepo();
    cleanups.push(() => removeDir(repo));
    const run = await api.runs.create({
      repoPath: repo, prompt: "p", mode: "review",
      members: [{ role: "reviewer", agent: "codex" }, { role: "reviewer", agent: "claude", model: "claude-sonnet-4-5" }, { role: "editor", agent: "command" }],
    });
    expect(run.workers.map((w) => [w.id, w.agent, w.model ?? null])).toEqual([
      ["worker-1-reviewer", "codex", null], ["worker-2-reviewer", "claude", "claude-sonnet-4-5"], ["worker-3-editor", "command", null],
    ]);
    const onDisk = JSON.parse(readFileSync(join(run.runDirectory, "run.json"), "utf8")) as { workers: Array<{ agent: string; model?: string }> };
    expect(onDisk.workers.map((w) => [w.agent, w.model ?? null])).toEqual([["codex", null], ["claude", "claude-sonnet-4-5"], ["command", null]]);
    expect(readFileSync(run.eventLogPath, "utf8")).toContain("(codex + claude + command)");

    await expect(api.runs.create({ repoPath: repo, prompt: "p", mode: "review", members: [{ role: "reviewer", agent: "gemini" as never }] })).rejects.toThrow();
    await expect(api.runs.create({ repoPath: repo, prompt: "p", mode: "review", members: [{ role: "reviewer", agent: "claude", model: "--dangerously-skip-permissions" }] })).rejects.toThrow(/model name/);
    expect((await api.runs.list({})).items).toHaveLength(1);
  });

  it("records without an agent (older runs, the LongTable CLI's) read as codex; an unknown agent too", () => {
    const repo = "/r";
    const runId = "panel_run_mx0abc12_abcdef12";
    const worker = (extra: Record<string, unknown>) => ({ id: "worker-1-reviewer", role: "reviewer", label: "Reviewer", status: "completed", ...extra });
    const record = (w: Record<string, unknown>) => ({ id: runId, createdAt: "2026-11-01T00:00:00.000Z", status: "completed", mode: "review", prompt: "p", workers: [w] });
    expect(normalizeRunRecord(record(worker({})), repo, runId).run.workers[0]!.agent).toBe("codex");
    expect(normalizeRunRecord(record(worker({ agent: "gemini" })), repo, runId).run.workers[0]!.agent).toBe("codex");
    expect(normalizeRunRecord(record(worker({ agent: "claude", model: "sonnet" })), repo, runId).run.workers[0]).toMatchObject({ agent: "claude", model: "sonnet" });
  });
});
