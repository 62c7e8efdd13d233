import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { provisionWorktree } from "@/server/bridge/worktree";
import { makeRepo, removeDir, sh } from "../support/repo";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) removeDir(d);
});

describe("provisionWorktree after a crash", () => {
  it("finishes the checkout of a worktree registered with --no-checkout (killed in between)", async () => {
    const repo = makeRepo();
    dirs.push(repo);
    const wt = join(repo, ".longtable/panel-runs/panel_run_aaaaaa_aaaa/worktrees/worker-1-reviewer");
    mkdirSync(join(wt, ".."), { recursive: true });
    const branch = "longtable/panel/panel_run_aaaaaa_aaaa/worker-1-reviewer";
    sh(repo, "git", ["worktree", "add", "--no-checkout", "-b", branch, wt, "HEAD"]);
    expect(existsSync(join(wt, "README.md"))).toBe(false);
    const r = await provisionWorktree({ repo, worktreePath: wt, branch });
    expect(readFileSync(join(wt, "README.md"), "utf8")).toBe("# demo\n");
    expect(sh(wt, "git", ["status", "--porcelain"])).toBe("");
    expect(r.baseCommit).toBe(sh(repo, "git", ["rev-parse", "HEAD"]).trim());
  });

  it("never resets a provisioned worktree: the agent's uncommitted work stays", async () => {
    const repo = makeRepo();
    dirs.push(repo);
    const wt = join(repo, ".longtable/panel-runs/panel_run_aaaaaa_aaaa/worktrees/worker-1-reviewer");
    const branch = "longtable/panel/panel_run_aaaaaa_aaaa/worker-1-reviewer";
    const first = await provisionWorktree({ repo, worktreePath: wt, branch });
    writeFileSync(join(wt, "src/app.txt"), "agent edit\n");
    writeFileSync(join(wt, "new.txt"), "new\n");
    const again = await provisionWorktree({ repo, worktreePath: wt, branch, knownBaseCommit: first.baseCommit });
    expect(again.baseCommit).toBe(first.baseCommit);
    expect(readFileSync(join(wt, "src/app.txt"), "utf8")).toBe("agent edit\n");
    expect(readFileSync(join(wt, "new.txt"), "utf8")).toBe("new\n");
  });
});
