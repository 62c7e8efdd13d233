import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { bridgeHarness, gitIn, resultFor, waitForRunStatus, type BridgeHarness } from "../support/bridge";
import { startTestHost, type TestHost } from "../support/remote-host";
import { expectCode } from "../support/review";

let h: BridgeHarness | undefined;
let host: TestHost | undefined;
afterEach(async () => {
  await h?.cleanup();
  await host?.cleanup();
  h = undefined;
  host = undefined;
});

describe("hosts: input and quoting (ARCHITECTURE.md §6)", () => {
  it("refuses bad host settings with what to do, and stores nothing", async () => {
    h = await bridgeHarness({ "*": [] });
    host = await startTestHost(h.repo);
    const { api } = h;
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ destination: "-oProxyCommand=touch x" }, /ssh destination/],
      [{ destination: "me@host:22" }, /ssh destination/],
      [{ destination: "host name" }, /ssh destination/],
      [{ clonePath: "relative/clone" }, /absolute path/],
      [{ clonePath: "/srv/clone\n/other" }, /absolute path/],
      [{ clonePath: "/srv/../etc" }, /without \.\./],
      [{ id: "Box!" }, /host name/],
      [{ id: "local" }, /this machine/],
      [{ sshOptions: ["ProxyCommand=nc %h %p"] }, /the panel's to set/],
      [{ sshOptions: ["Port 22"] }, /Key=value/],
      [{ sshOptions: ['IdentityFile="x"'] }, /Key=value/],
      [{ agentBins: { codex: "codex; rm -rf ~" } }, /command name/],
      [{ tmuxSocket: "../sock" }, /tmux socket/],
    ];
    for (const [override, message] of bad) {
      const e = await expectCode(api.hosts.add({ ...host.input(), ...override } as never), "BAD_REQUEST");
      expect(e.message, JSON.stringify(override)).toMatch(message);
    }
    expect(await api.hosts.list()).toEqual([]);
    // A run cannot be placed on a host that is not registered, and creating it changes nothing.
    expect((await expectCode(api.runs.create({ repoPath: h.repo, prompt: "p", mode: "review", members: [{ role: "reviewer", host: "nowhere" }] }), "BAD_REQUEST")).message).toMatch(/not registered/);
    expect((await api.runs.list()).items).toEqual([]);
    // A duplicate name is refused; a host with workers planned cannot be removed.
    await api.hosts.add(host.input());
    expect((await expectCode(api.hosts.add(host.input()), "CONFLICT")).message).toMatch(/already registered/);
    await api.runs.create({ repoPath: h.repo, prompt: "p", mode: "review", members: [{ role: "reviewer", host: "box" }] });
    expect((await expectCode(api.hosts.remove({ id: "box" }), "CONFLICT")).message).toMatch(/stop them first/);
    expect((await api.hosts.list()).map((x) => x.id)).toEqual(["box"]);
    // The panel's ssh config for the host: its options first, then the test's config (never ~/.ssh) included.
    await api.hosts.check({ id: "box" });
    const config = readFileSync(join(h.panel.config.dataDir, "hosts", "box", "ssh_config"), "utf8");
    expect(config).toContain("BatchMode yes");
    expect(config.trim().split("\n").pop()).toBe(`Include "${host.sshd.configFile}"`);
  }, 180_000);

  it("runs a worker in a clone whose path has quotes, spaces, $(…), # and tmux formats: nothing is interpreted on either side", async () => {
    h = await bridgeHarness({ reviewer: [{ write: { path: "r.txt", content: "r\n" } }, { result: resultFor("reviewer", "Reviewer") }] });
    host = await startTestHost(h.repo, { codex: h.codex }, [h.dir]);
    const { api, repo } = h;
    const weird = join(host.panelDir, "..", `it's a $(touch .ltp-pwned) \`touch .ltp-pwned2\` #{pane_id} #(touch .ltp-pwned3) clone`);
    mkdirSync(join(weird, ".."), { recursive: true });
    execFileSync("git", ["clone", "-q", repo, weird], { stdio: "ignore" });
    await api.hosts.add(host.input({ clonePath: weird }));
    const check = await api.hosts.check({ id: "box" });
    expect(check.checks.find((c) => c.name === "clone")?.ok, JSON.stringify(check.checks)).toBe(true);
    expect(check.checks.find((c) => c.name === "ssh")?.ok).toBe(true);
    expect(check.checks.find((c) => c.name === "tmux")?.ok).toBe(true);
    expect(check.checks.find((c) => c.name === "codex")?.detail).toContain(h.codex);
    const created = await api.runs.create({ repoPath: repo, prompt: "p", mode: "draft", members: [{ role: "reviewer", host: "box" }] });
    await api.runs.launch({ runId: created.id });
    const run = await waitForRunStatus(h, created.id, ["completed", "failed", "blocked"], 60_000);
    expect(run.status, JSON.stringify(run.workers.map((w) => [w.id, w.status, w.failureReason]))).toBe("completed");
    expect(gitIn(repo, "show", "--name-only", "--format=", run.workers[0]!.worktreeCommit!).trim()).toBe("r.txt");
    expect(existsSync(join(weird, ".longtable", "panel-runs", run.id, "worktrees", run.workers[0]!.id, "r.txt"))).toBe(true);
    for (const dir of [homedir(), repo, weird, join(weird, ".."), h.dir]) {
      for (const f of [".ltp-pwned", ".ltp-pwned2", ".ltp-pwned3"]) expect(existsSync(join(dir, f)), join(dir, f)).toBe(false);
    }
  }, 180_000);
});
