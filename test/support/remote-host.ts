/**
 * A "remote" worker host for tests (ARCHITECTURE.md §3 "Transports"): the test sshd on 127.0.0.1
 * (test/support/sshd.ts) as the host, a separate clone of the test repository as the host's
 * clone, its own panel folder and its own tmux socket. The host input names the test sshd's
 * client config (never ~/.ssh) and this machine's node and fake agents by absolute path.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import type { HostInput } from "@/server/panel/hosts/schemas";
import { Tmux } from "@/server/bridge/tmux";
import { startSshd, type TestSshd } from "./sshd";
import { removeDir, tempDir } from "./repo";
import type { BridgeHarness } from "./bridge";
import { waitFor } from "./wait";

export interface TestHost {
  sshd: TestSshd;
  /** The host's clone of the repository. */
  clone: string;
  /** The host's panel folder (scripts, agent environment files). */
  panelDir: string;
  /** tmux on the host's socket (the same machine: a local client of that socket). */
  tmux: Tmux;
  input(overrides?: Partial<HostInput>): HostInput;
  cleanup(): Promise<void>;
}

export async function startTestHost(repo: string, agents: { codex?: string } = {}, sandboxWritable: string[] = []): Promise<TestHost> {
  const sshd = await startSshd();
  const base = tempDir("ltp-host-");
  const clone = join(base, "clone");
  execFileSync("git", ["clone", "-q", repo, clone], { stdio: "ignore" });
  const panelDir = join(base, "panel-host");
  const socket = `ltp-host-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const tmux = new Tmux(socket);
  return {
    sshd,
    clone,
    panelDir,
    tmux,
    input: (overrides = {}) => ({
      id: "box",
      destination: sshd.alias,
      clonePath: clone,
      panelDir,
      tmuxSocket: socket,
      nodeBin: process.execPath,
      agentBins: agents,
      sshConfig: sshd.configFile,
      sshOptions: [],
      sandboxWritable,
      ...overrides,
    }),
    async cleanup() {
      await tmux.killServer();
      await sshd.stop();
      removeDir(base);
    },
  };
}

/**
 * Register `host` as "box", create a one-member run whose reviewer works there and launch it;
 * resolves once the reviewer's first file change reached the panel (it is running on the host).
 */
export async function launchReviewerOnHost(api: BridgeHarness["api"], repo: string, host: TestHost) {
  await api.hosts.add(host.input());
  const created = await api.runs.create({ repoPath: repo, prompt: "p", mode: "draft", members: [{ role: "reviewer", host: "box" }] });
  const ref = { runId: created.id, workerId: created.workers[0]!.id };
  await api.runs.launch({ runId: created.id });
  await waitFor(async () => (await api.workers.activity(ref)).items.some((i) => i.kind === "file_change"), "the reviewer to start on the host", 30_000);
  return { created, ref };
}
