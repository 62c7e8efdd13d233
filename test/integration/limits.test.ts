/**
 * Limits and secrets (ARCHITECTURE.md §6): the tRPC batch cap (through the real route handler),
 * viewers' expensive queries, and the agent's environment never landing in the repository.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TRPCError } from "@trpc/server";
import { afterEach, describe, expect, it } from "vitest";
import { GET } from "@/app/api/trpc/[trpc]/route";
import { agentEnvFile } from "@/server/bridge/layout";
import { MAX_BATCH, VIEWER_EXPENSIVE_CONCURRENCY } from "@/server/core/limits";
import { GUARD_HEADER, guardHeaderValue } from "@/server/http/guard-header";
import { installPanel } from "@/server/panel/panel";
import { bridgeHarness, resultFor, waitForRunStatus, type BridgeHarness } from "../support/bridge";
import { setProcessEnv } from "../support/codex-env";
import { callerFor, closePanel, openTestPanel } from "../support/panel";
import { removeDir } from "../support/repo";

let h: BridgeHarness | undefined;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("limits", () => {
  it(`a batch of more than ${MAX_BATCH} procedures is refused with 400; ${MAX_BATCH} are answered`, async () => {
    const panel = openTestPanel();
    installPanel(panel);
    cleanups.push(async () => {
      await closePanel(panel);
      removeDir(panel.config.dataDir);
    });
    const call = (n: number) => {
      const paths = Array.from({ length: n }, () => "system.whoami").join(",");
      const input = encodeURIComponent(JSON.stringify({})); // (whoami takes no input: none for each call)
      return GET(new Request(`http://127.0.0.1/api/trpc/${paths}?batch=1&input=${input}`, { headers: { [GUARD_HEADER]: guardHeaderValue(panel.guardSecret, "operator") } }));
    };
    const ok = await call(MAX_BATCH);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as unknown[]).length).toBe(MAX_BATCH);
    const tooMany = await call(MAX_BATCH + 1);
    expect(tooMany.status).toBe(400);
    expect(JSON.stringify(await tooMany.json())).toMatch(/Batch call exceeds maximum size/);
  });

  it(`a viewer has at most ${VIEWER_EXPENSIVE_CONCURRENCY} expensive queries under way; an operator is not limited`, async () => {
    const panel = openTestPanel();
    cleanups.push(async () => {
      await closePanel(panel);
      removeDir(panel.config.dataDir);
    });
    const viewer = callerFor(panel, "viewer");
    const calls = Array.from({ length: VIEWER_EXPENSIVE_CONCURRENCY + 1 }, () => viewer.system.doctor().then(() => "ok", (e: unknown) => e));
    const outcomes = await Promise.all(calls);
    expect(outcomes.filter((o) => o === "ok")).toHaveLength(VIEWER_EXPENSIVE_CONCURRENCY);
    const refused = outcomes.find((o) => o !== "ok") as TRPCError;
    expect(refused).toBeInstanceOf(TRPCError);
    expect(refused.code).toBe("TOO_MANY_REQUESTS");
    // Once those finished, the viewer may ask again; an operator is never refused.
    await expect(viewer.system.doctor()).resolves.toBeDefined();
    const operator = callerFor(panel, "operator");
    const all = await Promise.all(Array.from({ length: 4 }, () => operator.system.doctor().then(() => "ok")));
    expect(all).toEqual(["ok", "ok", "ok", "ok"]);
  });
});

describe("secrets", () => {
  it("a variable named in LONGTABLE_AGENT_ENV reaches the agent, and its value is nowhere in the repository afterwards", async () => {
    const value = `sk-secret-${Math.random().toString(36).slice(2)}-do-not-store`;
    const restore = setProcessEnv({ SOME_KEY: value, LONGTABLE_AGENT_ENV: "SOME_KEY" });
    cleanups.push(restore);
    h = await bridgeHarness({});
    // The fake agent records its argv and the named environment variables (in the harness folder, outside the repo).
    writeFileSync(join(h.dir, "fake-codex-script.json"), JSON.stringify({ _options: { record: join(h.dir, "record.jsonl"), recordEnv: ["SOME_KEY"] }, reviewer: [{ write: { path: "notes.md", content: "n\n" } }, { result: resultFor("reviewer", "Reviewer") }] }));
    const run = await h.api.runs.create({ repoPath: h.repo, prompt: "p", roles: ["reviewer"], mode: "draft" });
    await h.api.runs.launch({ runId: run.id });
    await waitForRunStatus(h, run.id, ["completed"]);
    // Nothing in the repository (worktrees, run folder, launch.sh, logs, .git) holds the value …
    const grep = (() => {
      try {
        return execFileSync("grep", ["-rl", "--", value, h!.repo], { encoding: "utf8" });
      } catch (error) {
        return (error as { status?: number }).status === 1 ? "" : String(error);
      }
    })();
    expect(grep).toBe("");
    // … the env file in the data dir was read and deleted by the launcher …
    expect(existsSync(agentEnvFile(h.panel.config.dataDir, run.id, "worker-1-reviewer"))).toBe(false);
    // … and the agent had it (the fake agent recorded its environment outside the repository).
    const records = readFileSync(join(h.dir, "record.jsonl"), "utf8");
    expect(records).toContain(value);
  });
});
