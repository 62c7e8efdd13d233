import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { asc, eq } from "drizzle-orm";
import * as t from "../../db/schema";
import { workTreeTopLevel } from "../bridge/git";
import { writeJsonAtomic } from "../bridge/run-files";
import { PanelError } from "../core/errors";
import type { Panel } from "./panel";

export type Repo = typeof t.repos.$inferSelect;

export const repoIdFor = (path: string) => `repo_${createHash("sha256").update(path).digest("hex").slice(0, 12)}`;

const knownReposFile = (panel: Panel) => join(panel.config.dataDir, "repos.json");

/** Repos are also listed in <data-dir>/repos.json so a deleted database can be rebuilt. */
export function readKnownRepoPaths(panel: Panel): string[] {
  const file = knownReposFile(panel);
  if (!existsSync(file)) return [];
  try {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as unknown;
    return Array.isArray(parsed) ? parsed.filter((p): p is string => typeof p === "string") : [];
  } catch {
    return [];
  }
}

export function listRepos(panel: Panel): Repo[] {
  return panel.db.select().from(t.repos).orderBy(asc(t.repos.name), asc(t.repos.path)).all();
}

export function getRepo(panel: Panel, id: string): Repo | undefined {
  return panel.db.select().from(t.repos).where(eq(t.repos.id, id)).get();
}

/** Add (or find) the repo whose work tree contains `path`. */
export async function addRepo(panel: Panel, path: string): Promise<Repo> {
  const top = await workTreeTopLevel(resolve(path));
  if (!top) {
    throw new PanelError("BAD_REQUEST", `${path} is not a git work tree: run \`git init\` there, or pick another folder`);
  }
  const existing = panel.db.select().from(t.repos).where(eq(t.repos.path, top)).get();
  if (existing) return existing;
  const repo: Repo = { id: repoIdFor(top), path: top, name: basename(top), addedAt: new Date().toISOString() };
  panel.db.insert(t.repos).values(repo).onConflictDoNothing().run();
  const paths = new Set(readKnownRepoPaths(panel));
  if (!paths.has(top)) {
    paths.add(top);
    await writeJsonAtomic(knownReposFile(panel), [...paths].sort());
  }
  return panel.db.select().from(t.repos).where(eq(t.repos.path, top)).get() ?? repo;
}
