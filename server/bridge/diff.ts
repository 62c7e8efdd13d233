/**
 * Diffs of worker changes (ARCHITECTURE.md §7): the file list and the commits between two points.
 * argv only; every commit id that reaches git here has been validated by the caller (hex) or comes
 * from git itself. The file list comes from ONE `git diff-tree -r -z -M --raw --numstat` call,
 * parsed from its NUL-separated output (renames, spaces, non-ASCII paths, binary `-\t-`, mode
 * changes). Uncommitted changes: snapshot.ts; hunks and line ranges: hunks.ts.
 */
import { gitBuffer, gitText } from "./git";

export { gitBuffer, gitText };

export const RUNTIME_DIR = ".longtable-worker";
/** Pathspec that keeps the worker runtime folder out of every listing. */
export const RUNTIME_EXCLUDE = `:(top,exclude)${RUNTIME_DIR}`;
export const COMMIT_ID = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

export type FileStatus = "added" | "modified" | "deleted" | "renamed" | "copied" | "typechange";

export interface DiffFile {
  path: string;
  oldPath?: string;
  status: FileStatus;
  /** Rename / copy similarity in percent. */
  similarity?: number;
  additions: number;
  deletions: number;
  binary: boolean;
  /** Octal git modes ("100644", "100755", "120000" symlink, "160000" submodule); absent for the side that does not exist. */
  oldMode?: string;
  newMode?: string;
  /** Set by the service when the file differs between the worker HEAD and its worktree. */
  uncommitted?: boolean;
}

// ---------------------------------------------------------------------------------------------
// File list

// (U "unmerged" and X "unknown" never appear in a tree-to-tree diff; anything else reads as modified)
const STATUS: Record<string, FileStatus> = { A: "added", M: "modified", D: "deleted", R: "renamed", C: "copied", T: "typechange" };
const RAW_HEADER = /^:([0-7]{6}) ([0-7]{6}) [0-9a-f]+ [0-9a-f]+ ([A-Z])([0-9]{0,3})$/;
const ZERO_MODE = "000000";

/**
 * Parse `git diff(-tree) -z --raw --numstat` output: all raw records first
 * (`:<m1> <m2> <o1> <o2> <S>[score]\0<path>\0[<path2>\0]`), then as many numstat records
 * (`<add>\t<del>\t<path>\0` or, for renames/copies, `<add>\t<del>\t\0<old>\0<new>\0`).
 * Paths are consumed by position, so a path that looks like a header is still a path.
 */
export function parseRawNumstat(output: string): DiffFile[] {
  return parseRaw(output, true) as DiffFile[];
}

/** A changed file without line counts (from `--raw` alone: no content diff, so much cheaper). */
export type ChangedFile = Pick<DiffFile, "path" | "oldPath" | "status" | "similarity" | "oldMode" | "newMode">;

function parseRaw(output: string, withNumstat: boolean): Array<DiffFile | ChangedFile> {
  const tokens = output.split("\0");
  if (tokens[tokens.length - 1] === "") tokens.pop();
  const files: DiffFile[] = [];
  let i = 0;
  while (i < tokens.length) {
    const m = RAW_HEADER.exec(tokens[i]!);
    if (!m) break;
    const [, oldMode, newMode, letter, score] = m as unknown as [string, string, string, string, string];
    const status = STATUS[letter] ?? "modified";
    const two = letter === "R" || letter === "C";
    const first = tokens[i + 1];
    const second = two ? tokens[i + 2] : undefined;
    if (first === undefined || (two && second === undefined)) throw new Error("truncated git diff --raw output");
    const file: DiffFile = withNumstat
      ? { path: two ? second! : first, status, additions: 0, deletions: 0, binary: false }
      : ({ path: two ? second! : first, status } as DiffFile);
    if (two) file.oldPath = first;
    if (two && score) file.similarity = Number(score);
    if (oldMode !== ZERO_MODE) file.oldMode = oldMode;
    if (newMode !== ZERO_MODE) file.newMode = newMode;
    files.push(file);
    i += two ? 3 : 2;
  }
  if (!withNumstat) return files;
  for (const file of files) {
    const t = tokens[i];
    if (t === undefined) throw new Error("git diff --numstat output has fewer records than --raw");
    const tab1 = t.indexOf("\t");
    const tab2 = t.indexOf("\t", tab1 + 1);
    if (tab1 < 0 || tab2 < 0) throw new Error(`unexpected git diff --numstat record ${JSON.stringify(t.slice(0, 80))}`);
    const add = t.slice(0, tab1);
    const del = t.slice(tab1 + 1, tab2);
    const rest = t.slice(tab2 + 1);
    i += rest === "" ? 3 : 1; // rename/copy: the two paths follow as their own records
    if (add === "-" && del === "-") {
      file.binary = true;
    } else {
      file.additions = Number(add) || 0;
      file.deletions = Number(del) || 0;
    }
  }
  return files;
}

/**
 * The files changed from `from` to `to` (commits or trees), in one git call (plumbing: no
 * external diff, no textconv, no user diff config). With `paths` (taken literally) only those.
 */
export async function diffFiles(repo: string, from: string, to: string, paths?: readonly string[]): Promise<DiffFile[]> {
  const args = paths
    ? ["--literal-pathspecs", "diff-tree", "-r", "-z", "-M", "--raw", "--numstat", from, to, "--", ...paths]
    : ["diff-tree", "-r", "-z", "-M", "--raw", "--numstat", from, to, "--", ".", RUNTIME_EXCLUDE];
  return parseRawNumstat(await gitText(repo, args));
}

/** Do `paths` (taken literally) differ between two trees? */
export async function pathsDiffer(repo: string, from: string, to: string, paths: readonly string[]): Promise<boolean> {
  const r = await gitBuffer(repo, ["--literal-pathspecs", "diff-tree", "--quiet", "-r", from, to, "--", ...paths]);
  if (r.code > 1) throw new Error(`git diff-tree --quiet failed: ${r.stderr.trim()}`);
  return r.code === 1;
}

/** The files changed from `from` to `to`, without line counts (one cheap `--raw` call). */
export async function changedFiles(repo: string, from: string, to: string): Promise<ChangedFile[]> {
  return parseRaw(await gitText(repo, ["diff-tree", "-r", "-z", "-M", "--raw", from, to, "--", ".", RUNTIME_EXCLUDE]), false);
}

/** Paths that differ between two trees (names only, both sides of a rename). */
export async function changedPaths(repo: string, from: string, to: string): Promise<Set<string>> {
  const out = await gitText(repo, ["diff-tree", "-r", "-z", "--name-only", "--no-renames", from, to, "--", ".", RUNTIME_EXCLUDE]);
  return new Set(out.split("\0").filter(Boolean));
}

// ---------------------------------------------------------------------------------------------
// Commits between two points

export interface CommitSummary {
  commit: string;
  subject: string;
  parents: string[];
}

/** Commits reachable from `head` but not from `base`, oldest first. */
export async function commitsBetween(repo: string, base: string, head: string, options: { firstParent?: boolean; limit?: number } = {}): Promise<CommitSummary[]> {
  const args = ["log", "--reverse", "--topo-order", "-z", "--format=%H%x1f%P%x1f%s"];
  if (options.firstParent) args.push("--first-parent");
  if (options.limit) args.push(`--max-count=${options.limit}`);
  args.push(`${base}..${head}`, "--");
  const out = await gitText(repo, args);
  return out
    .split("\0")
    .filter(Boolean)
    .map((rec) => {
      const [commit = "", parents = "", subject = ""] = rec.replace(/^\n/, "").split("\x1f");
      return { commit, parents: parents.split(" ").filter(Boolean), subject };
    });
}

export async function countCommits(repo: string, base: string, head: string): Promise<number> {
  return Number((await gitText(repo, ["rev-list", "--count", `${base}..${head}`, "--"])).trim()) || 0;
}

export async function objectExists(repo: string, id: string, type: "commit" | "tree" = "commit"): Promise<string | undefined> {
  const r = await gitBuffer(repo, ["rev-parse", "--verify", "--quiet", "--end-of-options", `${id}^{${type}}`]);
  return r.code === 0 ? r.stdout.toString("utf8").trim() : undefined;
}


