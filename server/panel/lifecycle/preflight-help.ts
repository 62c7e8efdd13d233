/**
 * Plain-words explanation and fix for each preflight reason. A module with no imports, so the
 * server and the browser bundle share one copy.
 */
export const PREFLIGHT_HELP: Record<string, string> = {
  "tmux:unavailable": "tmux is not installed: apt-get install tmux",
  "tmux:server-unreachable": "the tmux server on the panel socket cannot be started; check LONGTABLE_TMUX_SOCKET and tmux -L <socket> ls",
  "git:unavailable": "git is not installed: apt-get install git",
  "git:working-directory-unavailable": "the repository folder is missing or no longer a git work tree",
  "codex:unavailable": "the codex CLI was not found: npm install -g @openai/codex, or set LONGTABLE_CODEX_BIN",
  "claude:unavailable": "the Claude Code CLI was not found: npm install -g @anthropic-ai/claude-code, or set LONGTABLE_CLAUDE_BIN",
  "command:unavailable": "the command agent is not configured: set LONGTABLE_COMMAND_AGENT to its command (see the README)",
  "sandbox:unavailable": "LONGTABLE_SANDBOX=bwrap, but the panel's sandbox does not work here: install bubblewrap (apt-get install -y bubblewrap) and see the Doctor page, or set LONGTABLE_SANDBOX=auto",
};
