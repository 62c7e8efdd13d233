"use client";

import Link from "next/link";
import type { RunView } from "@/app/_lib/types";
import { useRunSetup } from "../_model/use-run-setup";
import "@/app/_components/repo-setup.css";

/**
 * "Approval needed" on the run page (ARCHITECTURE.md §10): the repository's config is not
 * approved, so these workers wait; the link leads to where an operator reads and approves it.
 * Also keeps the run's setup view fresh for the worker cards (one per page).
 */
export function SetupNotice({ run }: { run: RunView }) {
  const setup = useRunSetup(run.id, run.workers);
  const waiting = setup.data?.waiting ?? [];
  if (waiting.length === 0) return null;
  const sha = waiting[0]!.sha256;
  return (
    <div className="notice notice-warn" role="status" data-testid="setup-approval-notice">
      <p className="notice-title">Approval needed before {waiting.length === 1 ? "a worker starts" : `${waiting.length} workers start`}</p>
      <p>
        This repository&apos;s <code>{setup.data!.file}</code> (sha256 <code title={sha}>{sha.slice(0, 12)}…</code>) has not been
        approved. Its setup, teardown and copied files apply to every worker, so nothing runs until an operator has read
        and approved its exact text. Waiting:{" "}
        <span data-testid="setup-waiting">{waiting.map((w) => w.label).join(", ")}</span>.
      </p>
      <Link href={`/settings#repo-setup-${run.repoId}`} className="button button-small" data-testid="setup-review-link">
        Review and approve
      </Link>
    </div>
  );
}
