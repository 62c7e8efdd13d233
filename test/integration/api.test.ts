import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { TRPCError } from "@trpc/server";
import { afterEach, describe, expect, it } from "vitest";
import { createPanel } from "@/server/panel/panel";
import { reindexFromDisk } from "@/server/panel/runs/rebuild";
import { makeRepo, removeDir, sh, tempDir } from "../support/repo";
import { callerFor, closePanel, openTestPanel } from "../support/panel";

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function setup() {
  const panel = openTestPanel();
  const repo = makeRepo();
  cleanups.push(() => removeDir(repo), () => removeDir(panel.config.dataDir), () => closePanel(panel));
  return { panel, repo, api: callerFor(panel) };
}

async function expectCode(p: Promise<unknown>, code: string) {
  const error = await p.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(TRPCError);
  expect((error as TRPCError).code).toBe(code);
  return error as TRPCError;
}

describe("runs API", () => {
  it("creates a run: run directory on disk, indexed in SQLite, listed and fetched", async () => {
    const { panel, repo, api } = setup();
    const prompt = `Review this; it's "quoted" $(touch /tmp/pwned) \`id\` ; rm -rf / \n-leading dash\nüñíçødé`;
    const run = await api.runs.create({ repoPath: repo, prompt, roles: ["reviewer", "methods_critic"], mode: "review" });
    expect(run.status).toBe("planned");
    expect(run.workers.map((w) => w.id)).toEqual(["worker-1-reviewer", "worker-2-methods_critic"]);
    const dir = join(repo, ".longtable", "panel-runs", run.id);
    for (const f of ["run.json", "schema.json", "panel-worker-output.schema.json", "events.jsonl"]) expect(existsSync(join(dir, f))).toBe(true);
    const onDisk = JSON.parse(readFileSync(join(dir, "run.json"), "utf8"));
    expect(onDisk.prompt).toBe(prompt);
    expect(JSON.parse(readFileSync(join(dir, "schema.json"), "utf8"))).toMatchObject({ schemaVersion: 1, kind: "longtable.panelWorkerRun" });
    const firstEvent = JSON.parse(readFileSync(join(dir, "events.jsonl"), "utf8").split("\n")[0]!);
    expect(firstEvent.type).toBe("run_created");
    // the leader's status stays clean: .longtable/ is excluded through info/exclude
    expect(sh(repo, "git", ["status", "--porcelain"])).toBe("");
    expect(existsSync("/tmp/pwned")).toBe(false);

    const listed = await api.runs.list({});
    expect(listed.items.map((r) => r.id)).toEqual([run.id]);
    expect(listed.items[0]).toMatchObject({ memberCount: 2, status: "planned", repoPath: repo });
    const got = await api.runs.get({ runId: run.id });
    expect(got.prompt).toBe(prompt);
    expect(got.targetBranch).toBe("main");
    expect(panel.dbh.sqlite.prepare("select count(*) n from events where run_id = ?").get(run.id)).toEqual({ n: 1 });
  });

  it("validates input: BAD_REQUEST with zod issues, NOT_FOUND for unknown ids, nothing written", async () => {
    const { repo, api } = setup();
    const bad = [
      { repoPath: repo, prompt: "   ", roles: ["reviewer"], mode: "review" },
      { repoPath: repo, prompt: "x", roles: [], mode: "review" },
      { repoPath: repo, prompt: "x", roles: Array(33).fill("reviewer"), mode: "review" },
      { repoPath: repo, prompt: "x", roles: ["reviewer"], mode: "yolo" },
      { repoPath: repo, prompt: "x".repeat(100 * 1024 + 1), roles: ["reviewer"], mode: "review" },
      { repoPath: repo, prompt: "x", roles: ["../evil"], mode: "review" },
      { repoPath: repo, prompt: "x", roles: ["rm -rf"], mode: "review" },
    ];
    for (const input of bad) {
      const e = await expectCode(api.runs.create(input as never), "BAD_REQUEST");
      expect(e.cause).toBeDefined();
    }
    await expectCode(api.runs.create({ repoPath: repo, prompt: "x", roles: ["no_such_role"], mode: "review" }), "BAD_REQUEST");
    const notRepo = tempDir();
    cleanups.push(() => removeDir(notRepo));
    await expectCode(api.runs.create({ repoPath: notRepo, prompt: "x", roles: ["reviewer"], mode: "review" }), "BAD_REQUEST");
    await expectCode(api.runs.create({ repoPath: "relative/../path", prompt: "x", roles: ["reviewer"], mode: "review" }), "BAD_REQUEST");
    expect(existsSync(join(repo, ".longtable"))).toBe(false);
    expect((await api.runs.list({})).items).toHaveLength(0);

    await expectCode(api.runs.get({ runId: "panel_run_zzzzzz_zzzz" }), "NOT_FOUND");
    for (const runId of ["../x", "panel_run_a/b", "panel_run_aaaaaa_aaaa;ls", "panel_run_aaaaaa_aaaa bb"]) {
      await expectCode(api.runs.get({ runId }), "BAD_REQUEST");
    }
  });

  it("refuses mutations to a viewer", async () => {
    const { panel, repo } = setup();
    const viewer = callerFor(panel, "viewer");
    await expectCode(viewer.runs.create({ repoPath: repo, prompt: "x", roles: ["reviewer"], mode: "review" }), "FORBIDDEN");
    await expectCode(viewer.repos.add({ path: repo }), "FORBIDDEN");
    await expectCode(viewer.roles.create({ id: "tester", label: "Tester", brief: "Tests." }), "FORBIDDEN");
    expect(await viewer.runs.list({})).toEqual({ items: [], nextCursor: null });
    expect(existsSync(join(repo, ".longtable"))).toBe(false);
  });

  it("pages and filters the runs list", async () => {
    const { repo, api } = setup();
    const other = makeRepo();
    cleanups.push(() => removeDir(other));
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await api.runs.create({ repoPath: i % 2 ? other : repo, prompt: `p${i}`, roles: ["reviewer"], mode: "review" })).id);
    const page1 = await api.runs.list({ limit: 2 });
    const page2 = await api.runs.list({ limit: 2, cursor: page1.nextCursor! });
    const page3 = await api.runs.list({ limit: 2, cursor: page2.nextCursor! });
    expect(page3.nextCursor).toBeNull();
    expect([...page1.items, ...page2.items, ...page3.items].map((r) => r.id)).toEqual([...ids].reverse());
    const repos = await api.repos.list();
    const otherId = repos.find((r) => r.path === other)!.id;
    expect((await api.runs.list({ repoId: otherId })).items).toHaveLength(2);
    expect((await api.runs.list({ status: "planned" })).items).toHaveLength(5);
    expect((await api.runs.list({ status: "running" })).items).toHaveLength(0);
    await expectCode(api.runs.list({ cursor: "garbage" }), "BAD_REQUEST");
  });

  it("keeps custom roles and uses their labels", async () => {
    const { repo, api } = setup();
    await api.roles.create({ id: "implementer", label: `Implementer "$(x)"`, brief: "Implements; `rm -rf`." });
    const roles = await api.roles.list();
    expect(roles.filter((r) => r.isDefault).map((r) => r.id)).toEqual(["reviewer", "theory_critic", "methods_critic", "measurement_auditor"]);
    expect(roles).toHaveLength(9);
    await expectCode(api.roles.create({ id: "reviewer", label: "X", brief: "Y" }), "CONFLICT");
    await expectCode(api.roles.create({ id: "Bad Id", label: "X", brief: "Y" }), "BAD_REQUEST");
    const run = await api.runs.create({ repoPath: repo, prompt: "go", roles: ["implementer"], mode: "commit" });
    expect(run.workers[0]).toMatchObject({ id: "worker-1-implementer", label: `Implementer "$(x)"` });
  });

  it("rebuilds the runs list from the run directories when the database is deleted", async () => {
    const { panel, repo, api } = setup();
    const a = await api.runs.create({ repoPath: repo, prompt: "a", roles: ["reviewer"], mode: "review" });
    const b = await api.runs.create({ repoPath: repo, prompt: "b", roles: ["editor", "reviewer"], mode: "draft" });
    const config = panel.config;
    await closePanel(panel);
    rmSync(join(config.dataDir, "panel.db"), { force: true });
    rmSync(join(config.dataDir, "panel.db-wal"), { force: true });
    rmSync(join(config.dataDir, "panel.db-shm"), { force: true });
    const fresh = createPanel(config);
    cleanups.push(() => closePanel(fresh));
    expect((await callerFor(fresh).runs.list({})).items).toHaveLength(0);
    expect(await reindexFromDisk(fresh)).toEqual({ runs: 2, repos: 1 });
    const list = await callerFor(fresh).runs.list({});
    expect(list.items.map((r) => r.id)).toEqual([b.id, a.id]);
    expect((await callerFor(fresh).runs.get({ runId: b.id })).workers).toHaveLength(2);
    // idempotent: events are not duplicated by a second pass
    await reindexFromDisk(fresh);
    expect(fresh.dbh.sqlite.prepare("select count(*) n from events").get()).toEqual({ n: 2 });
  });
});
