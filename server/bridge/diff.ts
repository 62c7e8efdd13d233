/**
 * Diffs of worker changes (ARCHITECTURE.md §7). argv only; every commit id that reaches git here has
 * been validated by the caller (hex) or comes from git itself.
 *
 * - The file list comes from ONE `git diff-tree -r -z -M --raw --numstat` call, parsed from its
 *   NUL-separated output (renames, spaces, non-ASCII paths, binary `-\t-`, mode changes).
 * - A worktree's uncommitted changes are captured as a tree without touching the worker's index:
 *   a temporary GIT_INDEX_FILE (a copy of the worker's index, used only for its stat cache; or
 *   `read-tree HEAD` when there is none), `git add -A`, `git write-tree`.
 * - Hunks are parsed per file, on demand, with size limits.
 */
import { existsSync } from "node:fs";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gitBuffer, gitText, type WorktreeGit } from "./git";

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
// Worktree snapshots (uncommitted changes) without touching the worker's index

export interface WorktreeHead {
  head: string;
  tree: string;
  /** The worktree's own index file (`.git/worktrees/<name>/index` for a linked worktree). */
  indexPath: string;
}

/**
 * HEAD of a worker's worktree, read through its real git dir (never its `.git` file), when the
 * folder still exists.
 */
export async function worktreeHead(wt: WorktreeGit): Promise<WorktreeHead | undefined> {
  if (!existsSync(wt.workTree)) return undefined;
  const r = await gitBuffer(wt.workTree, ["rev-parse", "HEAD", "HEAD^{tree}"], { worktree: wt });
  if (r.code !== 0) return undefined;
  const [head, tree] = r.stdout.toString("utf8").trim().split("\n");
  if (!head || !tree) return undefined;
  return { head, tree, indexPath: join(wt.gitDir, "index") };
}

const IGNORE_TTL_MS = 60_000;
const ignoreCache = new Map<string, { ignored: boolean; at: number }>();

/** Is the runtime folder ignored in this worktree (info/exclude, the normal case)? Cached briefly. */
async function runtimeDirIgnored(wt: WorktreeGit): Promise<boolean> {
  const hit = ignoreCache.get(wt.workTree);
  if (hit && Date.now() - hit.at < IGNORE_TTL_MS) return hit.ignored;
  const ignored = (await gitBuffer(wt.workTree, ["check-ignore", "-q", "--no-index", `${RUNTIME_DIR}/`], { worktree: wt })).code === 0;
  if (ignoreCache.size > 1000) ignoreCache.clear();
  ignoreCache.set(wt.workTree, { ignored, at: Date.now() });
  return ignored;
}

export interface WorktreeSnapshot {
  /** Tree of everything in the worktree (tracked and untracked, not ignored, not the runtime folder). */
  tree: string;
  /** The tree differs from HEAD's. */
  dirty: boolean;
}

/**
 * Snapshot the worktree into a tree object. The worker's own index and working files are never
 * written: git reads and writes only a temporary index (GIT_INDEX_FILE) in a temp folder.
 */
export async function snapshotWorktree(wt: WorktreeGit, head: Pick<WorktreeHead, "tree" | "indexPath">): Promise<WorktreeSnapshot> {
  const dir = await mkdtemp(join(tmpdir(), "ltp-snap-"));
  const index = join(dir, "index");
  const opts = { worktree: wt, env: { GIT_INDEX_FILE: index, GIT_OPTIONAL_LOCKS: "0" } };
  const cwd = wt.workTree;
  try {
    const [ignored, seeded] = await Promise.all([
      runtimeDirIgnored(wt),
      // Only for its stat cache (so unchanged files are not re-hashed): `add -A` makes the
      // temporary index match the worktree whatever it started from.
      copyFile(head.indexPath, index).then(() => true, () => false),
    ]);
    if (!seeded) await gitText(cwd, ["read-tree", "HEAD"], opts);
    // Git repositories the agent made inside the worktree are left out (as the finish step does).
    const others = await gitBuffer(cwd, ["ls-files", "-z", "--others", "--exclude-standard"], { worktree: wt });
    const skip = others.stdout.toString("utf8").split("\0").filter((p) => p.endsWith("/")).map((p) => `:(exclude,literal)${p}`);
    let add = await gitBuffer(cwd, ["add", "-A", "--", ".", ...skip], opts);
    if (add.code !== 0 && seeded) {
      // An index git cannot use as is (split index, newer format …): start from HEAD instead.
      await rm(index, { force: true });
      await gitText(cwd, ["read-tree", "HEAD"], opts);
      add = await gitBuffer(cwd, ["add", "-A", "--", ".", ...skip], opts);
    }
    if (add.code !== 0) throw new Error(`git add (temporary index) failed: ${add.stderr.trim().split("\n").slice(-2).join(" ")}`);
    // Runtime files never count as changes: when the folder is not ignored, drop it from the temp index.
    if (!ignored) await gitText(cwd, ["rm", "-r", "-q", "--cached", "--ignore-unmatch", "--", RUNTIME_DIR], opts);
    const tree = (await gitText(cwd, ["write-tree"], opts)).trim();
    return { tree, dirty: tree !== head.tree };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Hunks

export interface DiffLine {
  type: "context" | "add" | "del";
  oldNo?: number;
  newNo?: number;
  text: string;
  /** The line is the last of its file and has no newline after it ("\ No newline at end of file"). */
  noNewlineAtEnd?: true;
}

export interface Hunk {
  header: string;
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  /** The function/section context git prints after the second @@. */
  section?: string;
  lines: DiffLine[];
}

const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$/;

/**
 * Parse the unified diff of ONE file pair into hunks. Lines inside a hunk are consumed by the
 * counts in its header, so content that looks like a header is never misread.
 */
export function parseHunks(patch: string): Hunk[] {
  const lines = patch.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const hunks: Hunk[] = [];
  let i = 0;
  while (i < lines.length) {
    const m = HUNK_HEADER.exec(lines[i]!);
    if (!m) {
      i++;
      continue;
    }
    const hunk: Hunk = {
      header: lines[i]!,
      oldStart: Number(m[1]),
      oldLines: m[2] === undefined ? 1 : Number(m[2]),
      newStart: Number(m[3]),
      newLines: m[4] === undefined ? 1 : Number(m[4]),
      lines: [],
    };
    if (m[5]) hunk.section = m[5];
    i++;
    let oldLeft = hunk.oldLines;
    let newLeft = hunk.newLines;
    let oldNo = hunk.oldStart;
    let newNo = hunk.newStart;
    while (i < lines.length && (oldLeft > 0 || newLeft > 0 || lines[i]!.startsWith("\\"))) {
      const line = lines[i]!;
      const tag = line[0];
      const text = line.slice(1);
      if (tag === "\\") {
        const last = hunk.lines[hunk.lines.length - 1];
        if (last) last.noNewlineAtEnd = true;
      } else if (tag === "+") {
        hunk.lines.push({ type: "add", newNo: newNo++, text });
        newLeft--;
      } else if (tag === "-") {
        hunk.lines.push({ type: "del", oldNo: oldNo++, text });
        oldLeft--;
      } else if (tag === " " || line === "") {
        // (an empty line is a context line whose leading space was lost by some tool)
        hunk.lines.push({ type: "context", oldNo: oldNo++, newNo: newNo++, text });
        oldLeft--;
        newLeft--;
      } else {
        break;
      }
      i++;
    }
    hunks.push(hunk);
  }
  return hunks;
}

export const PATCH_LIMITS = { maxBytes: 1024 * 1024, maxLines: 20_000 } as const;

export interface FilePatch {
  path: string;
  oldPath?: string;
  binary: boolean;
  /** The patch exceeds the limits and was not parsed (pass `full: true` to get it anyway). */
  tooLarge: boolean;
  /** Lines changed (additions + deletions) and the patch size, known when computed. */
  changedLines: number;
  bytes?: number;
  hunks: Hunk[];
  limits: { maxBytes: number; maxLines: number };
}

/**
 * Hunks of one file between `from` and `to`. `file` comes from the file list of the same diff
 * (so a rename is shown as one pair). Binary files have no hunks; with `full` the limits are off.
 */
export async function filePatch(repo: string, from: string, to: string, file: DiffFile, options: { full?: boolean; context?: number } = {}): Promise<FilePatch> {
  const changedLines = file.additions + file.deletions;
  const base: FilePatch = { path: file.path, binary: file.binary, tooLarge: false, changedLines, hunks: [], limits: { ...PATCH_LIMITS } };
  if (file.oldPath) base.oldPath = file.oldPath;
  if (file.binary) return base;
  if (!options.full && changedLines > PATCH_LIMITS.maxLines) return { ...base, tooLarge: true };
  const context = Math.max(0, Math.min(options.context ?? 3, 1000));
  const paths = file.oldPath ? [file.oldPath, file.path] : [file.path];
  const args = [
    "--literal-pathspecs", "diff-tree", "-p", "-r", "-M", "--no-color", "--no-ext-diff", "--no-textconv", `-U${context}`,
    from, to, "--", ...paths,
  ];
  const r = await gitBuffer(repo, args, { limitBytes: options.full ? undefined : PATCH_LIMITS.maxBytes + 1 });
  if (r.truncated) return { ...base, tooLarge: true, bytes: undefined };
  if (r.code !== 0) throw new Error(`git diff-tree -p failed: ${r.stderr.trim().split("\n").slice(-2).join(" ")}`);
  return { ...base, bytes: r.stdout.length, hunks: parseHunks(r.stdout.toString("utf8")) };
}

// ---------------------------------------------------------------------------------------------
// Changed line ranges (for overlap between workers)

/** A changed range in the OLD file: lines [start, start + lines); lines = 0 is an insertion after line start. */
export interface OldRange {
  start: number;
  lines: number;
}

/** Changed ranges per path (old-file coordinates), from one `-U0` diff. Binary files map to a whole-file range. */
export async function changedRanges(repo: string, from: string, to: string): Promise<Map<string, OldRange[]>> {
  const r = await gitBuffer(repo, ["diff-tree", "-p", "-r", "--no-renames", "--no-color", "--no-ext-diff", "--no-textconv", "-U0", from, to, "--", ".", RUNTIME_EXCLUDE]);
  if (r.code !== 0) throw new Error(`git diff-tree -U0 failed: ${r.stderr.trim()}`);
  return parseRanges(r.stdout.toString("utf8"));
}

const DIFF_HEADER = /^diff --git /;

/** Parse a multi-file -U0 patch into ranges per old path (the path comes from the `--- a/…` / `+++ b/…` lines). */
export function parseRanges(patch: string): Map<string, OldRange[]> {
  const out = new Map<string, OldRange[]>();
  let current: OldRange[] | undefined;
  let oldPath: string | undefined;
  let inHunk = 0;
  for (const line of patch.split("\n")) {
    if (inHunk > 0) {
      // skip hunk body by count of old/new lines is not needed for -U0 ranges; body lines start with +/-/\
      if (line.startsWith("+") || line.startsWith("-") || line.startsWith("\\")) continue;
      inHunk = 0;
    }
    if (DIFF_HEADER.test(line)) {
      current = undefined;
      oldPath = undefined;
      continue;
    }
    if (line.startsWith("--- ")) {
      oldPath = unquotePath(line.slice(4), "a/");
      continue;
    }
    if (line.startsWith("+++ ")) {
      const newPath = unquotePath(line.slice(4), "b/");
      const key = oldPath ?? newPath;
      if (key) {
        current = out.get(key) ?? [];
        out.set(key, current);
      }
      continue;
    }
    if (line.startsWith("Binary files ")) continue;
    const m = HUNK_HEADER.exec(line);
    if (m && current) {
      current.push({ start: Number(m[1]), lines: m[2] === undefined ? 1 : Number(m[2]) });
      inHunk = 1;
    }
  }
  return out;
}

/** `a/path`, `"a/p\303\244th"` or `/dev/null` → the path (undefined for /dev/null). */
export function unquotePath(raw: string, prefix: string): string | undefined {
  let s = raw.replace(/\t$/, "");
  if (s === "/dev/null") return undefined;
  if (s.startsWith('"') && s.endsWith('"')) s = cUnquote(s.slice(1, -1));
  return s.startsWith(prefix) ? s.slice(prefix.length) : s;
}

function cUnquote(s: string): string {
  const bytes: number[] = [];
  const simple: Record<string, number> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, '"': 34, "\\": 92 };
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== "\\") {
      bytes.push(...Buffer.from(c, "utf8"));
      continue;
    }
    const n = s[i + 1] ?? "";
    if (/[0-7]/.test(n)) {
      bytes.push(parseInt(s.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      bytes.push(simple[n] ?? n.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

/** Two old-file ranges touch or overlap (adjacent changes count, as they do for git's merge). */
export function rangesOverlap(a: OldRange, b: OldRange): boolean {
  // Line k occupies [k, k+1); an insertion after line s (lines = 0) is the point s+1.
  const [as, ae] = a.lines === 0 ? [a.start + 1, a.start + 1] : [a.start, a.start + a.lines];
  const [bs, be] = b.lines === 0 ? [b.start + 1, b.start + 1] : [b.start, b.start + b.lines];
  return as <= be && bs <= ae;
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

