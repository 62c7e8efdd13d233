import { z } from "zod";
import { agentIdSchema, type AgentId } from "../../core/enums";
import { ROLE_ID_PATTERN } from "../../core/ids";

export interface RoleDefinition {
  id: string;
  label: string;
  brief: string;
  isDefault: boolean;
  custom: boolean;
  /** The agent that plays this role unless a member names another: codex for the built-in roles. */
  defaultAgent: AgentId;
}

/** The agent of roles that name none (the built-in ones, custom roles made before agents were a choice). */
export const FALLBACK_AGENT: AgentId = "codex";

/** The LongTable role catalog (ARCHITECTURE.md §1). Defaults are preselected in a new run. */
export const BUILTIN_ROLES: readonly RoleDefinition[] = [
  {
    id: "reviewer",
    label: "Reviewer",
    brief:
      "Read the work as a careful peer reviewer would. Judge whether the central claim is supported, name the strongest and weakest parts, and list the changes that would most improve it, in order of importance.",
    isDefault: true,
    custom: false,
    defaultAgent: FALLBACK_AGENT,
  },
  {
    id: "theory_critic",
    label: "Theory Critic",
    brief:
      "Examine the theoretical framing. Check that concepts are defined, that the argument follows from its premises, that rival explanations are addressed, and that the contribution to existing theory is stated precisely.",
    isDefault: true,
    custom: false,
    defaultAgent: FALLBACK_AGENT,
  },
  {
    id: "methods_critic",
    label: "Methods Critic",
    brief:
      "Examine the design and methods. Look for threats to validity, confounds, unjustified analytic choices, missing robustness checks and anything that would stop an independent team from reproducing the result.",
    isDefault: true,
    custom: false,
    defaultAgent: FALLBACK_AGENT,
  },
  {
    id: "measurement_auditor",
    label: "Measurement Auditor",
    brief:
      "Audit every measure and number. Trace each figure, table and statistic to its source, check units, denominators and coding rules, and flag quantities whose construction or reliability is not documented.",
    isDefault: true,
    custom: false,
    defaultAgent: FALLBACK_AGENT,
  },
  {
    id: "editor",
    label: "Journal Editor",
    brief:
      "Act as the handling editor. Weigh fit, novelty and clarity for the target venue, decide what a desk decision would be, and say what the authors must do before the work is ready to send out.",
    isDefault: false,
    custom: false,
    defaultAgent: FALLBACK_AGENT,
  },
  {
    id: "ethics_reviewer",
    label: "Ethics Reviewer",
    brief:
      "Review research ethics and integrity: consent, privacy, data handling, conflicts of interest, risks to participants or third parties, and whether claims could mislead readers or be misused.",
    isDefault: false,
    custom: false,
    defaultAgent: FALLBACK_AGENT,
  },
  {
    id: "voice_keeper",
    label: "Voice Keeper",
    brief:
      "Protect the author's voice and intent. Point out edits or passages that flatten the argument, drift from the author's style or overclaim, and propose wording that stays faithful to what the author means.",
    isDefault: false,
    custom: false,
    defaultAgent: FALLBACK_AGENT,
  },
  {
    id: "venue_strategist",
    label: "Venue Strategist",
    brief:
      "Advise on where and how to publish. Compare plausible venues, their audiences and expectations, and say how to position, shorten or reframe the work for the best first choice.",
    isDefault: false,
    custom: false,
    defaultAgent: FALLBACK_AGENT,
  },
];

export const customRoleInputSchema = z.object({
  id: z.string().regex(ROLE_ID_PATTERN, "role ids are lower-case letters, digits and _, starting with a letter (max 40)"),
  label: z
    .string()
    .trim()
    .min(1, "a label is required")
    .max(80)
    .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), "labels cannot contain control characters"),
  brief: z.string().trim().min(1, "a brief is required").max(4000),
  /** The agent that plays the role by default (codex when not given). */
  defaultAgent: agentIdSchema.optional(),
});
export type CustomRoleInput = z.infer<typeof customRoleInputSchema>;

export function mergeCatalog(custom: readonly RoleDefinition[]): RoleDefinition[] {
  const builtinIds = new Set(BUILTIN_ROLES.map((r) => r.id));
  return [...BUILTIN_ROLES, ...custom.filter((r) => !builtinIds.has(r.id))];
}
