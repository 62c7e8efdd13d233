/**
 * Hunks of one file, on demand and size-limited, and changed line ranges (for the overlap between
 * workers) — parsed from plumbing output (no external diff, no textconv).
 */
import { RUNTIME_EXCLUDE, type DiffFile } from "./diff";
import { gitBuffer } from "./git";


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

