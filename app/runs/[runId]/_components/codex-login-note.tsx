"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { InlineCode } from "@/app/_components/states";
import { useTRPC } from "@/app/_trpc/client";

/** A note when `system.doctor` says codex is not logged in: the workers would fail at their first turn. */
export function CodexLoginNote() {
  const trpc = useTRPC();
  const doctor = useQuery(trpc.system.doctor.queryOptions(undefined, { staleTime: 5 * 60_000, retry: false }));
  const codex = doctor.data?.codex;
  if (!codex || codex.loggedIn) return null;
  const check = doctor.data?.checks.find((c) => c.name === "codex");
  if (check && !check.ok) {
    return (
      <div className="notice notice-warn" role="status" data-testid="codex-login-note">
        <p className="notice-title">codex was not found</p>
        <p>
          The panel runs <code>{codex.bin}</code> for each worker, and it did not run. {check.fix ? <>Fix: <code>{check.fix}</code>. </> : null}
          <Link href="/doctor">Open the doctor</Link> to check again.
        </p>
      </div>
    );
  }
  return (
    <div className="notice notice-warn" role="status" data-testid="codex-login-note">
      <p className="notice-title">codex is not logged in</p>
      <p>
        Workers run <code>{codex.bin}</code>, which cannot reach a model until it is logged in.{" "}
        {codex.loginFix ? (
          <>
            To fix it, <InlineCode text={codex.loginFix} />.
          </>
        ) : null}{" "}
        <Link href="/doctor">Open the doctor</Link> to check again.
      </p>
    </div>
  );
}
