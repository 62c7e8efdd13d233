import { asc } from "drizzle-orm";
import * as t from "../../../db/schema";
import { PanelError } from "../../core/errors";
import type { Panel } from "../panel";
import { AGENT_IDS, type AgentId } from "../../core/enums";
import { BUILTIN_ROLES, FALLBACK_AGENT, mergeCatalog, type CustomRoleInput, type RoleDefinition } from "./roles";

/** A stored default agent: one this version knows, else codex (the column is data, e.g. from a newer version). */
const storedAgent = (v: string | null): AgentId => ((AGENT_IDS as readonly string[]).includes(v ?? "") ? (v as AgentId) : FALLBACK_AGENT);

export function listRoles(panel: Panel): RoleDefinition[] {
  const custom = panel.db.select().from(t.customRoles).orderBy(asc(t.customRoles.id)).all();
  return mergeCatalog(custom.map((r) => ({ id: r.id, label: r.label, brief: r.brief, isDefault: false, custom: true, defaultAgent: storedAgent(r.defaultAgent) })));
}

export function createCustomRole(panel: Panel, input: CustomRoleInput): RoleDefinition {
  if (BUILTIN_ROLES.some((r) => r.id === input.id)) {
    throw new PanelError("CONFLICT", `"${input.id}" is a built-in role; pick another id`);
  }
  // Saving a role again without an agent keeps the agent it had.
  const row = { id: input.id, label: input.label, brief: input.brief, defaultAgent: input.defaultAgent ?? null, createdAt: new Date().toISOString() };
  const saved = panel.db.insert(t.customRoles).values(row)
    .onConflictDoUpdate({ target: t.customRoles.id, set: { label: row.label, brief: row.brief, ...(input.defaultAgent ? { defaultAgent: input.defaultAgent } : {}) } })
    .returning()
    .get();
  return { id: saved.id, label: saved.label, brief: saved.brief, isDefault: false, custom: true, defaultAgent: storedAgent(saved.defaultAgent) };
}

export function resolveRoles(panel: Panel, ids: readonly string[]): RoleDefinition[] {
  const catalog = new Map(listRoles(panel).map((r) => [r.id, r]));
  const unknown = ids.filter((id) => !catalog.has(id));
  if (unknown.length > 0) {
    throw new PanelError("BAD_REQUEST", `unknown role(s): ${unknown.join(", ")}; see roles.list or add a custom role first`);
  }
  return ids.map((id) => catalog.get(id)!);
}
