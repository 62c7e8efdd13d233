/**
 * A file as a commit holds it (ARCHITECTURE.md §10): what `git show <commit>:<path>` would print,
 * read through `ls-tree` + `cat-file` so the panel can refuse a symlink or a submodule entry and
 * cap the size before reading. Never the working tree: an uncommitted edit is not what a commit
 * says, and a worktree is agent-writable.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { gitBuffer } from "./git";
import { readFileNoFollowSync } from "./safe-fs.mjs";

export type CommittedFile =
  | { kind: "missing" }
  | { kind: "refused"; reason: string }
  | { kind: "file"; bytes: Buffer; sha256: string };

export const sha256Of = (bytes: Buffer | string) => createHash("sha256").update(bytes).digest("hex");

/** `path` (relative to the repository root) at `commit` in `repo`, at most `maxBytes`. */
export async function readCommittedFile(repo: string, commit: string, path: string, maxBytes: number): Promise<CommittedFile> {
  if (!/^[0-9a-f]{40,64}$/.test(commit)) throw new Error(`not a commit id: ${JSON.stringify(commit)}`);
  const tree = await gitBuffer(repo, ["ls-tree", "-z", "--full-tree", commit, "--", path]);
  if (tree.code !== 0) throw new Error(`git ls-tree failed: ${tree.stderr.trim().split("\n")[0] ?? ""}`);
  const entry = tree.stdout.toString("utf8").split("\0").find((e) => e.endsWith(`\t${path}`));
  if (!entry) return { kind: "missing" };
  const [mode, type, oid] = entry.slice(0, entry.indexOf("\t")).split(" ");
  if (mode === "120000") return { kind: "refused", reason: `${path} is a symbolic link in commit ${commit.slice(0, 12)}; the panel reads only a regular file` };
  if (type !== "blob" || !oid || !/^[0-9a-f]{40,64}$/.test(oid)) return { kind: "refused", reason: `${path} is not a file in commit ${commit.slice(0, 12)} (it is a ${type})` };
  const blob = await gitBuffer(repo, ["cat-file", "blob", oid], { limitBytes: maxBytes + 1 });
  if (blob.code !== 0 && !blob.truncated) throw new Error(`git cat-file failed: ${blob.stderr.trim().split("\n")[0] ?? ""}`);
  if (blob.stdout.length > maxBytes) return { kind: "refused", reason: `${path} is larger than ${Math.round(maxBytes / 1024)} KiB in commit ${commit.slice(0, 12)}` };
  return { kind: "file", bytes: blob.stdout, sha256: sha256Of(blob.stdout) };
}

/** The same file in the leader's working tree, read as data (no symlink followed); undefined when absent or unreadable. */
export function readWorkingTreeFile(repo: string, path: string, maxBytes: number): Buffer | undefined {
  try {
    const f = readFileNoFollowSync(join(repo, path), maxBytes);
    return f && !f.truncated ? f.data : undefined;
  } catch {
    return undefined;
  }
}
