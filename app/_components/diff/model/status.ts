import type { DiffFileOut } from "./types";

/** One letter per git status, as `git status --short` prints them. */
export const STATUS_LETTER: Record<string, string> = {
  added: "A",
  modified: "M",
  deleted: "D",
  renamed: "R",
  copied: "C",
  typechange: "T",
};

export const STATUS_WORD: Record<string, string> = {
  added: "added",
  modified: "modified",
  deleted: "deleted",
  renamed: "renamed",
  copied: "copied",
  typechange: "type changed",
};

const MODE_WORD: Record<string, string> = {
  "100644": "file",
  "100755": "executable",
  "120000": "symlink",
  "160000": "submodule",
  "040000": "folder",
};

export const modeWord = (mode: string | undefined) => (mode ? (MODE_WORD[mode] ?? mode) : "");

/** The mode changed (e.g. made executable) on a file that exists on both sides. */
export function modeChange(file: Pick<DiffFileOut, "oldMode" | "newMode">): { from: string; to: string } | null {
  if (!file.oldMode || !file.newMode || file.oldMode === file.newMode) return null;
  return { from: file.oldMode, to: file.newMode };
}

/** A one-line description of a file's change for titles and screen readers. */
export function describeFile(file: DiffFileOut): string {
  const parts = [STATUS_WORD[file.status] ?? file.status];
  if (file.oldPath) parts.push(`from ${file.oldPath}${file.similarity !== undefined ? ` (${file.similarity}% similar)` : ""}`);
  if (file.binary) parts.push("binary");
  else parts.push(`${file.additions} added, ${file.deletions} removed lines`);
  const mode = modeChange(file);
  if (mode) parts.push(`mode ${mode.from} → ${mode.to}`);
  if (file.uncommitted) parts.push("has uncommitted changes");
  return parts.join(", ");
}
