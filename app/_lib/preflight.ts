/*
 * Plain-words help for the bridge's preflight reasons. A client-safe copy of PREFLIGHT_HELP in
 * server/panel/lifecycle.ts (that module touches the disk, git and tmux, so the browser bundle
 * cannot import it). Keep the two in step when a reason is added.
 */
export const PREFLIGHT_HELP: Record<string, string> = {
  "tmux:unavailable": "tmux is not installed: apt-get install tmux",
  "tmux:server-unreachable": "the tmux server on the panel socket cannot be started; check LONGTABLE_TMUX_SOCKET and tmux -L <socket> ls",
  "git:unavailable": "git is not installed: apt-get install git",
  "git:working-directory-unavailable": "the repository folder is missing or no longer a git work tree",
  "codex:unavailable": "the codex CLI was not found: npm install -g @openai/codex, or set LONGTABLE_CODEX_BIN",
};

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
