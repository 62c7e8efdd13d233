import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { requestFollowUp } from "@/server/panel/lifecycle/followup";
import { sessionNameFor } from "@/server/bridge/tmux";
import { bridgeHarness, gitIn, resultFor, waitForRunStatus, type BridgeHarness } from "../support/bridge";
import { waitFor } from "../support/wait";

let h: BridgeHarness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

describe("request changes (follow-up turn)", () => {
  it("appends to the mailbox, resumes the agent's thread in the same window, and lands a second commit", async () => {
    h = await bridgeHarness({
      _options: {},
      reviewer: [{ write: { path: "notes.md", content: "first\n" } }, { result: resultFor("reviewer", "Reviewer", { summary: "first pass" }) }],
      followup: { reviewer: [{ write: { path: "notes.md", content: "first\nsecond\n" } }, { result: resultFor("reviewer", "Reviewer", { summary: "second pass" }) }] },
    } as never);
    const { api, repo, panel } = h;
    const created = await api.runs.create({ repoPath: repo, prompt: "p", roles: ["reviewer"], mode: "draft" });
    await api.runs.launch({ runId: created.id });
    const first = (await waitForRunStatus(h, created.id, ["completed"])).workers[0]!;
    expect(first.threadId).toBeTruthy();
    const firstAggregate = JSON.parse(readFileSync(created.aggregateResultPath, "utf8"));

    const message = `Please add a second line; it's "important" $(touch PWNED)`;
    const w = await requestFollowUp(panel, { runId: created.id, workerId: first.id, message, quotes: [{ path: "notes.md", line: 1, text: "first" }] });
    expect(w).toMatchObject({ status: "running", attempt: 2, previousCommit: first.worktreeCommit });
    const mailbox = readFileSync(first.mailboxPath, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(mailbox.at(-1)).toMatchObject({ kind: "followup", message, quotes: [{ path: "notes.md", line: 1, text: "first" }] });

    const done = await waitFor(async () => {
      const r = await api.runs.get({ runId: created.id });
      return r.status === "completed" && r.workers[0]!.attempt === 2 ? r : undefined;
    }, "the follow-up to complete");
    const second = done.workers[0]!;
    expect(second.worktreeCommit).not.toBe(first.worktreeCommit);
    expect(gitIn(repo, "rev-parse", `${second.worktreeCommit}^`).trim()).toBe(first.worktreeCommit);
    expect(gitIn(repo, "show", `${second.worktreeCommit}:notes.md`)).toBe("first\nsecond\n");
    expect(gitIn(repo, "log", "-1", "--format=%s", second.worktreeCommit!)).toMatch(/longtable panel worker worker-1-reviewer/);
    // same tmux window, no new one
    const windows = (await h.tmux.listPanes()).filter((p) => p.session === sessionNameFor(created.id));
    expect(windows.map((p) => p.window)).toEqual(["worker-1-reviewer"]);
    expect(windows[0]!.paneId).toBe(first.runtime?.paneId);
    // the aggregate is rewritten with the new result but keeps its id
    const agg = JSON.parse(readFileSync(created.aggregateResultPath, "utf8"));
    expect(agg.id).toBe(firstAggregate.id);
    expect(agg.memberResults[0].summary).toBe("second pass");
    expect(readFileSync(created.eventLogPath, "utf8")).toContain('"followup_requested"');
    // the first attempt's agent log is kept beside the new one
    expect(existsSync(join(dirname(second.resultPath), "agent-events.attempt-1.jsonl"))).toBe(true);
    expect(existsSync(join(second.worktreePath, "PWNED"))).toBe(false);
    // activity of both attempts, not duplicated
    const rows = panel.dbh.sqlite.prepare("select attempt, count(*) n from activity where run_id = ? group by attempt order by attempt").all(created.id) as { attempt: number; n: number }[];
    expect(rows.map((r) => r.attempt)).toEqual([1, 2]);
  });

  it("refuses a running worker, a worker without a thread, and unknown workers", async () => {
    h = await bridgeHarness({ reviewer: [{ hang: true }] });
    const { api, repo, panel } = h;
    const created = await api.runs.create({ repoPath: repo, prompt: "p", roles: ["reviewer"], mode: "draft" });
    await expect(requestFollowUp(panel, { runId: created.id, workerId: "worker-1-reviewer", message: "x" })).rejects.toThrow(/pending/);
    await api.runs.launch({ runId: created.id });
    await expect(requestFollowUp(panel, { runId: created.id, workerId: "worker-1-reviewer", message: "x" })).rejects.toThrow(/running/);
    await expect(requestFollowUp(panel, { runId: created.id, workerId: "worker-9-reviewer", message: "x" })).rejects.toThrow(/not found/);
  });
});
