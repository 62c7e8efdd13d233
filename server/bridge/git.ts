/**
 * Git effects. argv arrays only (simple-git / execFile); nothing from a request is ever put
 * into a shell string.
 */
import { execFile } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { isAbsolute } from "node:path";
import { simpleGit, type SimpleGit } from "simple-git";

export function git(cwd: string): SimpleGit {
  return simpleGit({ baseDir: cwd, maxConcurrentProcesses: 8, trimmed: false });
}

export interface GitRunResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Run git with argv, never throwing; for callers that need the exit code. */
export function runGit(cwd: string, args: readonly string[], options: { input?: string | Buffer; env?: NodeJS.ProcessEnv; maxBuffer?: number } = {}): Promise<GitRunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      "git",
      args as string[],
      { cwd, env: options.env ?? process.env, maxBuffer: options.maxBuffer ?? 256 * 1024 * 1024, encoding: "utf8" },
      (error, stdout, stderr) => {
        const code = error ? (typeof (error as { code?: unknown }).code === "number" ? ((error as { code: number }).code) : 1) : 0;
        resolve({ stdout, stderr, code });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

export async function gitOk(cwd: string, args: readonly string[], options?: Parameters<typeof runGit>[2]): Promise<string> {
  const r = await runGit(cwd, args, options);
  if (r.code !== 0) {
    throw new Error(`git ${args[0]} failed: ${(r.stderr || r.stdout).trim().split("\n").slice(-3).join(" ")}`);
  }
  return r.stdout;
}

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

const EXCLUDE_LINES = [".longtable/", ".longtable-worker/"];

/** Keep panel runtime files out of every status and commit: the shared info/exclude, idempotently. */
export async function ensureExcludes(repo: string): Promise<void> {
  const { mkdir, readFile, appendFile } = await import("node:fs/promises");
  const { join: joinPath, resolve: resolvePath } = await import("node:path");
  const common = resolvePath(repo, (await gitOk(repo, ["rev-parse", "--git-common-dir"])).trim());
  const file = joinPath(common, "info", "exclude");
  await mkdir(joinPath(common, "info"), { recursive: true });
  const current = existsSync(file) ? await readFile(file, "utf8") : "";
  const have = new Set(current.split("\n").map((l) => l.trim()));
  const missing = EXCLUDE_LINES.filter((l) => !have.has(l));
  if (missing.length === 0) return;
  const prefix = current.length > 0 && !current.endsWith("\n") ? "\n" : "";
  await appendFile(file, `${prefix}# LongTable Panel runtime files\n${missing.join("\n")}\n`);
}
