"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/app/_trpc/client";
import { ErrorNotice, Loading } from "@/app/_components/states";
import { useSessionRole } from "@/app/_components/use-role";
import { HostState, type HostOut } from "./host-state";

/** The registered hosts, how their connections are doing (polled), a check over SSH, removal. */
export function HostList() {
  const trpc = useTRPC();
  const hosts = useQuery(trpc.hosts.list.queryOptions(undefined, { refetchInterval: 3000 }));
  if (hosts.isPending) return <Loading>Loading hosts…</Loading>;
  if (hosts.isError) return <ErrorNotice error={hosts.error} title="Could not load the hosts" onRetry={() => hosts.refetch()} />;
  return (
    <section className="card" aria-labelledby="hosts-heading">
      <h2 id="hosts-heading">Registered hosts</h2>
      {hosts.data.length === 0 ? (
        <p className="muted" data-testid="no-hosts">
          None yet. Workers run on this machine until you add a host.
        </p>
      ) : (
        <ul className="host-list">
          {hosts.data.map((h) => (
            <HostItem key={h.id} host={h} />
          ))}
        </ul>
      )}
    </section>
  );
}

function HostItem({ host }: { host: HostOut }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { isViewer } = useSessionRole();
  const [checking, setChecking] = useState(false);
  const check = useQuery({ ...trpc.hosts.check.queryOptions({ id: host.id }, { staleTime: 0 }), enabled: checking });
  const remove = useMutation(trpc.hosts.remove.mutationOptions({ onSuccess: () => queryClient.invalidateQueries(trpc.hosts.list.pathFilter()) }));
  return (
    <li className="host-item" data-testid="host-item" data-host-id={host.id}>
      <div className="host-head">
        <strong>{host.id}</strong> <code>{host.destination}</code> <HostState status={host.status} />
      </div>
      <dl className="meta meta-compact">
        <div>
          <dt>Clone</dt>
          <dd>
            <code>{host.clonePath}</code>
          </dd>
        </div>
        <div>
          <dt>tmux</dt>
          <dd>
            <code>tmux -L {host.tmuxSocket}</code>
          </dd>
        </div>
        {host.status.state === "unreachable" && host.status.detail ? (
          <div className="meta-wide">
            <dt>Why</dt>
            <dd>{host.status.detail} — workers there keep running; the panel reconnects by itself.</dd>
          </div>
        ) : null}
      </dl>
      <div className="inline-actions">
        <button type="button" className="button button-secondary button-small" data-testid="host-check" onClick={() => (checking ? check.refetch() : setChecking(true))} disabled={check.isFetching}>
          {check.isFetching ? "Checking over SSH…" : "Check"}
        </button>
        {isViewer ? null : (
          <button type="button" className="button button-secondary button-small" onClick={() => remove.mutate({ id: host.id })} disabled={remove.isPending}>
            Remove
          </button>
        )}
      </div>
      {remove.isError ? <ErrorNotice error={remove.error} title="The host was not removed" /> : null}
      {check.isError ? <ErrorNotice error={check.error} title="The check did not run" /> : null}
      {check.data ? (
        <table className="table stack-on-phone" data-testid="host-checks">
          <tbody>
            {check.data.checks.map((c, i) => (
              <tr key={`${c.name}-${i}`} data-testid="host-check-row" data-name={c.name} data-ok={c.ok}>
                <th scope="row">{c.name}</th>
                <td data-label="State">
                  <span className={`badge ${c.ok ? "status-ok" : "status-missing"}`}>{c.ok ? "ok" : "missing"}</span>
                </td>
                <td data-label="Detail">
                  {/* (one element: stacked on a phone, the cell's children go in its value column) */}
                  <span>
                    {c.version ? <code>{c.version}</code> : null} {c.detail}
                    {!c.ok && c.fix ? (
                      <span className="fix">
                        {" "}
                        <code>{c.fix}</code>
                      </span>
                    ) : null}
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </li>
  );
}
