/**
 * Every git process the panel starts goes through `gitBuffer` (ARCHITECTURE.md §6 "Containment"):
 *
 * - argv only, never a shell string;
 * - hooks off and fsmonitor off (`-c core.hooksPath=/dev/null -c core.fsmonitor=false`): a
 *   relative `core.hooksPath` (husky's `.husky/_`) would otherwise run hook files that an agent
 *   wrote in its worktree — `commit --no-verify` still runs prepare-commit-msg and post-commit,
 *   and a merge runs post-merge. `-c` values reach every git child process too (submodules);
 * - `submodule.recurse=false`, and callers that look at a working tree pass
 *   `--ignore-submodules`: git would otherwise run git inside an agent-made "submodule" folder,
 *   with that folder's own config;
 * - a clean environment: inherited GIT_DIR / GIT_WORK_TREE / GIT_INDEX_FILE … are dropped;
 * - in a worker's worktree, the caller passes the worktree's real git dir (`worktreeGit`), so
 *   git never reads the worktree's `.git` file, which the agent can rewrite to point at a
 *   repository of its own making (with its own config and hooks).
 */
import { spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";

/** Options placed before every git subcommand. */
export const GIT_HARDENING: readonly string[] = [
  "-c", "core.hooksPath=/dev/null",
  "-c", "core.fsmonitor=false",
  "-c", "submodule.recurse=false",
];

const INHERITED = [
  "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES",
  "GIT_NAMESPACE", "GIT_PREFIX", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "GIT_EXTERNAL_DIFF", "GIT_DIFF_OPTS",
];

/** A clean environment for git: nothing inherited that points it elsewhere, no prompts, no pager. */
export type EnvVars = Record<string, string | undefined>;

export function gitEnv(extra?: EnvVars): EnvVars {
  const env: EnvVars = { ...process.env };
  for (const name of INHERITED) delete env[name];
  env.GIT_TERMINAL_PROMPT = "0";
  env.GIT_PAGER = "cat";
  return { ...env, ...extra };
}

/** A worker worktree as git must see it: its real git dir (never its `.git` file) and its folder. */
export interface WorktreeGit {
  gitDir: string;
  workTree: string;
}

export interface GitOptions {
  /** Extra environment (over the clean one). */
  env?: EnvVars;
  input?: string | Buffer;
  /** Stop reading stdout after this many bytes (the process is killed; `truncated` is set). */
  limitBytes?: number;
  /** Run in a worker worktree through its real git dir. */
  worktree?: WorktreeGit;
}

export interface GitBufferResult {
  stdout: Buffer;
  stderr: string;
  code: number;
  /** stdout was cut at `limitBytes` (the process was killed). */
  truncated: boolean;
}

/** Run git with argv, collecting stdout as bytes. Never throws. */
export function gitBuffer(cwd: string, args: readonly string[], options: GitOptions = {}): Promise<GitBufferResult> {
  const env = gitEnv(options.worktree ? { ...options.env, GIT_DIR: options.worktree.gitDir, GIT_WORK_TREE: options.worktree.workTree } : options.env);
  return new Promise((resolvePromise) => {
    const child = spawn("git", [...GIT_HARDENING, ...args], { cwd, env: env as NodeJS.ProcessEnv, stdio: ["pipe", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    const err: Buffer[] = [];
    const limit = options.limitBytes ?? Number.POSITIVE_INFINITY;
    child.stdout.on("data", (chunk: Buffer) => {
      if (truncated) return;
      if (size + chunk.length > limit) {
        chunks.push(chunk.subarray(0, limit - size));
        size = limit;
        truncated = true;
        child.kill("SIGKILL");
        return;
      }
      chunks.push(chunk);
      size += chunk.length;
    });
    child.stderr.on("data", (chunk: Buffer) => {
      if (err.length < 64) err.push(chunk);
    });
    child.on("error", (error) => resolvePromise({ stdout: Buffer.alloc(0), stderr: error.message, code: 127, truncated }));
    child.on("close", (code) => {
      resolvePromise({ stdout: Buffer.concat(chunks, size), stderr: Buffer.concat(err).toString("utf8"), code: code ?? 1, truncated });
    });
    child.stdin.on("error", () => undefined);
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
}

export interface GitRunResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Run git with argv, never throwing; for callers that need the exit code. */
export async function runGit(cwd: string, args: readonly string[], options: GitOptions = {}): Promise<GitRunResult> {
  const r = await gitBuffer(cwd, args, options);
  return { stdout: r.stdout.toString("utf8"), stderr: r.stderr, code: r.code };
}

function failure(args: readonly string[], r: { stderr: string; stdout: string | Buffer }): Error {
  const sub = args.find((a) => !a.startsWith("-")) ?? args[0];
  return new Error(`git ${sub} failed: ${(r.stderr || r.stdout.toString()).trim().split("\n").slice(-3).join(" ")}`);
}

/** Run git; its stdout, or an Error with the last lines of stderr. */
export async function gitOk(cwd: string, args: readonly string[], options?: GitOptions): Promise<string> {
  const r = await runGit(cwd, args, options);
  if (r.code !== 0) throw failure(args, r);
  return r.stdout;
}
export const gitText = gitOk;

/** The top level of the work tree containing `path`, or undefined when it is not one. */
export async function workTreeTopLevel(path: string): Promise<string | undefined> {
  if (!isAbsolute(path) || !existsSync(path) || !statSync(path).isDirectory()) return undefined;
  const r = await runGit(path, ["rev-parse", "--is-inside-work-tree", "--show-toplevel"]);
  if (r.code !== 0) return undefined;
  const [inside, top] = r.stdout.trim().split("\n");
  return inside === "true" && top ? top : undefined;
}

export async function headCommit(repo: string): Promise<string | undefined> {
  const r = await runGit(repo, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

export async function currentBranch(repo: string): Promise<string | undefined> {
  const r = await runGit(repo, ["symbolic-ref", "--quiet", "--short", "HEAD"]);
  return r.code === 0 ? r.stdout.trim() || undefined : undefined;
}

/**
 * The branch the leader checkout had at `at` (ISO time), from HEAD's reflog ("checkout: moving
 * from A to B" entries): the target of the last checkout before `at`, else the branch left by the
 * first checkout after it. Undefined when the reflog says nothing (then: the current branch).
 */
export async function leaderBranchAt(repo: string, at: string): Promise<string | undefined> {
  const r = await runGit(repo, ["reflog", "show", "--format=%ct%x00%gs", "HEAD", "--"]);
  if (r.code !== 0) return undefined;
  const when = Date.parse(at) / 1000;
  let after: string | undefined;
  for (const line of r.stdout.split("\n")) {
    const [ct, subject = ""] = line.split("\0");
    const m = /^checkout: moving from (\S+) to (\S+)$/.exec(subject);
    if (!m) continue;
    if (Number(ct) <= when) return /^[0-9a-f]{40}$/.test(m[2]!) ? undefined : m[2];
    after = m[1];
  }
  return after && !/^[0-9a-f]{40}$/.test(after) ? after : undefined;
}

const commonDirs = new Map<string, Promise<string>>();

/** The repository's common git dir (`.git` of the leader checkout), cached. */
export function commonGitDir(repo: string): Promise<string> {
  let p = commonDirs.get(repo);
  if (!p) {
    p = gitOk(repo, ["rev-parse", "--git-common-dir"]).then((out) => resolve(repo, out.trim()));
    p.catch(() => commonDirs.delete(repo));
    commonDirs.set(repo, p);
  }
  return p;
}

/**
 * The real git dir of the linked worktree at `worktreePath`, found from the repository's side:
 * the entry of `<common>/worktrees/` whose `gitdir` file points back at `<worktree>/.git`. The
 * worktree's own `.git` file is never read (the agent can rewrite it). Undefined when the folder
 * is not a registered worktree of `repo`.
 */
export async function worktreeGit(repo: string, worktreePath: string): Promise<WorktreeGit | undefined> {
  const common = await commonGitDir(repo);
  const admin = join(common, "worktrees");
  const want = resolve(worktreePath, ".git");
  let names: string[];
  try {
    names = await readdir(admin);
  } catch {
    return undefined;
  }
  // The usual name first: git names the admin folder after the worktree's folder.
  const base = worktreePath.split("/").pop() ?? "";
  names.sort((a, b) => Number(b.startsWith(base)) - Number(a.startsWith(base)));
  for (const name of names) {
    try {
      const pointer = (await readFile(join(admin, name, "gitdir"), "utf8")).trim();
      if (resolve(admin, name, pointer) === want || resolve(pointer) === want) {
        return existsSync(worktreePath) ? { gitDir: join(admin, name), workTree: resolve(worktreePath) } : undefined;
      }
    } catch {
      // not a complete admin entry
    }
  }
  return undefined;
}

const EXCLUDE_LINES = [".longtable/", ".longtable-worker/"];

/** Keep panel runtime files out of every status and commit: the shared info/exclude, idempotently. */
export async function ensureExcludes(repo: string): Promise<void> {
  const { mkdir, appendFile } = await import("node:fs/promises");
  const common = await commonGitDir(repo);
  const file = join(common, "info", "exclude");
  await mkdir(join(common, "info"), { recursive: true });
  const current = existsSync(file) ? await readFile(file, "utf8") : "";
  const have = new Set(current.split("\n").map((l) => l.trim()));
  const missing = EXCLUDE_LINES.filter((l) => !have.has(l));
  if (missing.length === 0) return;
  const prefix = current.length > 0 && !current.endsWith("\n") ? "\n" : "";
  await appendFile(file, `${prefix}# LongTable Panel runtime files\n${missing.join("\n")}\n`);
}
