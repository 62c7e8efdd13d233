/** Inputs of the review procedures (the routers use these as is). Every refusal is a 400 that says what to send. */
import { isAbsolute } from "node:path";
import { z } from "zod";
import { runIdSchema, workerIdSchema } from "../../core/ids";

const noNul = (s: string) => !s.includes("\u0000");
export const commitIdSchema = z.string().regex(/^[0-9a-f]{7,64}$/, "a commit id is 7 to 64 lower-case hex digits");
export const branchNameSchema = z
  .string()
  .min(1, "the target branch name is empty")
  .max(250)
  .refine((s) => !s.startsWith("-"), "a branch name cannot start with '-'")
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), "a branch name cannot contain control characters");

const workerRef = { runId: runIdSchema, workerId: workerIdSchema };
const fullCommitSchema = (name: string) => z.string().regex(/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/, `${name} is a full commit id (40 or 64 lower-case hex digits)`);

export const diffInputSchema = z.object({
  ...workerRef,
  /** Hunks of this one file (a path from `files`, new or old name). Without it: the file list only. */
  path: z
    .string()
    .min(1)
    .max(4096)
    .refine(noNul, "the path contains a NUL character")
    .refine((p) => !isAbsolute(p) && !p.split("/").includes(".."), "path is a path inside the repository, as listed in files (not absolute, no '..')")
    .optional(),
  /** Show the change since the previous attempt's commit, or since a given commit, instead of since the base. */
  since: z.union([z.literal("previousAttempt"), commitIdSchema]).optional(),
  /** With `path`: return the hunks even when the patch exceeds the size limits. */
  full: z.boolean().optional(),
  /** With `path`: lines of context around changes (default 3). */
  context: z.number().int().min(0).max(1000).optional(),
  /**
   * Include the worktree's uncommitted changes. Default: yes, unless the worker finished with a
   * result (completed/blocked: worker-finish committed everything before writing it).
   */
  uncommitted: z.boolean().optional(),
});
export type DiffInput = z.infer<typeof diffInputSchema>;

export const mergePreviewInputSchema = z.object({
  ...workerRef,
  target: branchNameSchema.optional(),
  /** false: only clean/conflicts (one merge-tree); the changed files, commit count and checkout state are skipped. Default true. */
  detail: z.boolean().optional(),
});
export type MergePreviewInput = z.infer<typeof mergePreviewInputSchema>;

export const MAX_MESSAGE_BYTES = 64 * 1024;
export const mergeInputSchema = z.object({
  ...workerRef,
  strategy: z.enum(["squash", "commits"]).optional(),
  target: branchNameSchema.optional(),
  /** Commit message for a squash merge (default: prefilled from the role, label and result summary; see mergePreview.message). */
  message: z
    .string()
    .refine((s) => s.trim().length > 0, "the commit message is empty")
    .refine((s) => Buffer.byteLength(s, "utf8") <= MAX_MESSAGE_BYTES, "the commit message is larger than 64 kB")
    .refine(noNul, "the commit message contains a NUL character")
    .optional(),
  /** The targetCommit the preview showed: the merge is refused when the target moved since. */
  expectedTargetCommit: fullCommitSchema("expectedTargetCommit").optional(),
  /** The worker head the user reviewed (the preview's headCommit): the merge is refused when the worker moved since. */
  expectedHeadCommit: fullCommitSchema("expectedHeadCommit").optional(),
});
export type MergeInput = z.infer<typeof mergeInputSchema>;

export const discardInputSchema = z.object({
  ...workerRef,
  deleteBranch: z.boolean().optional(),
  /** Without `confirm: true` nothing is removed: the answer says what would be lost. */
  confirm: z.boolean().optional(),
});
export type DiscardInput = z.infer<typeof discardInputSchema>;
export const discardPreviewInputSchema = z.object({ ...workerRef, deleteBranch: z.boolean().optional() });

export const cleanupInputSchema = z.object({ ...workerRef, deleteBranch: z.boolean().optional() });
export type CleanupInput = z.infer<typeof cleanupInputSchema>;

