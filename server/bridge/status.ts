/**
 * What a checkout holds besides its commits: local changes and ignored files. Read-only (never
 * writes an index: `--no-optional-locks`). For a worker's worktree, callers pass its real git dir.
 */
import { gitBuffer, type WorktreeGit } from "./git";

/**
 * Paths with local changes (staged, unstaged or untracked) in a checkout; never writes its index.
 * For a worker's worktree pass its real git dir (`worktree`): submodules are then not looked into.
 */
export async function dirtyPaths(checkout: string, worktree?: WorktreeGit): Promise<string[]> {
  const args = ["--no-optional-locks", "status", "--porcelain=v1", "-z", "--untracked-files=all"];
  if (worktree) args.push("--ignore-submodules=all");
  const r = await gitBuffer(checkout, args, { worktree });
  if (r.code !== 0) return [];
  return parseStatusPaths(r.stdout.toString("utf8"));
}

/** Paths of `git status --porcelain=v1 -z` output (both sides of a rename). */
export function parseStatusPaths(output: string, filter?: (xy: string) => boolean): string[] {
  const tokens = output.split("\0");
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.length < 4) continue;
    const keep = !filter || filter(t.slice(0, 2));
    if (keep) out.push(t.slice(3));
    if (t[0] === "R" || t[0] === "C") {
      const source = tokens[++i] ?? ""; // -z: the rename source follows
      if (keep) out.push(source);
    }
  }
  return out.filter(Boolean);
}

/**
 * Ignored files and folders in a checkout (folders collapsed, as `dir/`): what `git merge` would
 * silently overwrite and `git worktree remove` would silently delete.
 */
export async function ignoredPaths(checkout: string, worktree?: WorktreeGit): Promise<string[]> {
  const r = await gitBuffer(checkout, ["ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory"], { worktree });
  if (r.code !== 0) return [];
  return r.stdout.toString("utf8").split("\0").filter(Boolean);
}

/** The paths among `paths` that are ignored files in the checkout (or inside an ignored folder there). */
export function collidingIgnored(ignored: readonly string[], paths: Iterable<string>): string[] {
  const exact = new Set(ignored.filter((p) => !p.endsWith("/")));
  const dirs = ignored.filter((p) => p.endsWith("/"));
  const out: string[] = [];
  for (const p of paths) if (exact.has(p) || dirs.some((d) => p.startsWith(d))) out.push(p);
  return out.sort();
}
