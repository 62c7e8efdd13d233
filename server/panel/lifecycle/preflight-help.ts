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
  "command:unavailable": "the command agent is not configured: set LONGTABLE_COMMAND_AGENT_BIN to a program that reads the task on stdin and writes its JSON result to $LONGTABLE_RESULT_FILE (server/agents/README.md)",
  "claude:sandbox-required":
    "Claude Code has no sandbox of its own and runs only inside the panel's (bubblewrap), which is off or not available here: install bubblewrap (apt-get install -y bubblewrap) and unset LONGTABLE_SANDBOX=off; the Doctor page says what is missing. Members played by codex can run without it",
  "command:sandbox-required":
    "the command agent runs only inside the panel's sandbox (bubblewrap), which is off or not available here: install bubblewrap (apt-get install -y bubblewrap) and unset LONGTABLE_SANDBOX=off; the Doctor page says what is missing",
  "codex:hidden-by-sandbox":
    "the codex binary is under /tmp, which the agents' sandbox replaces with a private, empty /tmp, so it cannot start there: install codex outside /tmp (npm install -g @openai/codex), or point LONGTABLE_CODEX_BIN at a copy outside /tmp",
  "claude:hidden-by-sandbox":
    "the Claude Code binary is under /tmp, which the agents' sandbox replaces with a private, empty /tmp, so it cannot start there: install it outside /tmp (npm install -g @anthropic-ai/claude-code), or point LONGTABLE_CLAUDE_BIN at a copy outside /tmp",
  "command:hidden-by-sandbox":
    "the command agent is under /tmp, which the agents' sandbox replaces with a private, empty /tmp, so it cannot start there: move it outside /tmp and point LONGTABLE_COMMAND_AGENT_BIN at it",
  "host:unreachable": "a worker host cannot be reached over SSH: open Hosts and run its check (ssh must log in without a prompt)",
  "host:node-unavailable": "node did not run on a worker host (it runs the finish step there): install node 20+ there, or set the host's node binary",
  "host:tmux-unavailable": "tmux is missing or cannot start on a worker host: install it there (apt-get install tmux)",
  "host:git-unavailable": "git is not installed on a worker host: install it there",
  "host:clone-unavailable": "the host's clone path is not a git work tree: clone the repository there, or fix the host's clone path",
  "host:sandbox-unavailable": "LONGTABLE_SANDBOX=bwrap, but bubblewrap does not work on a worker host: install it there, or see the host's check",
  "host:codex-unavailable": "the codex CLI was not found on a worker host: install it there, or set the host's codex binary",
  "host:claude-unavailable": "the Claude Code CLI was not found on a worker host: install it there, or set the host's claude binary",
  "host:command-unavailable": "the command agent was not found on a worker host: set the host's command binary",
  "sandbox:unavailable": "LONGTABLE_SANDBOX=bwrap, but the panel's sandbox does not work here: install bubblewrap (apt-get install -y bubblewrap) and see the Doctor page, or set LONGTABLE_SANDBOX=auto",
};
