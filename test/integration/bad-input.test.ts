/**
 * Every procedure answers malformed or hostile input with a 4xx and a message that says what to do
 * — never a 500 (ARCHITECTURE.md §3; issue: "every refusal is a 4xx"). Through the real route
 * handler, as the browser and scripts reach it: each procedure of the router gets a table of
 * inputs of the wrong shape, and the procedures that take ids and paths get unknown ids and paths
 * outside the repository, on a repo with a real completed run.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET, POST } from "@/app/api/trpc/[trpc]/route";
import { GUARD_HEADER, guardHeaderValue } from "@/server/http/guard-header";
import { installPanel } from "@/server/panel/panel";
import { appRouter } from "@/server/trpc/root";
import { bridgeHarness, gitIn, resultFor, waitForRunStatus, type BridgeHarness } from "../support/bridge";

let h: BridgeHarness;
let runId = "";
let workerId = "";
beforeAll(async () => {
  h = await bridgeHarness({ reviewer: [{ write: { path: "notes.md", content: "n\n" } }, { result: resultFor("reviewer", "Reviewer") }] });
  installPanel(h.panel);
  const run = await h.api.runs.create({ repoPath: h.repo, prompt: "p", roles: ["reviewer"], mode: "draft" });
  await h.api.runs.launch({ runId: run.id });
  await waitForRunStatus(h, run.id, ["completed"]);
  runId = run.id;
  workerId = run.workers[0]!.id;
}, 120_000);
afterAll(async () => {
  await h?.cleanup();
});

type Kind = "query" | "mutation" | "subscription";
const procedures = Object.entries((appRouter._def as unknown as { procedures: Record<string, { _def: { type: Kind; inputs: unknown[] } }> }).procedures)
  .map(([path, p]) => ({ path, type: p._def.type, takesInput: p._def.inputs.length > 0 }));

async function send(path: string, type: Kind, input: unknown): Promise<{ status: number; body: string }> {
  const headers = { [GUARD_HEADER]: guardHeaderValue(h.panel.guardSecret, "operator") };
  const res = type === "mutation"
    ? await POST(new Request(`http://127.0.0.1/api/trpc/${path}`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: input === undefined ? "" : JSON.stringify(input) }))
    : await GET(new Request(`http://127.0.0.1/api/trpc/${path}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`, { headers }));
  const body = type === "subscription" && res.status === 200 ? await readFirstEvent(res) : await res.text();
  return { status: res.status, body };
}

async function readFirstEvent(res: Response): Promise<string> {
  const reader = res.body!.getReader();
  let text = "";
  while (!/\n\n/.test(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  await reader.cancel();
  return text;
}

const UNKNOWN_RUN = "panel_run_zzzzzzzz_zzzzzzzz";
const NOBODY = "worker-9-nobody";
const HEAD40 = "0".repeat(40);

/** Inputs no procedure accepts (every input is an object or none). */
const WRONG_SHAPES: unknown[] = [42, "text", [1], true, null];

/** Hostile or impossible inputs of the right shape, with the status each must get. Filled in once the run exists. */
function hostileRows(): Array<[string, unknown, number]> {
  const w = { runId, workerId };
  return [
    ["runs.get", { runId: UNKNOWN_RUN }, 404],
    ["runs.get", { runId: "../../etc/passwd" }, 400],
    ["runs.get", { runId: "a".repeat(100_000) }, 400],
    ["runs.result", { runId: UNKNOWN_RUN }, 404],
    ["runs.synthesis", { runId: UNKNOWN_RUN }, 404],
    ["runs.usage", { runId: UNKNOWN_RUN }, 404],
    ["runs.decisions", { runId: UNKNOWN_RUN }, 404],
    ["runs.overlap", { runId: UNKNOWN_RUN }, 404],
    ["runs.merges", { runId: UNKNOWN_RUN }, 404],
    ["runs.launch", { runId: UNKNOWN_RUN }, 404],
    ["runs.stop", { runId: UNKNOWN_RUN }, 404],
    ["runs.resume", { runId: UNKNOWN_RUN }, 404],
    ["runs.shutdown", { runId: UNKNOWN_RUN }, 404],
    ["runs.refresh", { runId: UNKNOWN_RUN }, 404],
    ["runs.decide", { runId: UNKNOWN_RUN, answer: "go" }, 404],
    ["runs.list", { status: "on fire" }, 400],
    ["runs.list", { limit: 1e9 }, 400],
    ["runs.create", { repoPath: "/etc", prompt: "p", roles: ["reviewer"], mode: "draft" }, 400],
    ["runs.create", { repoPath: "/no/such/folder", prompt: "p", roles: ["reviewer"], mode: "draft" }, 400],
    ["runs.create", { repoPath: "REPO", prompt: "p", roles: ["../../x"], mode: "draft" }, 400],
    ["runs.create", { repoPath: "REPO", prompt: "p", roles: ["no_such_role"], mode: "draft" }, 400],
    ["runs.create", { repoPath: "REPO", prompt: "", roles: ["reviewer"], mode: "draft" }, 400],
    ["runs.create", { repoPath: "REPO", prompt: "p\u0000", roles: [], mode: "draft" }, 400],
    ["workers.get", { runId, workerId: NOBODY }, 404],
    ["workers.get", { runId, workerId: "../x" }, 400],
    ["workers.terminal", { runId, workerId: NOBODY }, 404],
    ["workers.activity", { runId, workerId: NOBODY }, 404],
    ["workers.activity", { ...w, cursor: -1 }, 400],
    ["workers.diff", { ...w, path: "../../../etc/passwd" }, 400],
    ["workers.diff", { ...w, path: "/etc/passwd" }, 400],
    ["workers.diff", { ...w, path: "notes.md\u0000.txt" }, 400],
    ["workers.diff", { ...w, since: "deadbeef0" }, 404],
    ["workers.diff", { ...w, path: "notes.md", since: HEAD40 }, 404],
    ["workers.diff", { runId, workerId: NOBODY }, 404],
    ["workers.mergePreview", { ...w, target: "--upload-pack=evil" }, 400],
    ["workers.mergePreview", { ...w, target: "no-such-branch" }, 404],
    ["workers.mergePreview", { ...w, target: "main~1" }, 400],
    ["workers.mergePreview", { ...w, target: "a\nb" }, 400],
    ["workers.merge", { ...w, target: "main..HEAD" }, 400],
    ["workers.merge", { ...w, expectedTargetCommit: "HEAD" }, 400],
    ["workers.merge", { ...w, message: "   " }, 400],
    ["workers.merge", { ...w, expectedTargetCommit: HEAD40 }, 409],
    ["workers.merge", { runId, workerId: NOBODY }, 404],
    ["workers.merges", { runId, workerId: NOBODY }, 404],
    ["workers.discardPreview", { runId, workerId: NOBODY }, 404],
    ["workers.discard", { runId, workerId: NOBODY, confirm: true }, 404],
    ["workers.cleanup", { runId: UNKNOWN_RUN, workerId }, 404],
    ["workers.followUp", { ...w, message: "" }, 400],
    ["workers.followUp", { runId, workerId: NOBODY, message: "again" }, 404],
    ["repos.add", { path: "/etc" }, 400],
    ["repos.add", { path: "" }, 400],
    ["repos.status", { repoId: "repo_../../x" }, 400],
    ["repos.recover", { repoId: 7 }, 400],
    ["repos.config", { repoId: "repo_000000000000" }, 404],
    ["repos.approveConfig", { repoId: "repo_000000000000", sha256: "0".repeat(64) }, 404],
    ["repos.approveConfig", { repoId: "repo_000000000000", sha256: "HEAD" }, 400],
    ["runs.setup", { runId: UNKNOWN_RUN }, 404],
    ["roles.create", { id: "../x", label: "x", brief: "x" }, 400],
    ["roles.create", { id: "reviewer", label: "Reviewer", brief: "built in" }, 409],
    ["events.onRun", { runId: UNKNOWN_RUN }, 404],
    ["events.onRun", { runId: "../x" }, 400],
    ["events.onActivity", { runId, workerId: "../x" }, 400],
    ["events.onAll", { lastEventId: "abc" }, 400],
    ["system.whoami", { please: "tell me" }, 400],
    ["system.doctor", {}, 400],
    ["system.signOutEverywhere", { all: true }, 400],
    ["system.sandbox", { enable: false }, 400],
    ["repos.list", { path: "/" }, 400],
    ["hosts.list", { all: true }, 400],
    ["hosts.add", { id: "../x", destination: "box", clonePath: "/srv/clone" }, 400],
    ["hosts.add", { id: "box", destination: "-oProxyCommand=touch x", clonePath: "/srv/clone" }, 400],
    ["hosts.add", { id: "box", destination: "box", clonePath: "relative" }, 400],
    ["hosts.update", { id: "nohost", destination: "box", clonePath: "/srv/clone" }, 404],
    ["hosts.remove", { id: "nohost" }, 404],
    ["hosts.check", { id: "nohost" }, 404],
    ["hosts.fetchWorker", { runId: UNKNOWN_RUN, workerId }, 404],
    ["hosts.fetchWorker", w, 400],
    ["queue.get", { runId: UNKNOWN_RUN }, 404],
    ["queue.get", { runId, extra: 1 }, 400],
    ["queue.accept", { runId, workerIds: ["../x"] }, 400],
    ["queue.accept", { runId, workerIds: [NOBODY] }, 404],
    ["queue.accept", { runId }, 400],
    ["queue.accept", { runId, workerIds: [workerId, workerId] }, 400],
    ["queue.accept", { runId, workerIds: [workerId], allCompleted: true }, 400],
    ["queue.accept", { runId, workerIds: [workerId], target: "--upload-pack=evil" }, 400],
    ["queue.accept", { runId, workerIds: [workerId], target: "no-such-branch" }, 404],
    ["queue.accept", { runId, workerIds: [workerId], strategy: "octopus" }, 400],
    ["queue.accept", { runId: UNKNOWN_RUN, allCompleted: true }, 404],
    ["queue.reorder", { runId, order: [workerId] }, 404],
    ["queue.reorder", { runId, order: [] }, 400],
    ["queue.stop", { runId }, 404],
    ["queue.stop", { runId: UNKNOWN_RUN }, 404],
    ["queue.resume", { runId: UNKNOWN_RUN }, 404],
    ["queue.retry", { runId, workerId: NOBODY }, 404],
    ["queue.remove", { runId, workerId: "../x" }, 400],
    ["queue.sendBack", { runId, workerId: NOBODY }, 404],
    ["queue.configure", { runId, autoSendBack: "yes" }, 400],
    ["queue.checkLog", { ...w, offset: -5 }, 400],
    ["queue.checkLog", { ...w }, 404],
    ["queue.onCheckLog", { runId: UNKNOWN_RUN, workerId }, 404],
    ["queue.onCheckLog", { runId, workerId: "../x" }, 400],
    ["roles.list", { all: "../../" }, 400],
  ];
}

const messageOf = (body: string) => (JSON.parse(body) as { error?: { message?: string } }).error?.message ?? "";

describe("every procedure refuses bad input with a 4xx that says what is wrong (never a 500)", () => {
  it("inputs of the wrong shape: 400 from every procedure", async () => {
    expect(procedures.length).toBeGreaterThan(35);
    const wrong: string[] = [];
    for (const p of procedures) {
      for (const input of WRONG_SHAPES) {
        const r = await send(p.path, p.type, input);
        if (r.status !== 400 || !/^invalid input — /.test(messageOf(r.body))) wrong.push(`${p.path} ${JSON.stringify(input)} → ${r.status} ${r.body.slice(0, 200)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("hostile and impossible inputs: each gets its 4xx and a message; nothing changed", async () => {
    const rows = hostileRows();
    // Every procedure is in the table at least once.
    expect(procedures.map((p) => p.path).filter((path) => !rows.some(([r]) => r === path))).toEqual([]);
    const headBefore = gitIn(h.repo, "rev-parse", "HEAD");
    const wrong: string[] = [];
    for (const [path, raw, status] of rows) {
      const input = JSON.parse(JSON.stringify(raw).replaceAll('"REPO"', JSON.stringify(h.repo)));
      const p = procedures.find((x) => x.path === path)!;
      const r = await send(path, p.type, input);
      const message = r.status >= 400 ? messageOf(r.body) : "";
      if (r.status !== status || message.length < 10 || /^\s*[[{]/.test(message)) wrong.push(`${path} ${JSON.stringify(raw).slice(0, 120)} → ${r.status} (wanted ${status}) ${message.slice(0, 200) || r.body.slice(0, 200)}`);
    }
    expect(wrong).toEqual([]);
    expect(gitIn(h.repo, "rev-parse", "HEAD")).toBe(headBefore);
    expect((await h.api.runs.list({})).items.map((r) => r.id)).toEqual([runId]);
    expect((await h.api.runs.get({ runId })).workers[0]!.status).toBe("completed");
  }, 120_000);
});
