/**
 * The repository's workspace config, `.longtable-panel.json` (ARCHITECTURE.md §10): what a new
 * worker's worktree needs before its agent starts. Its text comes from a commit of the leader
 * checkout (never a worktree, never the working tree) and is data until the operator approves
 * its exact bytes: parsed with a strict schema (unknown keys refused), every error names its field.
 */
import { z } from "zod";

export const CONFIG_FILE = ".longtable-panel.json";
/** The largest config file read at all. */
export const MAX_CONFIG_BYTES = 64 * 1024;
/** Ports one worker may ask for. */
export const MAX_PORTS_PER_WORKER = 16;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Names the panel sets itself (its own variables, and the agent's private home). */
const RESERVED_ENV = /^(LONGTABLE_.*|HOME|CODEX_HOME|CLAUDE_CONFIG_DIR)$/;

const command = (what: string) =>
  z
    .string({ error: `${what} must be a string: one shell command line, run with bash -c in the worktree` })
    .trim()
    .min(1, `${what} is empty: remove the field, or give a command`)
    .max(8000, `${what} is longer than 8000 characters: put the commands in a script in the repository and call it`)
    .refine((s) => !s.includes("\0"), `${what} contains a NUL byte`);

/**
 * A copy glob, relative to the repository root, in git's `:(glob)` pathspec syntax restricted to
 * `*` (within one path segment), `?` and `**` (a whole segment: any depth). Dotfiles match like any
 * other name. Git itself does the matching (server/bridge/copy-files.ts).
 */
const glob = z
  .string({ error: "a copy entry must be a string (a glob such as .env* or data/local/**)" })
  .min(1, "a copy glob is empty")
  .max(500, "a copy glob is longer than 500 characters")
  .superRefine((g, ctx) => {
    const problem = globProblem(g);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

export function globProblem(g: string): string | undefined {
  if (g.startsWith("/")) return `${JSON.stringify(g)} is absolute: globs are relative to the repository root`;
  if (/[\0\\[\]{}!^]/.test(g) || g.startsWith(":")) return `${JSON.stringify(g)} uses syntax the panel does not support: only *, ? and ** (no [], {}, !, \\, : magic)`;
  const parts = g.split("/");
  if (parts.some((p) => p === "" || p === "." || p === "..")) return `${JSON.stringify(g)} has an empty, "." or ".." segment`;
  if (parts.some((p) => p.includes("**") && p !== "**")) return `${JSON.stringify(g)}: ** must be a whole path segment (data/**, **/.env)`;
  if (parts[0] === ".git" || parts[0] === ".longtable") return `${JSON.stringify(g)} points into ${parts[0]}/, which is never copied`;
  return undefined;
}

export const repoConfigSchema = z
  .strictObject(
    {
      /** An editor's schema hint; ignored. */
      $schema: z.string().max(500).optional(),
      setup: command("setup").optional(),
      teardown: command("teardown").optional(),
      check: command("check").optional(),
      copy: z.array(glob, { error: "copy must be a list of globs, e.g. [\".env*\", \"data/local/**\"]" }).max(100, "copy lists more than 100 globs").optional(),
      ports: z
        .number({ error: "ports must be a number: how many ports each worker gets" })
        .int("ports must be a whole number")
        .min(0, "ports cannot be negative")
        .max(MAX_PORTS_PER_WORKER, `ports is at most ${MAX_PORTS_PER_WORKER} per worker`)
        .optional(),
      env: z
        .record(
          z.string().regex(ENV_NAME, "an env name is letters, digits and _, not starting with a digit").refine((n) => !RESERVED_ENV.test(n), "is set by the panel itself (LONGTABLE_*, HOME, CODEX_HOME, CLAUDE_CONFIG_DIR)"),
          z.string({ error: "env values must be strings" }).max(4096, "an env value is longer than 4096 characters").refine((s) => !s.includes("\0"), "an env value contains a NUL byte"),
          { error: (issue) => (issue.code === "invalid_type" ? "env must be an object of NAME: \"value\" pairs" : undefined) },
        )
        .refine((e) => Object.keys(e).length <= 100, "env sets more than 100 variables")
        .optional(),
    },
    { error: (issue) => (issue.code === "invalid_type" ? "the config must be a JSON object" : undefined) },
  )
  .superRefine((c, ctx) => {
    // ${NAME} in an env value may name only the panel's own variables for this worker.
    const known = new Set(panelVariableNames(c.ports ?? 0));
    for (const [name, value] of Object.entries(c.env ?? {})) {
      for (const m of value.matchAll(/\$\{([^}]*)\}/g)) {
        if (!known.has(m[1]!)) {
          ctx.addIssue({ code: "custom", path: ["env", name], message: `\${${m[1]}} is not a panel variable; use one of ${[...known].map((k) => `\${${k}}`).join(", ")}` });
        }
      }
    }
  });

export type RepoConfig = z.infer<typeof repoConfigSchema>;

export interface ConfigIssue {
  /** The field, as a dotted path (`env.PORT`, `copy.1`); "" for the file as a whole. */
  field: string;
  message: string;
}

const KNOWN_FIELDS = ["setup", "teardown", "check", "copy", "ports", "env"];

/** Parse the config's text. Never throws: a problem becomes an issue that names its field. */
export function parseRepoConfig(text: string): { config?: RepoConfig; issues: ConfigIssue[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { issues: [{ field: "", message: `not valid JSON: ${(error as Error).message}` }] };
  }
  const parsed = repoConfigSchema.safeParse(raw);
  if (parsed.success) return { config: parsed.data, issues: [] };
  const issues: ConfigIssue[] = [];
  for (const issue of parsed.error.issues) {
    const field = issue.path.map(String).join(".");
    if (issue.code === "invalid_key") {
      issues.push({ field, message: `invalid name: ${issue.issues.map((i) => i.message).join("; ")}` });
    } else if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) issues.push({ field: field ? `${field}.${key}` : key, message: `unknown field (the config knows ${KNOWN_FIELDS.join(", ")})` });
    } else {
      issues.push({ field, message: issue.message });
    }
  }
  return { issues };
}

/** One line naming every issue: `ports: ports must be a number; colour: unknown field`. */
export function issuesText(issues: readonly ConfigIssue[]): string {
  return issues.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)).join("; ");
}

/** The variables the panel gives every worker (setup, agent, teardown), without their values. */
export function panelVariableNames(ports: number): string[] {
  const names = ["LONGTABLE_PANEL_RUN_ID", "LONGTABLE_PANEL_WORKER_ID", "LONGTABLE_PANEL_ROLE", "LONGTABLE_PANEL_PROMPT_FILE"];
  if (ports > 0) names.push("LONGTABLE_PANEL_PORT");
  for (let i = 0; i < ports; i++) names.push(`LONGTABLE_PANEL_PORT_${i}`);
  return names;
}

export interface WorkerFacts {
  runId: string;
  workerId: string;
  role: string;
  promptFile: string;
  ports: readonly number[];
}

/** The panel's variables for one worker. */
export function panelVariables(w: WorkerFacts): Record<string, string> {
  const vars: Record<string, string> = {
    LONGTABLE_PANEL_RUN_ID: w.runId,
    LONGTABLE_PANEL_WORKER_ID: w.workerId,
    LONGTABLE_PANEL_ROLE: w.role,
    LONGTABLE_PANEL_PROMPT_FILE: w.promptFile,
  };
  if (w.ports.length > 0) vars.LONGTABLE_PANEL_PORT = String(w.ports[0]);
  w.ports.forEach((p, i) => (vars[`LONGTABLE_PANEL_PORT_${i}`] = String(p)));
  return vars;
}

/** The config's env with `${LONGTABLE_PANEL_…}` replaced by the panel's values (literal text, no shell). */
export function configEnv(config: RepoConfig | undefined, vars: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(config?.env ?? {})) {
    out[name] = value.replace(/\$\{([^}]*)\}/g, (all, v: string) => vars[v] ?? all);
  }
  return out;
}
