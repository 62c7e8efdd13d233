"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/app/_trpc/client";
import { AgentBadge } from "@/app/_components/agent-badge";
import { EmptyState, ErrorNotice, Loading } from "@/app/_components/states";

export function RoleCatalog() {
  const trpc = useTRPC();
  const roles = useQuery(trpc.roles.list.queryOptions());

  return (
    <section aria-labelledby="catalog-heading">
      <h2 id="catalog-heading">Catalog</h2>
      {roles.isPending ? (
        <Loading>Loading the role catalog…</Loading>
      ) : !roles.data ? (
        <ErrorNotice error={roles.error} title="Could not load the role catalog" onRetry={() => roles.refetch()} />
      ) : roles.data.length === 0 ? (
        <EmptyState title="No roles">
          <p>The catalog is empty. Create a custom role with the form.</p>
        </EmptyState>
      ) : (
        <ul className="role-list" data-testid="role-list">
          {roles.data.map((role) => (
            <li key={role.id} className="card role-item" data-testid="role-item" data-role-id={role.id}>
              <div className="role-item-head">
                <span className="role-label">{role.label}</span>
                <code className="role-id">{role.id}</code>
                <span className={`tag ${role.custom ? "tag-custom" : "tag-builtin"}`}>{role.custom ? "custom" : "built-in"}</span>
                <AgentBadge agent={role.defaultAgent} />
                {role.isDefault ? (
                  <span className="tag tag-default" title="Preselected when you create a run">
                    default
                  </span>
                ) : null}
              </div>
              <p className="role-brief">{role.brief}</p>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
