/** What the UI needs from a failed tRPC call (TRPCClientError, or anything thrown). */
export interface ErrorInfo {
  message: string;
  code?: string;
  httpStatus?: number;
  issues: { path: string; message: string }[];
}

interface ZodIssueLike {
  path?: (string | number)[];
  message?: string;
}

export function errorInfo(error: unknown): ErrorInfo {
  const e = error as { message?: unknown; data?: { code?: unknown; httpStatus?: unknown; zodIssues?: unknown } } | null;
  const data = e?.data;
  const rawIssues = Array.isArray(data?.zodIssues) ? (data.zodIssues as ZodIssueLike[]) : [];
  const issues = rawIssues.map((i) => ({
    path: Array.isArray(i.path) ? i.path.join(".") : "",
    message: typeof i.message === "string" ? i.message : "invalid value",
  }));
  let message = typeof e?.message === "string" && e.message ? e.message : "Something went wrong.";
  // A zod failure's message (its issues, in words or as JSON): the list below says it per field.
  if (issues.length > 0 && (message.trim().startsWith("[") || message.startsWith("invalid input — "))) message = "Some fields need attention:";
  return {
    message,
    code: typeof data?.code === "string" ? data.code : undefined,
    httpStatus: typeof data?.httpStatus === "number" ? data.httpStatus : undefined,
    issues,
  };
}

/** The issue messages for one input field (by the first path segment). */
export function issuesFor(info: ErrorInfo | undefined, field: string): string[] {
  if (!info) return [];
  return info.issues.filter((i) => i.path === field || i.path.startsWith(`${field}.`)).map((i) => i.message);
}

/** A next step to suggest for errors that are not the user's input. */
export function errorHint(info: ErrorInfo): string | undefined {
  if (info.code === "FORBIDDEN") return "This session is read-only. Open the panel with the operator token to make changes.";
  if (info.code === "UNAUTHORIZED" || info.httpStatus === 401 || /not authenticated/i.test(info.message)) {
    return "Open the panel again with the ?token= URL printed when it started.";
  }
  if (/fetch|network|Failed to fetch|Unexpected (token|end)/i.test(info.message) && !info.code) {
    return "The panel server did not answer. Check that `longtable-panel` is still running, then retry.";
  }
  return undefined;
}
