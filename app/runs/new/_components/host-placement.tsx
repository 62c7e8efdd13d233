"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/app/_trpc/client";

export interface Placement {
  /** "local": every member here unless placed; "spread": round-robin over this machine and the hosts. */
  mode: "local" | "spread";
  /** Per role: "local" or a host name; absent: the mode decides. */
  hosts: Record<string, string>;
}

/** Where the members' workers run (shown only when hosts are registered). */
export function HostPlacement({ roles, value, onChange, idBase }: { roles: string[]; value: Placement; onChange: (p: Placement) => void; idBase: string }) {
  const trpc = useTRPC();
  const hosts = useQuery(trpc.hosts.list.queryOptions());
  const names = (hosts.data ?? []).map((h) => h.id);
  if (names.length === 0) return null;
  return (
    <fieldset className="field" data-testid="host-placement">
      <legend>Where workers run</legend>
      <select
        id={`${idBase}-placement`}
        aria-label="Placement"
        value={value.mode}
        onChange={(e) => onChange({ ...value, mode: e.target.value as Placement["mode"] })}
      >
        <option value="local">This machine, unless placed below</option>
        <option value="spread">Spread across this machine and {names.join(", ")}</option>
      </select>
      <ul className="placement-list">
        {roles.map((role) => (
          <li key={role}>
            <label htmlFor={`${idBase}-host-${role}`}>
              <code>{role}</code>
            </label>{" "}
            <select
              id={`${idBase}-host-${role}`}
              data-testid="member-host"
              data-role={role}
              value={value.hosts[role] ?? ""}
              onChange={(e) => {
                const next = { ...value.hosts };
                if (e.target.value) next[role] = e.target.value;
                else delete next[role];
                onChange({ ...value, hosts: next });
              }}
            >
              <option value="">{value.mode === "spread" ? "spread" : "this machine"}</option>
              <option value="local">this machine</option>
              {names.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </li>
        ))}
      </ul>
      <p className="hint">A worker on a host runs in its clone there; its commits come back here for review and merge.</p>
    </fieldset>
  );
}
