/**
 * The panel's own sandbox around every agent (ARCHITECTURE.md §6 "Containment"): bubblewrap with
 * the whole filesystem read-only, the worker's worktree writable, a private /tmp, the run folders,
 * the panel's data dir and the user's sockets in /run/user and the docker socket hidden, its own PID/IPC/UTS namespaces (no signals or ptrace to
 * anything outside), no controlling terminal (no TIOCSTI into the pane), and the network on (agents
 * call model APIs). Besides the worktree, only the agent's private home and the worker's outbox
 * (where its final message goes) are writable.
 *
 * `LONGTABLE_SANDBOX` (server/config.ts): `auto` (default: bubblewrap when a trial run works, else
 * the agent's own sandbox), `bwrap` (required: launching fails when it does not work), `off` (the
 * agent's own sandbox only). `LONGTABLE_SANDBOX_WRITABLE` adds folders agents may write.
 */
import { execFile } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join, posix, relative } from "node:path";
import { resolveExecutable } from "../agents/executable";

export type SandboxMode = "auto" | "bwrap" | "off";

/**
 * Places outside /tmp where other programs of the user listen, hidden from agents on every
 * machine where they exist: connect() works on a read-only mount, so the read-only root alone
 * would leave them reachable. /run/user/<uid> holds the systemd user bus (`systemd-run --user`
 * starts programs outside the sandbox), ssh-agent, gpg-agent, a rootless docker.
 */
export const SYSTEM_HIDDEN_DIRS: readonly string[] = ["/run/user"];
/** Sockets that are files in shared folders: /dev/null is bound over them (connect() then fails). */
export const SYSTEM_SOCKETS: readonly string[] = ["/run/docker.sock", "/var/run/docker.sock", "/run/podman/podman.sock"];

/** A path's real location when it exists (a symlink to a hidden folder is judged by where it goes). */
export function realOrSame(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** The system places of SYSTEM_HIDDEN_DIRS / SYSTEM_SOCKETS that exist on this machine (bwrap fails on a missing mount point). */
export function localSystemHides(): { hide: string[]; mask: string[] } {
  const present = (list: readonly string[]) => [...new Set(list.filter((p) => existsSync(p)).map(realOrSame))];
  return { hide: present(SYSTEM_HIDDEN_DIRS), mask: present(SYSTEM_SOCKETS) };
}

export interface SandboxSpec {
  /** The worker's worktree: writable, and the working directory. */
  worktree: string;
  /** The repository's git dir: readable (the worktree's git metadata lives there), never writable. */
  gitCommonDir: string;
  /** Folders to hide (an empty tmpfs over them): the repo's run folders, the panel's data dir, /run/user. */
  hide: readonly string[];
  /** Files (sockets) to cover with /dev/null: the docker socket. Only ones that exist. */
  mask?: readonly string[];
  /** The panel's own writable folders: the agent's private home, the worker's outbox (inside the hidden run folders). */
  writable: readonly string[];
  /**
   * The user's extra writable folders (LONGTABLE_SANDBOX_WRITABLE, a host's sandboxWritable):
   * refused when one contains or sits inside a hidden place or the git dir.
   */
  userWritable?: readonly string[];
  /** Files inside hidden folders the agent must read (the run's output schema). */
  readable?: readonly string[];
}

const inside = (dir: string, path: string) => {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
};

const depth = (p: string) => posix.normalize(p).split("/").filter(Boolean).length;

/**
 * Why `writable` may not be an extra writable folder, or undefined: it contains or sits inside
 * one of `guarded` (a hidden place, the git dir), whose contents it would expose or make writable.
 */
export function writableConflict(writable: string, guarded: ReadonlyArray<{ path: string; what: string }>): string | undefined {
  for (const g of guarded) {
    const how = relative(writable, g.path) === "" ? "is" : inside(writable, g.path) ? "contains" : inside(g.path, writable) ? "is inside" : undefined;
    if (how) {
      return `the extra writable sandbox folder ${writable} ${how} ${g.path} (${g.what}), which agents must neither see nor change: ` +
        "remove it from LONGTABLE_SANDBOX_WRITABLE (or the host's sandboxWritable) and name a folder that neither contains nor sits inside it, e.g. a build cache folder beside it";
    }
  }
  return undefined;
}

/**
 * bubblewrap's argv (without the binary), ending with "--": the agent's argv follows.
 *
 * Mounts are applied in order, a later one over an earlier one, so they go parent before child
 * (by depth): a writable folder that contains a hidden one is bound first and the tmpfs hides
 * the inner one after it; the worktree, the agent's home and the outbox inside the hidden run
 * folders are bound after the tmpfs over them; the git dir's read-only bind comes after any
 * writable parent. At the same path the more restrictive mount wins (last), except that the
 * worktree stays writable over a git dir at the same path (the trial run's).
 */
export function bwrapArgs(spec: SandboxSpec): string[] {
  const userWritable = spec.userWritable ?? [];
  for (const p of [spec.worktree, spec.gitCommonDir, ...spec.hide, ...(spec.mask ?? []), ...spec.writable, ...userWritable, ...(spec.readable ?? [])]) {
    if (!isAbsolute(p) || p.includes("\0")) throw new Error(`sandbox path must be absolute: ${JSON.stringify(p)}`);
  }
  const guarded = [
    ...spec.hide.map((path) => ({ path, what: "hidden from agents" })),
    ...(spec.mask ?? []).map((path) => ({ path, what: "a socket hidden from agents" })),
    { path: spec.gitCommonDir, what: "the repository's git dir, read-only for agents" },
  ];
  for (const w of userWritable) {
    const conflict = writableConflict(w, guarded);
    if (conflict) throw new Error(conflict);
  }
  const binds = [spec.worktree, spec.gitCommonDir, ...spec.writable, ...userWritable];
  // Under /tmp (a fresh tmpfs) a hidden place is hidden already, unless a bind brings it back.
  const needed = (p: string) => !inside("/tmp", p) || binds.some((b) => inside(b, p));
  const mounts: Array<{ path: string; rank: number; args: string[] }> = [];
  for (const w of [...spec.writable, ...userWritable]) mounts.push({ path: w, rank: 0, args: ["--bind", w, w] });
  mounts.push({ path: spec.gitCommonDir, rank: 1, args: ["--ro-bind", spec.gitCommonDir, spec.gitCommonDir] });
  mounts.push({ path: spec.worktree, rank: 2, args: ["--bind", spec.worktree, spec.worktree] });
  for (const h of spec.hide) if (needed(h)) mounts.push({ path: h, rank: 3, args: ["--tmpfs", h] });
  for (const m of spec.mask ?? []) if (needed(m)) mounts.push({ path: m, rank: 4, args: ["--ro-bind", "/dev/null", m] });
  for (const r of spec.readable ?? []) mounts.push({ path: r, rank: 5, args: ["--ro-bind", r, r] });
  mounts.sort((a, b) => depth(a.path) - depth(b.path) || a.rank - b.rank);
  const args = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"];
  for (const m of mounts) args.push(...m.args);
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
    // With this machine's system hides: a mount bubblewrap refuses here fails the trial, not every launch.
    const system = localSystemHides();
    const args = [...bwrapArgs({ worktree: wt, gitCommonDir: wt, hide: [dir, ...system.hide], mask: system.mask, writable: [] }), "sh", "-c", script, "trial", dir];
    const r = await run(bwrap, args, dir);
    if (r.code !== 0) {
      return { active: false, bwrap, version, reason: `bubblewrap is installed but a trial run failed: ${r.out.split("\n")[0] ?? `exit ${r.code}`}`, fix: "allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1), or run where bubblewrap works; set LONGTABLE_SANDBOX=off to rely on the agents' own sandboxes" };
    }
    return { active: true, bwrap, version };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
