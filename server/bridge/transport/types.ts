/**
 * The transport interface (ARCHITECTURE.md §3 "Transports"): everything the panel does to a
 * worker on the machine it runs on — provision its worktree, write the files of a turn,
 * open/kill/inspect its tmux window, bring its result, exit and commit files (and its commits)
 * back, remove it. Two implementations: `local` (this machine, transport/local.ts) and `ssh` (a
 * host the user registered, ssh/transport.ts: the same steps through one shared SSH connection).
 *
 * The panel's own repository and run folder stay the source of truth: a transport that runs
 * workers elsewhere mirrors their result files into the worker's local runtime folder and
 * fetches their commits into the local repository, so the supervisor, review and merge read
 * local files and local refs whatever the transport.
 */
import type { AgentAdapter } from "../../agents/types";
import type { PanelRun, PanelWorker } from "../../core/records";
import type { SandboxMode, SandboxStatus } from "../sandbox";
import type { Tmux } from "../tmux";
import type { LeaderFacts, ProvisionResult, RemoveResult } from "../worktree";

/** One file step of a turn (applied in order by server/bridge/file-ops.mjs, on the worker's machine). */
export type FileOp =
  | { op: "mkdir"; path: string; mode?: number }
  /** `path` inside `base` (agent-writable) as real folders: a symlink or file on the way is removed first. */
  | { op: "realDir"; base: string; path: string }
  | { op: "write"; path: string; data: string | Buffer; mode?: number }
  | { op: "writeIfMissing"; path: string; data: string | Buffer; mode?: number }
  /** Copy a file of that machine, replacing — never following — the target; a missing source removes the target. */
  | { op: "copy"; from: string; to: string; mode?: number }
  | { op: "rm"; path: string }
  /** Rename when the source exists. */
  | { op: "rename"; from: string; to: string };

/** What a turn needs to know about the machine it runs on. */
export interface MachineFacts {
  /** node on that machine (the launcher runs the finish step and the pane view with it). */
  nodeBin: string;
  finishScript: string;
  paneViewScript: string;
  /** The 0600 file with one worker's agent environment: in the panel's data dir there, never in the repository. */
  envFile(runId: string, workerId: string): string;
  /** Folders the sandbox hides besides the repository's run folders (the panel's own data there, /run/user). */
  hidden: string[];
  /** Sockets there the sandbox covers with /dev/null (the docker socket): only ones that exist. */
  masked: string[];
  /**
   * Extra folders agents may write on that machine (LONGTABLE_SANDBOX_WRITABLE, or the host's
   * setting): the existing ones, symlinks resolved (checked against `hidden` at launch).
   */
  writable: string[];
  /** The environment agents start from there (PATH, HOME, LANG, …). */
  env: NodeJS.ProcessEnv;
}

export interface ProvisionRequest {
  run: PanelRun;
  worker: PanelWorker;
  /** The base recorded by an earlier provisioning (resume): kept as is. */
  knownBaseCommit?: string;
  /** The leader's state, read once per launch. */
  leader?: LeaderFacts;
  /** Runs `fn` exclusively among the provisionings of the same repository. */
  serialize: <T>(fn: () => Promise<T>) => Promise<T>;
}

export interface Leftovers {
  uncommitted: string[];
  ignored: string[];
}

/** The machine cannot be reached (an SSH host whose connection is down): never a reason to fail a worker. */
export class HostUnreachableError extends Error {
  override name = "HostUnreachableError";
  constructor(public readonly hostId: string, detail: string) {
    super(`host ${hostId} is unreachable: ${detail}`);
  }
}

export const isUnreachable = (error: unknown): error is HostUnreachableError => error instanceof HostUnreachableError;

export interface WorkerTransport {
  readonly kind: "local" | "ssh";
  /** The registered host (ssh); undefined on this machine. */
  readonly hostId?: string;
  /** The host's agent binaries (ssh); on this machine the panel's config (LONGTABLE_<AGENT>_BIN) applies. */
  readonly agentBins?: Partial<Record<string, string>>;
  /** tmux there: the panel's socket on this machine, the host's socket on a host. */
  readonly tmux: Tmux;
  /** The repository root workers of `run` use there: the leader checkout, or the host's clone. */
  root(run: PanelRun): string;
  /**
   * Why workers of `run` cannot launch there now (PREFLIGHT_HELP keys, in the order tmux, git,
   * sandbox, agents); empty when they can. The sandbox is checked only when `sandboxMode` is bwrap.
   */
  preflight(run: PanelRun, agents: readonly AgentAdapter[], bins: Partial<Record<string, string>>, sandboxMode?: SandboxMode): Promise<string[]>;
  facts(): Promise<MachineFacts>;
  /** The panel's sandbox there (a bubblewrap trial, once per machine unless `fresh`). */
  sandbox(mode: SandboxMode, fresh?: boolean): Promise<SandboxStatus>;
  /** An agent binary setting (a name or a path) as an absolute path there; undefined when not found. */
  resolveBin(setting: string): Promise<string | undefined>;
  applyFiles(ops: readonly FileOp[]): Promise<void>;
  exists(path: string): Promise<boolean>;
  /** The worker's worktree there, from the leader's base (and snapshot); idempotent. */
  provision(request: ProvisionRequest): Promise<ProvisionResult>;
  /** The worktree's real git dir there (never read from its `.git` file); undefined when not registered. */
  worktreeGitDir(root: string, worktreePath: string): Promise<string | undefined>;
  commonGitDir(root: string): Promise<string>;
  /**
   * Bring the worker's finished turn here: its commits into the local repository, then its
   * exit, commit and result files into its local runtime folder (result.json last). A no-op on
   * this machine, where they already are.
   */
  syncResult(run: PanelRun, worker: PanelWorker): Promise<void>;
  /** Fetch the worker's branch into the local repository now (on demand): its head. A no-op on this machine. */
  fetchWorker(run: PanelRun, worker: PanelWorker): Promise<string | undefined>;
  /** Follow a running worker's activity and result live (tail); `unwatchRun` ends it for a run. */
  watch(run: PanelRun, worker: PanelWorker): void;
  unwatchRun(runId: string): void;
  /** Uncommitted and ignored files of the worker's worktree there; undefined when it is gone. */
  leftovers(run: PanelRun, worker: PanelWorker): Promise<Leftovers | undefined>;
  /**
   * Remove the worker's worktree there: only when clean (ignored entries in `reproducible`, which
   * the launch itself put there, do not count), or (`force`) whatever it holds. The branch stays.
   */
  removeWorktree(run: PanelRun, worker: PanelWorker, force: boolean, reproducible?: ReadonlySet<string>): Promise<RemoveResult>;
  /** Words for the UI: "this machine", "gpu1 (me@gpu1)". */
  describe(): string;
  /** The command a human runs to watch a worker's window. */
  attachCommand(session: string, window: string): string;
}
