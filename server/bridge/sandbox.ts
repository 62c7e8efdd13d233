/**
 * The panel's own sandbox around every agent (ARCHITECTURE.md §6 "Containment"): bubblewrap with
 * the whole filesystem read-only, the worker's worktree writable, a private /tmp, the run folders
 * and the panel's data dir hidden, its own PID/IPC/UTS namespaces (no signals or ptrace to
 * anything outside), no controlling terminal (no TIOCSTI into the pane), and the network on (agents
 * call model APIs). Besides the worktree, only the agent's private home and the worker's outbox
 * (where its final message goes) are writable.
 *
 * `LONGTABLE_SANDBOX` (server/config.ts): `auto` (default: bubblewrap when a trial run works, else
 * the agent's own sandbox), `bwrap` (required: launching fails when it does not work), `off` (the
 * agent's own sandbox only). `LONGTABLE_SANDBOX_WRITABLE` adds folders agents may write.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join, relative } from "node:path";
import { resolveExecutable } from "../agents/executable";

export type SandboxMode = "auto" | "bwrap" | "off";

export interface SandboxSpec {
  /** The worker's worktree: writable, and the working directory. */
  worktree: string;
  /** The repository's git dir: readable (the worktree's git metadata lives there), never writable. */
  gitCommonDir: string;
  /** Folders to hide (an empty tmpfs over them): the repo's run folders, the panel's data dir. */
  hide: readonly string[];
  /** Other writable folders: the agent's private home, the worker's outbox. */
  writable: readonly string[];
  /** Files inside hidden folders the agent must read (the run's output schema). */
  readable?: readonly string[];
}

const inside = (dir: string, path: string) => {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
};

/** bubblewrap's argv (without the binary), ending with "--": the agent's argv follows. */
export function bwrapArgs(spec: SandboxSpec): string[] {
  for (const p of [spec.worktree, spec.gitCommonDir, ...spec.hide, ...spec.writable, ...(spec.readable ?? [])]) {
    if (!isAbsolute(p) || p.includes("\0")) throw new Error(`sandbox path must be absolute: ${JSON.stringify(p)}`);
  }
  const args = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"];
  // Hidden folders (those under /tmp are hidden already); the ones re-exposed below are bound over them.
  for (const h of spec.hide) if (!inside("/tmp", h)) args.push("--tmpfs", h);
  args.push("--ro-bind", spec.gitCommonDir, spec.gitCommonDir);
  args.push("--bind", spec.worktree, spec.worktree);
  for (const w of spec.writable) args.push("--bind", w, w);
  for (const r of spec.readable ?? []) args.push("--ro-bind", r, r);
  args.push("--chdir", spec.worktree, "--unshare-all", "--share-net", "--die-with-parent", "--new-session", "--");
  return args;
}

export interface SandboxStatus {
  /** The panel's sandbox will be used for agents. */
  active: boolean;
  mode: SandboxMode;
  bwrap?: string;
  version?: string;
  /** Why it is not active, in words. */
  reason?: string;
  fix?: string;
}

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { cwd, timeout: 10_000, encoding: "utf8" }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof (error as { code?: unknown }).code === "number" ? (error as { code: number }).code : 1) : 0, out: `${stdout}${stderr}`.trim() });
    });
    child.stdin?.end();
  });
}

let probed: Promise<Omit<SandboxStatus, "mode">> | undefined;

/**
 * Is the panel's sandbox usable here, in `mode`? The bubblewrap trial (a write inside works, a
 * write outside fails, a hidden folder is hidden) runs once per process unless `fresh`.
 */
export async function sandboxStatus(mode: SandboxMode, fresh = false): Promise<SandboxStatus> {
  if (mode === "off") return { active: false, mode, reason: "LONGTABLE_SANDBOX=off: agents run in their own sandbox only" };
  if (!probed || fresh) probed = probeSandbox(process.env);
  return { ...(await probed), mode };
}

async function probeSandbox(env: NodeJS.ProcessEnv): Promise<Omit<SandboxStatus, "mode">> {
  const bwrap = resolveExecutable("bwrap", env.PATH ?? "");
  const install = "apt-get install -y bubblewrap";
  if (!bwrap) return { active: false, reason: "bubblewrap (bwrap) is not installed", fix: install };
  const version = (await run(bwrap, ["--version"], "/")).out.replace(/^bubblewrap\s*/, "");
  const dir = await mkdtemp(join(tmpdir(), "ltp-sandbox-trial-"));
  try {
    const wt = join(dir, "wt");
    await run("mkdir", ["-p", wt], dir);
    // A write in the worktree works, a write to the (read-only) root fails, the data dir is hidden.
    const script = 'echo ok > ./inside && ! (echo x > /.ltp-sandbox-trial) 2>/dev/null && [ ! -e "$1/secret" ]';
    await run("sh", ["-c", 'echo s > "$1/secret"', "trial", dir], dir);
    const args = [...bwrapArgs({ worktree: wt, gitCommonDir: wt, hide: [dir], writable: [] }), "sh", "-c", script, "trial", dir];
    const r = await run(bwrap, args, dir);
    if (r.code !== 0) {
      return { active: false, bwrap, version, reason: `bubblewrap is installed but a trial run failed: ${r.out.split("\n")[0] ?? `exit ${r.code}`}`, fix: "allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1), or run where bubblewrap works; set LONGTABLE_SANDBOX=off to rely on the agents' own sandboxes" };
    }
    return { active: true, bwrap, version };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
