/** Inputs of the runs procedures (the routers use these as is). */
import { z } from "zod";
import { agentIdSchema, modeSchema, runStatusSchema } from "../../core/enums";
import { repoIdSchema, roleIdSchema, runIdSchema } from "../../core/ids";
import { hostIdSchema } from "../hosts/schemas";

export const MAX_PROMPT_BYTES = 100 * 1024;
export const MAX_MEMBERS = 32;

const memberSchema = z.object({
  role: roleIdSchema,
  /** The agent CLI that plays this member (default: the role's default agent, else codex). */
  agent: agentIdSchema.optional(),
  /** The agent's model (passed as its model option). */
  model: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:\/-]{0,99}$/, "a model name is letters, digits and . _ : / -").optional(),
  /** Where the member's worker runs: a registered host, or "local" (this machine, the default). */
  host: z.union([z.literal("local"), hostIdSchema]).optional(),
});

export const createRunInputSchema = z
  .object({
    repoPath: z.string().min(1, "repoPath is required").max(4096),
    prompt: z
      .string()
      .refine((s) => s.trim().length > 0, "the prompt is empty: say what the panel should work on")
      .refine((s) => Buffer.byteLength(s, "utf8") <= MAX_PROMPT_BYTES, `the prompt is larger than ${MAX_PROMPT_BYTES / 1024} kB`)
      .refine((s) => !s.includes("\u0000"), "the prompt contains a NUL character"),
    /** The members' roles (each played by its default agent). */
    roles: z.array(roleIdSchema).max(MAX_MEMBERS, `at most ${MAX_MEMBERS} members`).optional(),
    /** The members with their agents (instead of `roles`). */
    members: z.array(memberSchema).max(MAX_MEMBERS, `at most ${MAX_MEMBERS} members`).optional(),
    mode: modeSchema,
    /** "spread": members without a host of their own go round-robin over this machine and every registered host. */
    placement: z.enum(["local", "spread"]).optional(),
  })
  .refine((v) => (v.roles?.length ?? 0) + (v.members?.length ?? 0) > 0, { message: "pick at least one role", path: ["roles"] })
  .refine((v) => !(v.roles?.length && v.members?.length), { message: "give roles or members, not both", path: ["members"] });
export type CreateRunInput = z.infer<typeof createRunInputSchema>;

export const listRunsInputSchema = z
  .object({
    repoId: repoIdSchema.optional(),
    status: runStatusSchema.optional(),
    cursor: z.string().max(200).optional(),
    limit: z.number().int().min(1).max(200).optional(),
  })
  .optional();
export type ListRunsInput = z.infer<typeof listRunsInputSchema>;

export const runIdInputSchema = z.object({ runId: runIdSchema });
