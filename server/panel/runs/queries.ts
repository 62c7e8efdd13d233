/** Reading runs from the index (SQLite): the runs list and one run. Queries never change state. */
import { and, desc, eq, lt, or, sql } from "drizzle-orm";
import * as t from "../../../db/schema";
import { PanelError, notFound } from "../../core/errors";
import type { PanelRun } from "../../core/records";
import type { Panel } from "../panel";
import { isOwned } from "./ownership";
import type { ListRunsInput } from "./schemas";

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

/**
 * A run as runs.get returns it: the record, and what the index knows about it — its repo, its
 * last decision, and whether this panel created it (`owned`; a run found on disk is not).
 */
export type RunView = PanelRun & { repoId: string; lastDecision: string | null; owned: boolean };

export function toView(panel: Panel, run: PanelRun, repoId: string, lastDecision: string | null): RunView {
  return { ...run, repoId, lastDecision, owned: isOwned(panel, run.id, run.workingDirectory) };
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
  return row ? toView(panel, row.record as PanelRun, row.repoId, row.lastDecision) : undefined;
}

export function getRun(panel: Panel, runId: string): RunView {
  const run = findRun(panel, runId);
  if (!run) throw notFound(`run ${runId}`);
  return run;
}
