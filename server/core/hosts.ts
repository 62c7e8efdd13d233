/**
 * Worker hosts (ARCHITECTURE.md §3 "Transports"): machines the user owns, reached with `ssh`,
 * where workers run in tmux exactly as on this one. Nothing of the panel's is installed there
 * besides its worker scripts, which it copies into the host's panel folder itself.
 */
import type { AgentId } from "./enums";

/** A host's name in the panel (it reaches records, file names and the UI). */
export const HOST_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}$/;
/**
 * An `ssh` destination as in ~/.ssh/config: an alias or `[user@]host`. Never a leading "-"
 * (ssh would read an option), no whitespace, quotes, `:` or `/` (git would read a URL or a path).
 */
export const SSH_DESTINATION_PATTERN = /^(?:[A-Za-z0-9_][A-Za-z0-9_.+-]{0,63}@)?[A-Za-z0-9_][A-Za-z0-9_.-]{0,252}$/;
/** One extra ssh option, `Key=value` (as `ssh -o`); no quotes or newlines (they would end the config line). */
export const SSH_OPTION_PATTERN = /^[A-Za-z][A-Za-z0-9]{1,40}=[^\s"'\\\r\n][^"'\\\r\n]{0,400}$/;
/** Options a host may not set: the panel owns the connection sharing and the commands run. */
export const SSH_OPTIONS_RESERVED = ["controlmaster", "controlpath", "controlpersist", "localcommand", "permitlocalcommand", "proxycommand", "remotecommand", "knownhostscommand", "include", "match"];

export interface HostSettings {
  id: string;
  /** The `ssh` destination (an alias of the ssh config, or `user@host`). */
  destination: string;
  /** A clone of the same repository on the host (absolute path there): workers' worktrees are made in it. */
  clonePath: string;
  /** Where the panel keeps its worker scripts and the agents' 0600 environment files there (default ~/.longtable-panel-host). */
  panelDir?: string;
  /** The tmux socket name there (`tmux -L`). */
  tmuxSocket: string;
  /** node there (a name on the host's PATH, or an absolute path): it runs the finish step. */
  nodeBin: string;
  /** Each agent's binary there (a name or an absolute path); unset ones use the agent's usual name. */
  agentBins: Partial<Record<AgentId, string>>;
  /** A local ssh config file to use instead of ~/.ssh/config. */
  sshConfig?: string;
  /** Extra `ssh -o` options (`Key=value`). */
  sshOptions: string[];
  /** Folders agents may write there besides their worktree (like LONGTABLE_SANDBOX_WRITABLE). */
  sandboxWritable: string[];
  createdAt: string;
  updatedAt: string;
}

/** How a host's connection is doing (kept in memory; the UI polls it). */
export interface HostStatus {
  id: string;
  state: "idle" | "connecting" | "up" | "unreachable";
  /** The last error, in words, when unreachable. */
  detail?: string;
  since: string;
  /** The shared connection's ssh process (ControlMaster) on this machine, while up. */
  masterPid?: number;
}
