import { and, desc, eq, lt, or, sql } from "drizzle-orm";
import { z } from "zod";
import * as t from "../../db/schema";
import { currentBranch, ensureExcludes, headCommit } from "../bridge/git";
import { ensureDir, listRunIds, readEvents, readRunRecord, writeJsonAtomic } from "../bridge/run-directory";
import { commitTransition, indexRun } from "./door";
import { modeSchema, runStatusSchema } from "./enums";
import { PanelError, notFound } from "./errors";
import { repoIdSchema, roleIdSchema, runIdSchema } from "./ids";
import { createRunRecord } from "./machine";
import type { Panel } from "./panel";
import { PANEL_WORKER_OUTPUT_SCHEMA, RUN_SCHEMA_DESCRIPTOR, type PanelRun } from "./records";
import { addRepo, readKnownRepoPaths, listRepos } from "./repos";
import { resolveRoles } from "./role-catalog";

export const MAX_PROMPT_BYTES = 100 * 1024;
export const MAX_MEMBERS = 32;

export const createRunInputSchema = z.object({
  repoPath: z.string().min(1, "repoPath is required").max(4096),
  prompt: z
    .string()
    .refine((s) => s.trim().length > 0, "the prompt is empty: say what the panel should work on")
    .refine((s) => Buffer.byteLength(s, "utf8") <= MAX_PROMPT_BYTES, `the prompt is larger than ${MAX_PROMPT_BYTES / 1024} kB`)
    .refine((s) => !s.includes("\u0000"), "the prompt contains a NUL character"),
  roles: z.array(roleIdSchema).min(1, "pick at least one role").max(MAX_MEMBERS, `at most ${MAX_MEMBERS} members`),
  mode: modeSchema,
});
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

export async function createRun(panel: Panel, input: CreateRunInput): Promise<RunView> {
  const repo = await addRepo(panel, input.repoPath);
  const roles = resolveRoles(panel, input.roles);
  const leaderHead = await headCommit(repo.path);
  if (!leaderHead) {
    throw new PanelError("PRECONDITION_FAILED", `${repo.path} has no commits yet: make a first commit, then create the run`);
  }
  const { run, events } = createRunRecord({
    repoPath: repo.path,
    prompt: input.prompt,
    mode: input.mode,
    roles,
    targetBranch: await currentBranch(repo.path),
    leaderHead,
    now: new Date().toISOString(),
  });
  await ensureExcludes(repo.path);
  await ensureDir(run.runDirectory);
  await writeJsonAtomic(`${run.runDirectory}/schema.json`, RUN_SCHEMA_DESCRIPTOR);
  await writeJsonAtomic(run.outputSchemaPath, PANEL_WORKER_OUTPUT_SCHEMA);
  await panel.locks.run(run.id, () => commitTransition(panel, repo.id, run, events));
  return toView(run, repo.id, null);
}

export interface RunSummary {
  id: string;
  repoId: string;
  repoPath: string;
  repoName: string;
  status: string;
  bridgeStatus: string;
  mode: string;
  promptPreview: string;
  memberCount: number;
  targetBranch: string | null;
  lastDecision: string | null;
  createdAt: string;
  updatedAt: string;
}

export type RunView = PanelRun & { repoId: string; lastDecision: string | null };

function toView(run: PanelRun, repoId: string, lastDecision: string | null): RunView {
  return { ...run, repoId, lastDecision };
}

const encodeCursor = (createdAt: string, id: string) => Buffer.from(JSON.stringify([createdAt, id])).toString("base64url");
function decodeCursor(cursor: string): [string, string] {
  try {
    const v = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === "string" && typeof v[1] === "string") return [v[0], v[1]];
  } catch {
    /* fall through */
  }
  throw new PanelError("BAD_REQUEST", "invalid cursor: pass back the nextCursor of a previous page");
}

/** The runs list query for one filter shape, prepared once per panel (bench: building and preparing the SQL cost more than running it). */
function buildListQuery(panel: Panel, shape: { repo: boolean; status: boolean; cursor: boolean }) {
  const where = [];
  if (shape.repo) where.push(eq(t.runs.repoId, sql.placeholder("repoId")));
  if (shape.status) where.push(eq(t.runs.status, sql.placeholder("status")));
  if (shape.cursor) {
    where.push(or(lt(t.runs.createdAt, sql.placeholder("createdAt")), and(eq(t.runs.createdAt, sql.placeholder("createdAt")), lt(t.runs.id, sql.placeholder("id")))));
  }
  return panel.db
    .select({
      id: t.runs.id,
      repoId: t.runs.repoId,
      repoPath: t.repos.path,
      repoName: t.repos.name,
      status: t.runs.status,
      bridgeStatus: t.runs.bridgeStatus,
      mode: t.runs.mode,
      promptPreview: t.runs.promptPreview,
      memberCount: t.runs.memberCount,
      targetBranch: t.runs.targetBranch,
      lastDecision: t.runs.lastDecision,
      createdAt: t.runs.createdAt,
      updatedAt: t.runs.updatedAt,
    })
    .from(t.runs)
    .innerJoin(t.repos, eq(t.repos.id, t.runs.repoId))
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(t.runs.createdAt), desc(t.runs.id))
    .limit(sql.placeholder("limit"))
    .prepare();
}

const listQueries = new WeakMap<Panel, Map<string, ReturnType<typeof buildListQuery>>>();

export function listRuns(panel: Panel, input: ListRunsInput = {}): { items: RunSummary[]; nextCursor: string | null } {
  const limit = input?.limit ?? 50;
  const shape = { repo: !!input?.repoId, status: !!input?.status, cursor: !!input?.cursor };
  const params: Record<string, string | number> = { limit: limit + 1 };
  if (input?.repoId) params.repoId = input.repoId;
  if (input?.status) params.status = input.status;
  if (input?.cursor) [params.createdAt, params.id] = decodeCursor(input.cursor);
  let queries = listQueries.get(panel);
  if (!queries) listQueries.set(panel, (queries = new Map()));
  const key = `${+shape.repo}${+shape.status}${+shape.cursor}`;
  let query = queries.get(key);
  if (!query) queries.set(key, (query = buildListQuery(panel, shape)));
  const rows = query.all(params);
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null };
}

export function findRun(panel: Panel, runId: string): RunView | undefined {
  const row = panel.db
    .select({ record: t.runs.record, repoId: t.runs.repoId, lastDecision: t.runs.lastDecision })
    .from(t.runs)
    .where(eq(t.runs.id, runId))
    .get();
  return row ? toView(row.record as PanelRun, row.repoId, row.lastDecision) : undefined;
}

export function getRun(panel: Panel, runId: string): RunView {
  const run = findRun(panel, runId);
  if (!run) throw notFound(`run ${runId}`);
  return run;
}

/**
 * Rebuild the index from the run directories of every known repo (the database may have been
 * deleted). Runs already indexed are refreshed from disk; events are added by id, once.
 */
export async function reindexFromDisk(panel: Panel): Promise<{ runs: number; repos: number }> {
  const paths = new Set([...listRepos(panel).map((r) => r.path), ...readKnownRepoPaths(panel)]);
  let count = 0;
  for (const path of paths) {
    let repo;
    try {
      repo = await addRepo(panel, path);
    } catch {
      continue; // a repo that disappeared is skipped, not fatal
    }
    for (const runId of await listRunIds(repo.path)) {
      try {
        const run = await readRunRecord(repo.path, runId);
        if (!run) continue;
        count++;
        // Indexed and unchanged since (the usual start): nothing to read or write.
        if (findRun(panel, runId)?.updatedAt === run.updatedAt) continue;
        const events = await readEvents(run.eventLogPath);
        indexRun(panel, repo.id, run, events);
      } catch (error) {
        console.warn(`[longtable-panel] skipped run ${runId} in ${repo.path}: ${(error as Error).message}`);
      }
    }
  }
  return { runs: count, repos: paths.size };
}


