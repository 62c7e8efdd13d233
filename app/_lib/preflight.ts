import { PREFLIGHT_HELP } from "@/server/panel/lifecycle/preflight-help";

export { PREFLIGHT_HELP };

export interface ExplainedReason {
  /** The reason as the server wrote it (e.g. `tmux:unavailable`). */
  code: string | null;
  /** What it means and how to fix it; the text itself when it is not a known code. */
  text: string;
}

/**
 * Split a failure reason ("tmux:unavailable, codex:unavailable", or a sentence) into parts a
 * person can act on: known preflight codes become their help text, anything else stays as written.
 */
export function explainReason(reason: string | null | undefined): ExplainedReason[] {
  if (!reason) return [];
  const parts = reason.split(/,\s*/).map((p) => p.trim());
  if (parts.length > 0 && parts.every((p) => p in PREFLIGHT_HELP)) {
    return parts.map((p) => ({ code: p, text: PREFLIGHT_HELP[p]! }));
  }
  const single = reason.trim();
  return [{ code: single in PREFLIGHT_HELP ? single : null, text: PREFLIGHT_HELP[single] ?? single }];
}
