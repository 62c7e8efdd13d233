/**
 * How the panel runs a repository config command outside a worker's tmux window (ARCHITECTURE.md
 * §10): a worker's teardown, and the merge queue's setup and check. bash by absolute path from
 * the panel's PATH (the config's env may point the command's PATH into the worktree, where an
 * agent can leave a `bash`), inside the panel's sandbox when it is active — the filesystem
 * read-only, `worktree` writable, the run folders, the data dir and the user's sockets hidden — or
 * as the user when it is off (§6: the approval is then the only gate).
 */
import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { resolveExecutable } from "../../agents/executable";
import { commonGitDir } from "../../bridge/git";
import { runsRoot } from "../../bridge/layout";
import { bwrapArgs, localSystemHides, realOrSame, type SandboxStatus } from "../../bridge/sandbox";
import { agentEnvironment } from "../lifecycle/attempt";
import type { Panel } from "../panel";

const BASH = resolveExecutable("bash") ?? "/bin/bash";

/**
 * The argv that runs `command` with `worktree` (of `repo`) writable. Throws when an extra
 * writable folder (LONGTABLE_SANDBOX_WRITABLE) would expose a hidden place: nothing is run then.
 */
export async function configCommandArgv(
  panel: Panel,
  sandbox: SandboxStatus,
  repo: string,
  worktree: string,
  command: string,
  extra: { writable?: string[]; readable?: string[] } = {},
): Promise<string[]> {
  if (!sandbox.active) return [BASH, "-c", command];
  const system = localSystemHides();
  return [sandbox.bwrap!, ...bwrapArgs({
    worktree,
    gitCommonDir: await commonGitDir(repo),
    hide: [dirname(runsRoot(repo)), realOrSame(panel.config.dataDir), ...system.hide],
    mask: system.mask,
    writable: extra.writable ?? [],
    userWritable: panel.config.sandboxWritable.filter((p) => existsSync(p)).map(realOrSame),
    readable: extra.readable,
  }), BASH, "-c", command];
}

/** The environment of a config command: the agent's rules (agentEnvironment), the panel's node first on PATH. */
export function configCommandEnv(vars: Record<string, string>): Record<string, string> {
  const env = agentEnvironment(vars);
  env.PATH = `${dirname(process.execPath)}:${env.PATH ?? "/usr/local/bin:/usr/bin:/bin"}`;
  return env;
}
