import Link from "next/link";
import type { ReactNode } from "react";

/**
 * A link to the diff review: of one worker (`/runs/<runId>/review/<workerId>`), or of the whole
 * run (overlap matrix and worker picker) without a workerId. Drop it into a worker card or the
 * run page.
 */
export function ReviewLink({
  runId,
  workerId,
  path,
  children,
  className = "button button-secondary button-small",
  testId = "open-review",
}: {
  runId: string;
  workerId?: string;
  /** Open the review on this file. */
  path?: string;
  children?: ReactNode;
  className?: string;
  testId?: string;
}) {
  const base = `/runs/${encodeURIComponent(runId)}/review${workerId ? `/${encodeURIComponent(workerId)}` : ""}`;
  const href = path ? `${base}?file=${encodeURIComponent(path)}` : base;
  return (
    <Link href={href} className={className} data-testid={testId}>
      {children ?? (workerId ? "Review changes" : "Review & merge")}
    </Link>
  );
}
