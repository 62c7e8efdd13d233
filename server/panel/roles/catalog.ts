import { asc } from "drizzle-orm";
import * as t from "../../../db/schema";
import { PanelError } from "../../core/errors";
import type { Panel } from "../panel";
import { BUILTIN_ROLES, mergeCatalog, type CustomRoleInput, type RoleDefinition } from "./roles";

export function listRoles(panel: Panel): RoleDefinition[] {
  const custom = panel.db.select().from(t.customRoles).orderBy(asc(t.customRoles.id)).all();
  return mergeCatalog(custom.map((r) => ({ id: r.id, label: r.label, brief: r.brief, isDefault: false, custom: true })));
}

export function createCustomRole(panel: Panel, input: CustomRoleInput): RoleDefinition {
  if (BUILTIN_ROLES.some((r) => r.id === input.id)) {
    throw new PanelError("CONFLICT", `"${input.id}" is a built-in role; pick another id`);
  }
  const row = { id: input.id, label: input.label, brief: input.brief, createdAt: new Date().toISOString() };
  panel.db.insert(t.customRoles).values(row)
    .onConflictDoUpdate({ target: t.customRoles.id, set: { label: row.label, brief: row.brief } })
    .run();
  return { id: row.id, label: row.label, brief: row.brief, isDefault: false, custom: true };
}

export function resolveRoles(panel: Panel, ids: readonly string[]): RoleDefinition[] {
  const catalog = new Map(listRoles(panel).map((r) => [r.id, r]));
  const unknown = ids.filter((id) => !catalog.has(id));
  if (unknown.length > 0) {
    throw new PanelError("BAD_REQUEST", `unknown role(s): ${unknown.join(", ")}; see roles.list or add a custom role first`);
  }
  return ids.map((id) => catalog.get(id)!);
}
