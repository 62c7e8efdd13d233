/**
 * The sandbox on an SSH host (ARCHITECTURE.md §3 "Transports", §6), through the test sshd: the
 * host's facts name the places hidden there (its panel folder, /run/user, the docker socket where
 * they exist), its extra writable folders come back with symlinks resolved there, and one that
 * leads into a hidden place — which the host's settings could not see — is refused at launch.
 */
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bwrapArgs, localSystemHides } from "@/server/bridge/sandbox";
import { SshTransport } from "@/server/bridge/ssh/transport";
import { hostInputSchema } from "@/server/panel/hosts/schemas";
import { makeRepo, removeDir, tempDir } from "../support/repo";
import { startTestHost, type TestHost } from "../support/remote-host";

const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("the sandbox on an SSH host", () => {
  let host: TestHost;

  it("hides the host's panel folder and system sockets, resolves its writable folders there, and refuses one that leads into a hidden place", async () => {
    const repo = makeRepo();
    cleanups.push(() => removeDir(repo));
    // The writable folders exist on the host before it is registered: a cache, and a link into the panel folder.
    const base = tempDir("ltp-host-writable-");
    cleanups.push(() => removeDir(base));
    const cache = join(base, "cache");
    mkdirSync(cache);
    const link = join(base, "cache-link");
    host = await startTestHost(repo, {}, [cache, link]);
    cleanups.push(() => host.cleanup());
    mkdirSync(host.panelDir, { recursive: true });
    symlinkSync(host.panelDir, link);
    // By its text the link is not inside the panel folder: the host's settings accept it.
    const input = hostInputSchema.parse(host.input());
    const dataDir = tempDir("ltp-ssh-sbx-data-");
    cleanups.push(() => removeDir(dataDir));
    const now = new Date().toISOString();
    const tr = new SshTransport({ host: { ...input, createdAt: now, updatedAt: now }, projectRoot: process.cwd(), dataDir });
    cleanups.push(() => tr.close());

    const facts = await tr.facts();
    const system = localSystemHides(); // the host is this machine
    expect(facts.hidden).toEqual([host.panelDir, ...system.hide]);
    expect(facts.hidden.includes("/run/user")).toBe(system.hide.includes("/run/user"));
    expect(facts.masked).toEqual(system.mask);
    expect(facts.writable).toEqual([cache, host.panelDir]);

    const sandbox = await tr.sandbox("auto", true);
    expect(sandbox.active, sandbox.reason).toBe(true);

    // What the launch builds (lifecycle/attempt.ts): refused, naming the folder and what to do.
    const launch = (writable: string[]) =>
      bwrapArgs({
        worktree: join(host.clone, ".longtable", "panel-runs", "r1", "worktrees", "w1"),
        gitCommonDir: join(host.clone, ".git"),
        hide: [join(host.clone, ".longtable"), ...facts.hidden],
        mask: facts.masked,
        writable: [],
        userWritable: writable,
      });
    expect(() => launch(facts.writable)).toThrow(new RegExp(`sandbox folder ${host.panelDir} is ${host.panelDir} \\(hidden from agents\\).*sandboxWritable`));
    expect(launch([cache]).join(" ")).toContain(`--bind ${cache} ${cache}`);
  }, 180_000);
});
