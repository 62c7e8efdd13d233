/**
 * The repo config's `copy` (ARCHITECTURE.md §10): local files of the leader checkout that a new
 * worktree needs (`.env`, local data) copied into it before setup. Only files git IGNORES in the
 * leader are copied — an untracked file git does not ignore would end up in the worker's commit —
 * and only regular files (a symlink anywhere on the way is refused), within size caps, never over
 * anything already in the worktree (a tracked file above all). Git does the glob matching
 * (`:(glob)` pathspecs: `*` within a segment, `**` any depth), so no glob library is needed.
 */
import { lstatSync, mkdirSync, realpathSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { gitBuffer, type WorktreeGit } from "./git";
import { readFileNoFollowSync, writeFileAtomicSync } from "./safe-fs.mjs";

export const COPY_LIMITS = { maxFileBytes: 10 * 1024 * 1024, maxTotalBytes: 100 * 1024 * 1024, maxFiles: 2000 };

export interface CopyReport {
  files: { path: string; bytes: number }[];
  skipped: { path: string; reason: string }[];
}

const listed = (out: Buffer) => out.toString("utf8").split("\0").filter(Boolean);

function safeRelative(p: string): boolean {
  const parts = p.split("/");
  return !p.startsWith("/") && !parts.some((x) => x === "" || x === "." || x === "..") && parts[0] !== ".git" && parts[0] !== ".longtable";
}

/** Every folder between `root` and `rel`'s file made real (created when missing); false when one is a symlink or a file. */
function realParents(root: string, rel: string): boolean {
  const parts = rel.split("/").slice(0, -1);
  let cur = root;
  for (const part of parts) {
    cur = join(cur, part);
    let st;
    try {
      st = lstatSync(cur);
    } catch {
      mkdirSync(cur);
      continue;
    }
    if (!st.isDirectory()) return false;
  }
  return true;
}

export async function copyIgnoredFiles(leader: string, worktree: WorktreeGit, globs: readonly string[], limits = COPY_LIMITS): Promise<CopyReport> {
  const report: CopyReport = { files: [], skipped: [] };
  if (globs.length === 0) return report;
  const pathspecs = ["--", ...globs.map((g) => `:(glob)${g}`)];
  const [ignored, notIgnored] = await Promise.all([
    gitBuffer(leader, ["ls-files", "-z", "--others", "--ignored", "--exclude-standard", ...pathspecs], { limitBytes: 4 * 1024 * 1024 }),
    gitBuffer(leader, ["ls-files", "-z", "--others", "--exclude-standard", ...pathspecs], { limitBytes: 1024 * 1024 }),
  ]);
  if (ignored.code !== 0 && !ignored.truncated) throw new Error(`git ls-files failed in the leader checkout: ${ignored.stderr.trim().split("\n")[0] ?? ""}`);
  for (const p of listed(notIgnored.stdout).slice(0, 50)) {
    report.skipped.push({ path: p, reason: "git does not ignore it in the leader checkout, so the worker's commit would include it: add it to .gitignore to have it copied" });
  }
  const paths = listed(ignored.stdout).filter(safeRelative).sort();
  if (paths.length === 0) return report;
  // Never over a tracked file (the worktree's index, through its real git dir).
  const tracked = new Set(listed((await gitBuffer(worktree.workTree, ["ls-files", "-z", "--", ...paths.map((p) => `:(literal)${p}`)], { worktree })).stdout));
  const leaderReal = realpathSync(leader);
  let total = 0;
  for (const p of paths) {
    const skip = (reason: string) => report.skipped.push({ path: p, reason });
    if (report.files.length >= limits.maxFiles) {
      skip(`more than ${limits.maxFiles} files matched`);
      continue;
    }
    if (tracked.has(p)) {
      skip("tracked in the worker's branch: never overwritten");
      continue;
    }
    const src = join(leader, p);
    let real: string;
    try {
      real = realpathSync(src);
    } catch {
      skip("it disappeared from the leader checkout");
      continue;
    }
    if (relative(leaderReal, real) !== p.split("/").join(sep)) {
      skip("a symbolic link is on its way in the leader checkout: only regular files are copied");
      continue;
    }
    let data: Buffer;
    let mode = 0o644;
    try {
      const f = readFileNoFollowSync(src, limits.maxFileBytes);
      if (!f) {
        skip("it disappeared from the leader checkout");
        continue;
      }
      if (f.truncated) {
        skip(`larger than ${Math.round(limits.maxFileBytes / 1024 / 1024)} MiB`);
        continue;
      }
      data = f.data;
      mode = statSync(src).mode & 0o777;
    } catch (error) {
      skip((error as Error).message.includes("symbolic link") ? "a symbolic link: only regular files are copied" : "not a regular file");
      continue;
    }
    if (total + data.length > limits.maxTotalBytes) {
      skip(`the files copied so far reach the ${Math.round(limits.maxTotalBytes / 1024 / 1024)} MiB cap`);
      continue;
    }
    const dest = join(worktree.workTree, p);
    let exists = false;
    try {
      lstatSync(dest);
      exists = true;
    } catch {
      /* absent: copy it */
    }
    if (exists) {
      skip("already in the worktree: kept as it is");
      continue;
    }
    if (!realParents(worktree.workTree, p)) {
      skip("a folder on its way in the worktree is a symbolic link or a file");
      continue;
    }
    writeFileAtomicSync(dest, data, { mode });
    total += data.length;
    report.files.push({ path: p, bytes: data.length });
  }
  return report;
}
