/**
 * The SSH transport (ARCHITECTURE.md §3 "Transports"): the local transport's steps on a host the
 * user registered — its clone, its tmux socket, its node and agents — through one shared SSH
 * connection (ssh/connection.ts). The worker's base reaches the clone with `git push` into a ref
 * the panel owns; its commits come back with `git fetch` (ssh/git-sync.ts); its agent events and
 * result files are mirrored into its LOCAL runtime folder by the host's live tail
 * (ssh/mirror.ts), so the supervisor and review read local files and refs as for a local worker.
 * A host that cannot be reached throws HostUnreachableError; its workers keep running in tmux
 * there and are picked up again when the connection is back.
 */
import { lstatSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { agentSandboxProblem } from "../../agents/registry";
import type { AgentAdapter } from "../../agents/types";
import type { HostSettings } from "../../core/hosts";
import type { PanelRun, PanelWorker } from "../../core/records";
import { workTreeTopLevel } from "../git";
import { agentEnvFile, runLayout, workerLayout } from "../layout";
import { appendFileNoFollowSync, readFileNoFollowSync, writeFileAtomicSync } from "../safe-fs.mjs";
import type { SandboxMode } from "../sandbox";
import { Tmux } from "../tmux";
import { isUnreachable, type FileOp, type Leftovers, type MachineFacts, type ProvisionRequest, type WorkerTransport } from "../transport/types";
import { leaderFacts, type ProvisionResult, type RemoveResult } from "../worktree";
import { MAX_RESULT_BYTES } from "../worker-files";
import { writeHostSshConfig } from "./config";
import { SshConnection, type ConnectionState } from "./connection";
import { fetchWorkerBranch, hostBase, pushBase } from "./git-sync";
import { TailMirror, type RemoteResultFiles, type WatchEntry } from "./mirror";
import { RemoteMachine } from "./remote";

export interface SshTransportOptions {
  host: HostSettings;
  /** This checkout of the panel (its worker scripts are copied to the host). */
  projectRoot: string;
  dataDir: string;
  onState?: (hostId: string, state: ConnectionState, detail?: string) => void;
  /** Something arrived for a run (a result, activity, the host back): check it now. */
  onChange?: (runId: string) => void;
  /** The host is back after an outage. */
  onReconnect?: (hostId: string) => void;
}

const COMMIT = /^[0-9a-f]{40,64}$/;
/** The event stream's bytes per read when a result is synced (the rest comes in further reads). */
const SYNC_EVENTS_CHUNK = 8 * 1024 * 1024;
const localSizeOf = (path: string) => {
  try {
    const st = lstatSync(path);
    return st.isFile() ? st.size : 0;
  } catch {
    return 0;
  }
};
const b64 = (data: string | Buffer) => Buffer.from(data).toString("base64");

export class SshTransport implements WorkerTransport {
  readonly kind = "ssh" as const;
  readonly hostId: string;
  readonly agentBins: Partial<Record<string, string>>;
  readonly tmux: Tmux;
  readonly conn: SshConnection;
  readonly machine: RemoteMachine;
  private readonly mirror: TailMirror;
  private provisioning: Promise<unknown> = Promise.resolve();
  private pushed = new Set<string>();
  private syncing = new Map<string, Promise<void>>();
  private wasUp = false;

  constructor(private readonly options: SshTransportOptions) {
    const { host } = options;
    this.hostId = host.id;
    this.agentBins = host.agentBins;
    const files = writeHostSshConfig(options.dataDir, host);
    this.conn = new SshConnection({
      hostId: host.id,
      destination: host.destination,
      configFile: files.configFile,
      controlPath: files.controlPath,
      onState: (state, detail) => this.stateChanged(state, detail),
    });
    this.machine = new RemoteMachine(host, this.conn, options.projectRoot);
    this.tmux = new Tmux(host.tmuxSocket, "tmux", async (argv, timeoutMs) => {
      const r = await this.conn.exec(argv, { timeoutMs });
      return { code: r.code, stdout: r.stdout.toString("utf8"), stderr: r.stderr };
    });
    this.mirror = new TailMirror(this.machine, {
      onResult: (entry, files) => this.applyRemoteResult(entry, files),
      onActivity: (runId) => this.options.onChange?.(runId),
    });
  }

  get host(): HostSettings {
    return this.options.host;
  }

  private stateChanged(state: ConnectionState, detail?: string) {
    this.options.onState?.(this.hostId, state, detail);
    if (state !== "up") return;
    // Back after an outage: follow the workers again from where the local mirror is, and look at their runs.
    if (this.wasUp) {
      this.mirror.restart();
      this.options.onReconnect?.(this.hostId);
    }
    this.wasUp = true;
  }

  root(): string {
    return this.host.clonePath;
  }

  async preflight(run: PanelRun, agents: readonly AgentAdapter[], bins: Partial<Record<string, string>>, sandboxMode?: SandboxMode): Promise<string[]> {
    try {
      await this.conn.ready();
      const failures: string[] = [];
      if (!(await workTreeTopLevel(run.workingDirectory))) failures.push("git:working-directory-unavailable");
      try {
        await this.machine.facts();
      } catch (error) {
        if (isUnreachable(error)) throw error;
        return [...failures, "host:node-unavailable"];
      }
      if (!(await this.tmux.version()) || !(await this.tmux.reachable()).ok) failures.push("host:tmux-unavailable");
      const clone = await this.conn.exec(["git", "-C", this.host.clonePath, "rev-parse", "--is-inside-work-tree"]);
      if (clone.code !== 0) failures.push((await this.conn.exec(["git", "--version"])).code === 0 ? "host:clone-unavailable" : "host:git-unavailable");
      const sandboxActive = (await this.machine.sandbox(sandboxMode ?? "auto")).active;
      if (sandboxMode === "bwrap" && !sandboxActive) failures.push("host:sandbox-unavailable");
      for (const agent of agents) {
        if (!(await this.machine.resolveBin(bins[agent.id] || agent.binSetting.fallback))) failures.push(`host:${agent.id}-unavailable`);
        // An agent without a sandbox of its own runs only inside the panel's, there as here.
        if (!sandboxActive && sandboxMode !== "bwrap" && agentSandboxProblem(agent, false)) failures.push(`${agent.id}:sandbox-required`);
      }
      return failures;
    } catch (error) {
      if (isUnreachable(error)) return ["host:unreachable"];
      throw error;
    }
  }

  async facts(): Promise<MachineFacts> {
    const info = await this.machine.facts();
    const wanted = this.host.sandboxWritable;
    // The existing ones, each as its real path there (a symlink into a hidden folder is judged by where it goes).
    const present = wanted.length === 0 ? [] : (await this.conn.exec(["sh", "-c", 'for d; do [ -d "$d" ] && (cd -- "$d" 2>/dev/null && pwd -P); done; true', "sh", ...wanted])).stdout.toString("utf8").split("\n").filter((l) => l.startsWith("/"));
    const env = { ...info.vars, HOME: info.home, PATH: info.path } as unknown as NodeJS.ProcessEnv;
    for (const [k, v] of [["LANG", info.lang], ["LC_ALL", info.lcAll], ["TERM", info.term ?? process.env.TERM]] as const) if (v) env[k] = v;
    return {
      nodeBin: info.nodeBin,
      finishScript: join(info.scriptsDir, "server", "bridge", "worker-finish.mjs"),
      paneViewScript: join(info.scriptsDir, "server", "bridge", "pane-view.mjs"),
      envFile: (runId, workerId) => agentEnvFile(info.panelDir, runId, workerId),
      hidden: [info.panelDir, ...info.systemHide],
      masked: info.systemMask,
      writable: [...new Set(present)],
      env,
    };
  }

  sandbox(mode: SandboxMode, fresh = false) {
    return this.machine.sandbox(mode, fresh);
  }

  resolveBin(setting: string) {
    return this.machine.resolveBin(setting);
  }

  async applyFiles(ops: readonly FileOp[]): Promise<void> {
    if (ops.length === 0) return;
    await this.machine.op("files", { ops: ops.map((op) => ("data" in op ? { ...op, data: undefined, b64: b64(op.data) } : op)) });
  }

  async exists(path: string): Promise<boolean> {
    return (await this.machine.op<{ exists: boolean }>("exists", { path })).exists;
  }

  async provision(request: ProvisionRequest): Promise<ProvisionResult> {
    const { run, worker } = request;
    const repo = run.workingDirectory;
    const layout = workerLayout(this.host.clonePath, run.id, worker.id);
    let base = request.knownBaseCommit;
    let snapshot = false;
    if (!base) ({ base, snapshot } = await hostBase(repo, request.leader ?? (await leaderFacts(repo))));
    // One at a time per host: concurrent `git worktree add`s in one clone read each other's half-written metadata.
    const step = this.provisioning.then(async () => {
      const key = `${run.id}:${base}`;
      if (!this.pushed.has(key)) {
        await pushBase(this.conn, repo, this.host.destination, this.host.clonePath, run.id, base!);
        this.pushed.add(key);
      }
      return this.machine.op<ProvisionResult & { gitDir: string }>("provision", {
        clone: this.host.clonePath, worktreePath: layout.worktreePath, branch: layout.worktreeBranch, base, knownBase: request.knownBaseCommit,
      });
    });
    this.provisioning = step.catch(() => undefined);
    const r = await step;
    const diagnostics = [...r.diagnostics, `Worktree on host ${this.hostId} (${this.host.destination}) at ${layout.worktreePath}.`];
    if (snapshot) diagnostics.push("The leader's tracked uncommitted changes were committed as a leader snapshot and sent to the host's clone with the base.");
    return { baseCommit: r.baseCommit, headCommit: r.headCommit, snapshot: request.knownBaseCommit ? "kept" : snapshot ? "applied" : "none", reusedBranch: r.reusedBranch, diagnostics };
  }

  async worktreeGitDir(root: string, worktreePath: string): Promise<string | undefined> {
    return (await this.machine.op<{ gitDir: string | null }>("gitdirs", { clone: root, worktreePath })).gitDir ?? undefined;
  }

  async commonGitDir(root: string): Promise<string> {
    return (await this.machine.op<{ common: string }>("gitdirs", { clone: root, worktreePath: root })).common;
  }

  private entryFor(run: PanelRun, worker: PanelWorker): WatchEntry {
    const attempt = Math.max(1, worker.attempt ?? 1);
    return {
      key: `${run.id}/${worker.id}`, runId: run.id, workerId: worker.id, repo: run.workingDirectory, attempt,
      remoteDir: workerLayout(this.host.clonePath, run.id, worker.id).runtimeDir,
      localEvents: workerLayout(run.workingDirectory, run.id, worker.id).agentEventsPath,
    };
  }

  watch(run: PanelRun, worker: PanelWorker): void {
    if (worker.status !== "running") return;
    mkdirSync(workerLayout(run.workingDirectory, run.id, worker.id).runtimeDir, { recursive: true, mode: 0o700 });
    this.mirror.set(this.entryFor(run, worker));
  }

  unwatchRun(runId: string): void {
    this.mirror.drop((e) => e.runId === runId);
  }

  /**
   * Read the worker's result files on the host now (the tail may not have sent them yet) and bring
   * them here — after the rest of its event stream, so the supervisor ingests every line before it
   * applies the result (as the tail does: it sends a result only once the stream is drained).
   */
  async syncResult(run: PanelRun, worker: PanelWorker): Promise<void> {
    const l = workerLayout(this.host.clonePath, run.id, worker.id);
    const entry = this.entryFor(run, worker);
    type Read = { files: { path: string; b64: string | null; size: number | null }[] };
    const decode = (f: Read["files"][number] | undefined) => (f?.b64 == null ? null : Buffer.from(f.b64, "base64"));
    let have = localSizeOf(entry.localEvents);
    const { files } = await this.machine.op<Read>("read", {
      files: [{ path: l.exitCodePath, max: 4096 }, { path: l.commitPath, max: 4096 }, { path: l.resultPath, max: MAX_RESULT_BYTES }, { path: l.agentEventsPath, offset: have, max: SYNC_EVENTS_CHUNK }],
    });
    const [exit, commit, result] = files.slice(0, 3).map(decode);
    if (!result) return;
    // The rest of the event stream, chunk by chunk from where the mirror is (memory bounded by a
    // chunk, nothing past it dropped); appended only past what the mirror has by now (it may have
    // caught up meanwhile): nothing doubled.
    let reply = files[3];
    for (;;) {
      const events = decode(reply);
      if (!events || events.length === 0) break;
      const now = localSizeOf(entry.localEvents);
      if (have + events.length > now && now >= have) {
        mkdirSync(dirname(entry.localEvents), { recursive: true, mode: 0o700 });
        appendFileNoFollowSync(entry.localEvents, events.subarray(now - have));
      }
      have += events.length;
      if (reply?.size == null || have >= reply.size) break;
      reply = (await this.machine.op<Read>("read", { files: [{ path: l.agentEventsPath, offset: have, max: SYNC_EVENTS_CHUNK }] })).files[0];
    }
    await this.applyRemoteResult(entry, { exit: exit ?? null, commit: commit ?? null, result });
  }

  /** A finished turn: its commits into the local repository first, then its files into the local runtime folder (result.json last). */
  private applyRemoteResult(entry: WatchEntry, files: RemoteResultFiles): Promise<void> {
    const prev = this.syncing.get(entry.key) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(async () => {
      if (!files.result || this.closed) return;
      const local = workerLayout(entry.repo, entry.runId, entry.workerId);
      // Brought here already (the tail and a pane check can both bring the same turn).
      if (readFileNoFollowSync(local.resultPath, files.result.length + 1)?.data.equals(files.result)) return;
      const commit = files.commit?.toString("utf8").trim();
      if (commit && COMMIT.test(commit)) await fetchWorkerBranch(this.conn, entry.repo, this.host.destination, this.host.clonePath, entry.runId, entry.workerId);
      mkdirSync(local.runtimeDir, { recursive: true, mode: 0o700 });
      if (files.exit) writeFileAtomicSync(local.exitCodePath, files.exit);
      if (files.commit) writeFileAtomicSync(local.commitPath, files.commit);
      writeFileAtomicSync(local.resultPath, files.result);
      this.mirror.drop((e) => e.key === entry.key && e.attempt === entry.attempt);
      this.options.onChange?.(entry.runId);
    });
    this.syncing.set(entry.key, next);
    void next.finally(() => this.syncing.get(entry.key) === next && this.syncing.delete(entry.key)).catch(() => undefined);
    return next;
  }

  fetchWorker(run: PanelRun, worker: PanelWorker): Promise<string> {
    return fetchWorkerBranch(this.conn, run.workingDirectory, this.host.destination, this.host.clonePath, run.id, worker.id);
  }

  async leftovers(run: PanelRun, worker: PanelWorker): Promise<Leftovers | undefined> {
    const l = workerLayout(this.host.clonePath, run.id, worker.id);
    return (await this.machine.op<Leftovers | null>("leftovers", { clone: this.host.clonePath, worktreePath: l.worktreePath })) ?? undefined;
  }

  async removeWorktree(run: PanelRun, worker: PanelWorker, force: boolean): Promise<RemoveResult> {
    const l = workerLayout(this.host.clonePath, run.id, worker.id);
    return this.machine.op<RemoveResult>("remove", { clone: this.host.clonePath, worktreePath: l.worktreePath, force });
  }

  /** The run's stop marker on the host (the launcher there reads it). */
  stopFile(run: PanelRun): string {
    return runLayout(this.host.clonePath, run.id).stopFilePath;
  }

  describe(): string {
    return `host ${this.hostId} (${this.host.destination})`;
  }

  attachCommand(session: string, window: string): string {
    return `ssh -t ${this.host.destination} tmux -L ${this.host.tmuxSocket} attach -t ${session}:${window}`;
  }

  private closed = false;

  async close(): Promise<void> {
    this.closed = true;
    this.mirror.close();
    await this.conn.close();
  }
}
