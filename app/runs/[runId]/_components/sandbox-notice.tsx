"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { InlineCode } from "@/app/_components/states";
import { useTRPC } from "@/app/_trpc/client";

/**
 * A notice when the panel's own sandbox (bubblewrap) is not around the agents: they then run with
 * only their own sandbox, or none. `system.sandbox` is cheap (the trial runs once per server
 * process); the Doctor page has the whole report.
 */
export function SandboxNotice() {
  const trpc = useTRPC();
  const sandbox = useQuery(trpc.system.sandbox.queryOptions(undefined, { staleTime: 5 * 60_000, retry: false }));
  const s = sandbox.data;
  if (!s || s.active) return null;
  return (
    <div className="notice notice-warn run-sandbox-notice" role="status" data-testid="sandbox-notice">
      <p className="notice-title">Agents run without the panel&apos;s sandbox</p>
      <p data-testid="sandbox-notice-detail">
        {s.reason ?? "the panel's sandbox is not available"}
        {s.fix ? (
          <>
            {" "}
            — <InlineCode text={s.fix} />
          </>
        ) : null}
        . Without it an agent can write outside its worktree wherever its own sandbox lets it.
      </p>
      <Link href="/doctor" className="button button-secondary button-small" data-testid="sandbox-notice-doctor">
        Open the Doctor
      </Link>
    </div>
  );
}
