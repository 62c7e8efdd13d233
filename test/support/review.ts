/** Helpers for the diff/merge tests: byte-level fingerprints of a repo's refs, checkouts and indexes. */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import { TRPCError } from "@trpc/server";
import { expect } from "vitest";

export const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** The index file of the checkout at `cwd` (leader: .git/index; linked worktree: .git/worktrees/<name>/index). */
export function indexPath(cwd: string): string {
  return resolve(cwd, git(cwd, "rev-parse", "--git-path", "index").trim());
}

/** sha256 of every file under `dir` (paths relative), skipping .git and panel runtime folders. */
export function treeHashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      if (name === ".git" || name === ".longtable" || name === ".longtable-worker") continue;
      const p = join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p, r);
      else out[r] = `${(st.mode & 0o777).toString(8)}:${st.isSymbolicLink() ? `->${readlinkSync(p)}` : sha(readFileSync(p))}`;
    }
  };
  walk(dir, "");
  return out;
}

/**
 * Everything a merge preview or a refused merge must leave alone: every ref, and for every
 * checkout (leader and worktrees) its HEAD, index bytes, status and working files.
 */
export function repoFingerprint(repo: string) {
  const refs = git(repo, "for-each-ref", "--format=%(refname) %(objectname)");
  const worktrees = git(repo, "worktree", "list", "--porcelain")
    .split("\n")
    .filter((l) => l.startsWith("worktree "))
    .map((l) => l.slice(9))
    .filter((p) => existsSync(p))
    .map((p) => ({
      path: p,
      head: git(p, "rev-parse", "HEAD"),
      index: existsSync(indexPath(p)) ? sha(readFileSync(indexPath(p))) : null,
      status: git(p, "--no-optional-locks", "status", "--porcelain=v2", "-z", "--untracked-files=all"),
      files: treeHashes(p),
    }));
  return { refs, worktrees };
}

export async function expectCode(p: Promise<unknown>, code: string): Promise<TRPCError> {
  const error = await p.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(TRPCError);
  expect((error as TRPCError).code).toBe(code);
  return error as TRPCError;
}

/** The merge tests' repository: a 20-line src/app.txt whose lines workers change (appWith), beside two small files. */
const APP = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);
export const appWith = (changes: Record<number, string>) => `${APP.map((l, i) => changes[i + 1] ?? l).join("\n")}\n`;
export const MERGE_FILES = { "README.md": "# demo\n", "src/app.txt": appWith({}), "notes.txt": "notes\n" };
