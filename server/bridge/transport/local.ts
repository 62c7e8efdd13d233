/**
 * The local transport (ARCHITECTURE.md §3 "Transports"): workers on this machine, in worktrees of
 * the leader's repository, in windows on the panel's tmux socket. Their runtime files are where
 * the panel reads them, so bringing a result back is a no-op.
 */
import { existsSync, realpathSync } from "node:fs";
import { agentSandboxProblem } from "../../agents/registry";
import type { AgentAdapter } from "../../agents/types";
import type { PanelRun, PanelWorker } from "../../core/records";
import { resolveExecutable } from "../../agents/executable";
import { applyFileOps } from "../file-ops.mjs";
import { commonGitDir, runGit, workTreeTopLevel, worktreeGit } from "../git";
import { bridgeScriptPaths } from "../launcher";
import { agentEnvFile } from "../layout";
import { localSystemHides, realOrSame, sandboxStatus, type SandboxMode } from "../sandbox";
import type { Tmux } from "../tmux";
import { provisionWorktree, removeWorktree, removeWorktreeIfClean, worktreeLeftovers } from "../worktree";
import type { FileOp, MachineFacts, ProvisionRequest, WorkerTransport } from "./types";

export interface LocalTransportConfig {
  /** This project's checkout (its server/bridge scripts run in every launcher). */
  root: string;
  dataDir: string;
  sandboxWritable: readonly string[];
  tmux: Tmux;
}

/** Is `bin` (its real path) under /tmp, which the panel's sandbox replaces with an empty one, and in no folder bound back in? */
function hiddenBySandbox(bin: string, writable: readonly string[]): boolean {
  let real: string;
  try {
    real = realpathSync(bin);
  } catch {
    return false;
  }
  const under = (p: string, dir: string) => p === dir || p.startsWith(dir.endsWith("/") ? dir : `${dir}/`);
  return under(real, "/tmp") && !writable.some((w) => {
    try {
      return under(real, realpathSync(w));
    } catch {
      return false;
    }
  });
}

export class LocalTransport implements WorkerTransport {
  readonly kind = "local" as const;
  readonly hostId = undefined;
  readonly tmux: Tmux;

  constructor(private readonly config: LocalTransportConfig) {
    this.tmux = config.tmux;
  }

  root(run: PanelRun): string {
    return run.workingDirectory;
  }

  async preflight(run: PanelRun, agents: readonly AgentAdapter[], bins: Partial<Record<string, string>>, sandboxMode: SandboxMode = "auto"): Promise<string[]> {
    // The tmux, git and sandbox checks are independent: run them at the same time (same order of reasons).
    const [tmuxFailure, gitFailure, sandboxFailure] = await Promise.all<string | undefined>([
      (async () => {
        if (!(await this.tmux.version())) return "tmux:unavailable";
        if (!(await this.tmux.reachable()).ok) return "tmux:server-unreachable";
        return undefined;
      })(),
      (async () => {
        if ((await runGit("/", ["--version"])).code !== 0) return "git:unavailable";
        if (!(await workTreeTopLevel(run.workingDirectory))) return "git:working-directory-unavailable";
        return undefined;
      })(),
      this.sandbox(sandboxMode).then((s) => (s.active ? undefined : sandboxMode === "bwrap" ? "sandbox:unavailable" : "sandbox:inactive"), () => "sandbox:unavailable"),
    ]);
    const failures = [tmuxFailure, gitFailure, sandboxFailure].filter((f): f is string => f !== undefined && f !== "sandbox:inactive");
    const writable = this.config.sandboxWritable;
    for (const agent of agents) {
      const bin = resolveExecutable(bins[agent.id] || agent.binSetting.fallback);
      if (!bin) failures.push(`${agent.id}:unavailable`);
      // The sandbox gives the agent a private /tmp: a binary there (not in a folder bound back in) cannot start.
      else if (sandboxFailure === undefined && hiddenBySandbox(bin, writable)) failures.push(`${agent.id}:hidden-by-sandbox`);
      // An agent without a sandbox of its own runs only inside the panel's (server/agents/README.md).
      if (sandboxFailure === "sandbox:inactive" && agentSandboxProblem(agent, false)) failures.push(`${agent.id}:sandbox-required`);
    }
    return failures;
  }

  async facts(): Promise<MachineFacts> {
    const scripts = bridgeScriptPaths(this.config.root);
    const system = localSystemHides();
    return {
      nodeBin: process.execPath,
      finishScript: scripts.finishScript,
      paneViewScript: scripts.paneViewScript,
      envFile: (runId, workerId) => agentEnvFile(this.config.dataDir, runId, workerId),
      hidden: [realOrSame(this.config.dataDir), ...system.hide],
      masked: system.mask,
      writable: this.config.sandboxWritable.filter((p) => existsSync(p)).map(realOrSame),
      env: process.env,
    };
  }

  sandbox(mode: SandboxMode, fresh = false) {
    return sandboxStatus(mode, fresh);
  }

  async resolveBin(setting: string): Promise<string | undefined> {
    return resolveExecutable(setting);
  }

  async applyFiles(ops: readonly FileOp[]): Promise<void> {
    applyFileOps(ops);
  }

  async exists(path: string): Promise<boolean> {
    return existsSync(path);
  }

  provision(request: ProvisionRequest) {
    return provisionWorktree({
      repo: request.run.workingDirectory,
      worktreePath: request.worker.worktreePath,
      branch: request.worker.worktreeBranch,
      knownBaseCommit: request.knownBaseCommit,
      serialize: request.serialize,
      leader: request.leader,
    });
  }

  async worktreeGitDir(root: string, worktreePath: string): Promise<string | undefined> {
    return (await worktreeGit(root, worktreePath))?.gitDir;
  }

  commonGitDir(root: string): Promise<string> {
    return commonGitDir(root);
  }

  async syncResult(): Promise<void> {
    // The finish step wrote the files where the panel reads them, and the commits are in the repository.
  }

  async fetchWorker(): Promise<string | undefined> {
    return undefined;
  }

  watch(): void {
    // The supervisor watches local runtime folders itself (fs.watch plus its poll).
  }

  unwatchRun(): void {}

  async leftovers(run: PanelRun, worker: PanelWorker) {
    const wt = await worktreeGit(run.workingDirectory, worker.worktreePath);
    return wt ? worktreeLeftovers(wt) : undefined;
  }

  removeWorktree(run: PanelRun, worker: PanelWorker, force: boolean, reproducible?: ReadonlySet<string>) {
    return force ? removeWorktree(run.workingDirectory, worker.worktreePath) : removeWorktreeIfClean(run.workingDirectory, worker.worktreePath, { reproducible });
  }

  describe(): string {
    return "this machine";
  }

  attachCommand(session: string, window: string): string {
    return `tmux -L ${this.tmux.socket} attach -t ${session}:${window}`;
  }
}
