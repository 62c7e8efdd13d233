"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { InlineCode } from "@/app/_components/states";
import { useTRPC } from "@/app/_trpc/client";

/**
 * A note for each agent this run uses that `system.doctor` found missing or without credentials:
 * its workers would fail at their first turn. Agents the run does not use are not mentioned.
 */
export function AgentLoginNote({ agents }: { agents: readonly string[] }) {
  const trpc = useTRPC();
  const doctor = useQuery(trpc.system.doctor.queryOptions(undefined, { staleTime: 5 * 60_000, retry: false, enabled: agents.length > 0 }));
  const used = new Set(agents);
  const problems = (doctor.data?.agents ?? []).filter((a) => used.has(a.agent) && (!a.installed || !a.ready));
  if (problems.length === 0) return null;
  return (
    <>
      {problems.map((a) => (
        <div key={a.agent} className="notice notice-warn" role="status" data-testid="agent-login-note" data-agent={a.agent}>
          <p className="notice-title">{a.installed ? `${a.label} is not logged in` : `${a.label} was not found`}</p>
          <p>
            {a.installed ? (
              <>
                Workers run <code>{a.bin}</code>, which cannot reach a model until it is logged in{a.status ? ` (${a.status})` : ""}.{" "}
              </>
            ) : (
              <>
                The panel runs <code>{a.bin}</code> for these workers, and it did not run.{" "}
              </>
            )}
            {a.fix ? (
              <>
                To fix it, <InlineCode text={a.fix} />.{" "}
              </>
            ) : null}
            <Link href="/doctor">Open the doctor</Link> to check again.
          </p>
        </div>
      ))}
    </>
  );
}
