/**
 * A hostile agent (test/support/hostile-agent.mjs) against the real bridge: real git, tmux on a
 * throw-away socket, the panel's bubblewrap sandbox. The agent writes only inside its worktree
 * (and, to show the sandbox holds, tries once to write outside it), and tries to get the panel's
 * unsandboxed steps to run its code or write through its links (ARCHITECTURE.md §6). Afterwards:
 * no marker exists (its HOME's git filter did not run in the finish step), the outside file is byte-identical, the user's .env is intact, the worker was
 * not completed before its agent exited, and only the reviewed head can be merged.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { sandboxStatus } from "@/server/bridge/sandbox";
import { bridgeHarness, gitIn, waitForRunStatus, type BridgeHarness } from "../support/bridge";
import { removeDir, tempDir, tempDirOutsideTmp } from "../support/repo";
import { expectCode, sha } from "../support/review";
import { waitFor } from "../support/wait";

const HOSTILE = join(process.cwd(), "test", "support", "hostile-agent.mjs");

let h: BridgeHarness | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
  dirs.splice(0).forEach(removeDir);
});

/**
 * The hostile agent as the panel's codex binary, in the harness's own folder (visible in the
 * sandbox). The wrapper first writes a line to every descriptor it inherited past stderr: the
 * pane view's pipe must not be one of them.
 */
function hostileBin(dir: string): string {
  const bin = join(dir, "hostile-codex");
  // The descriptors are listed first (a redirection in the loop makes bash save one of its own).
  const inject = `for p in /proc/$$/fd/*; do fd=\${p##*/}; if [ "$fd" -gt 2 ] && [ "$fd" -ne 255 ]; then printf 'INJECTED-INTO-THE-PANE fd=%s\\n' "$fd" >&"$fd" 2>/dev/null; fi; done`;
  writeFileSync(bin, `#!/bin/bash\n${inject}\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(HOSTILE)} "$@"\n`, { mode: 0o755 });
  return bin;
}

describe("a hostile agent in its worktree", () => {
  it("gets nothing run outside its sandbox, writes through no link, forges no result, and cannot change what is merged", async () => {
    const status = await sandboxStatus("auto", true);
    expect(status.active, `the panel's sandbox must work here (${status.reason ?? ""}; ${status.fix ?? ""})`).toBe(true);

    const work = tempDir("ltp-hostile-");
    const markers = join(work, "markers");
    const outside = tempDirOutsideTmp("ltp-hostile-outside-");
    dirs.push(outside);
    const victim = join(outside, "victim.txt");
    const escape = join(outside, "escaped.txt");
    writeFileSync(victim, "the user's file\n");
    const victimHash = sha(readFileSync(victim));
    const gate = join(work, "gate");
    execFileSync("mkdir", ["-p", markers]);
    const prompt = [`MARKERS=${markers}`, `VICTIM=${victim}`, `GATE=${gate}`, `ESCAPE=${escape}`].join("\n");

    h = await bridgeHarness({}, { ".gitignore": ".env\n", "src/app.txt": "one\n" }, { codexBin: hostileBin(work), extraWritable: [work] });
    dirs.push(work);
    const { repo, api } = h;
    // The user's ignored .env, and husky's relative hooks path (hooks are files in the checkout).
    writeFileSync(join(repo, ".env"), "SECRET=the-users-own\n");
    gitIn(repo, "config", "core.hooksPath", ".husky/_");

    const run = await api.runs.create({ repoPath: repo, prompt, roles: ["reviewer"], mode: "draft" });
    await api.runs.launch({ runId: run.id });

    // The agent forged a completed result where the CLI keeps it and now waits at its gate: the
    // worker is still running however often the supervisor looks.
    await waitFor(async () => (await api.workers.activity({ runId: run.id, workerId: run.workers[0]!.id })).items.some((i) => i.text.includes("waiting at the gate")) || undefined, "the agent to reach its gate");
    for (let i = 0; i < 3; i++) await h.supervisor.checkRun(run.id);
    expect((await api.runs.get({ runId: run.id })).workers[0]!.status).toBe("running");

    writeFileSync(gate, "go\n");
    const done = await waitForRunStatus(h, run.id, ["completed", "failed", "blocked"]);
    const w = done.workers[0]!;

    // Every attempt happened (the agent reports each), and the one write outside was refused.
    const events = readFileSync(join(done.runDirectory, "workers", w.id, "agent-events.jsonl"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { item?: { type?: string; what?: string; ok?: boolean } });
    const attempts = Object.fromEntries(events.filter((e) => e.item?.type === "attempt").map((e) => [e.item!.what!, e.item!.ok]));
    expect(attempts).toMatchObject({ "launcher-rewrite": true, hooks: true, "git-file-redirect": true, "nested-repo": true, "forged-result": true, "gitignore-env": true, "escape-write": false, "write-last-message": false, "home-git-config": true });

    // Nothing it planted ran, nothing was written through its links, nothing escaped.
    expect(readdirSync(markers)).toEqual([]);
    expect(sha(readFileSync(victim))).toBe(victimHash);
    expect(existsSync(escape)).toBe(false);
    // Its lines reached no descriptor of the pane view (only the launcher's own lines and the events are shown).
    const pane = (await api.workers.terminal({ runId: run.id, workerId: w.id })).text ?? "";
    expect(pane).toContain(`${w.id} finished`);
    expect(pane).not.toContain("INJECTED-INTO-THE-PANE");
    // The final message was a symlink: refused, so the worker failed instead of taking it.
    expect(w.status).toBe("failed");
    expect(w.error).toMatch(/symbolic link/);

    // Its work was committed (through the worktree's real git dir, hooks off) …
    const head = gitIn(repo, "rev-parse", w.worktreeBranch).trim();
    expect(head).toBe(w.worktreeCommit);
    const files = gitIn(repo, "ls-tree", "-r", "--name-only", head).split("\n").filter(Boolean);
    expect(files).toEqual(expect.arrayContaining(["work.txt", ".env", ".gitignore"]));
    expect(files.some((f) => f.startsWith(".longtable-worker/"))).toBe(false);

    // … and merging it would overwrite the user's ignored .env: the preview says so, the merge refuses.
    const preview = await api.workers.mergePreview({ runId: run.id, workerId: w.id });
    expect(preview.checkout?.ignoredFiles).toEqual([".env"]);
    expect(preview.canMerge).toBe(false);
    expect(preview.reasons.join(" ")).toMatch(/ignored file/);
    const before = gitIn(repo, "rev-parse", "main").trim();
    await expectCode(api.workers.merge({ runId: run.id, workerId: w.id, expectedHeadCommit: preview.headCommit }), "PRECONDITION_FAILED");
    expect(readFileSync(join(repo, ".env"), "utf8")).toBe("SECRET=the-users-own\n");
    expect(gitIn(repo, "rev-parse", "main").trim()).toBe(before);

    // The user moves the .env aside and merges the head they reviewed; a stale head is refused.
    execFileSync("mv", [join(repo, ".env"), join(outside, "env.saved")]);
    const reviewed = (await api.workers.mergePreview({ runId: run.id, workerId: w.id })).headCommit;
    gitIn(repo, "update-ref", `refs/heads/${w.worktreeBranch}`, gitIn(repo, "commit-tree", `${head}^{tree}`, "-p", head, "-m", "moved on").trim());
    await expectCode(api.workers.merge({ runId: run.id, workerId: w.id, expectedHeadCommit: reviewed }), "CONFLICT");
    expect(gitIn(repo, "rev-parse", "main").trim()).toBe(before);
    const now = (await api.workers.mergePreview({ runId: run.id, workerId: w.id })).headCommit;
    const merged = await api.workers.merge({ runId: run.id, workerId: w.id, expectedHeadCommit: now });
    expect(merged.workerHead).toBe(now);
    // The merge moved the checked-out main with hooks off: post-merge/post-checkout did not run.
    expect(readdirSync(markers)).toEqual([]);
    expect(readFileSync(join(repo, "work.txt"), "utf8")).toBe("the real work\n");
  });
});
