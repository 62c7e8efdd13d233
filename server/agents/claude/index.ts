/**
 * Claude Code (`claude -p`), checked against 2.1.328 (facts and how they were found: NOTES.md).
 *
 *   new turn:   -p --output-format=stream-json --verbose --permission-mode=acceptEdits … --json-schema=<schema> [extra]
 *   follow-up:  the same, then --resume=<session_id>   (same worktree as cwd, same state dir)
 *
 * The prompt comes on stdin; the stream-json lines on stdout are the activity (events.mjs) and
 * end with the result line the finish step reads (result.mjs). claude has no OS sandbox of its
 * own by default and a worker's Bash is pre-approved, so it only ever runs inside the panel's
 * sandbox (ownSandbox: false → preflight refuses a Claude member without it): its permission
 * mode keeps file edits inside the worktree, bubblewrap keeps everything else out.
 */
import { join } from "node:path";
import type { AgentAdapter, AgentCheck, AgentTurn, EnvVars } from "../types";
import { claudeTurnArgs } from "./args";
import { CLAUDE_INSTALL_FIX, claudeDoctor } from "./doctor";
import { CLAUDE_SESSION_ID_PATTERN, createClaudeParseState, parseClaudeLine } from "./events.mjs";
import { CLAUDE_FILES_TO_COPY, CLAUDE_PASSTHROUGH_ENV, claudeUserConfigDir, claudeWorkerEnv } from "./sandbox";

export const claudeAgent: AgentAdapter = {
  id: "claude",
  label: "Claude Code",
  install: CLAUDE_INSTALL_FIX,
  binSetting: { env: "LONGTABLE_CLAUDE_BIN", fallback: "claude" },
  argsSetting: "LONGTABLE_CLAUDE_ARGS",
  ownSandbox: false,
  threadIdPattern: CLAUDE_SESSION_ID_PATTERN,
  passEnv: CLAUDE_PASSTHROUGH_ENV,
  args(turn: AgentTurn) {
    // Extra options (LONGTABLE_CLAUDE_ARGS) go last: claude takes its options in any order.
    return [
      ...claudeTurnArgs({ outputSchema: turn.outputSchema, model: turn.model, resumeSessionId: turn.resumeThreadId }),
      ...turn.extraArgs,
    ];
  },
  home(privateHome: string, env: EnvVars) {
    // The state dir (CLAUDE_CONFIG_DIR) is the same for every turn of the worker: claude keeps
    // the session a follow-up resumes there. It is never the user's own ~/.claude (the agent can
    // write it); only the login and the user's settings are copied in, before each turn.
    const stateDir = join(privateHome, ".claude");
    const from = claudeUserConfigDir(env);
    return {
      env: { HOME: privateHome, ...claudeWorkerEnv(stateDir) },
      dirs: [stateDir],
      copy: CLAUDE_FILES_TO_COPY.map((name) => ({ from: join(from, name), to: join(stateDir, name) })),
    };
  },
  parser() {
    // A tool result does not name its tool: the state remembers each tool use of this stream.
    const state = createClaudeParseState();
    return (line: string) => parseClaudeLine(line, state);
  },
  async doctor(bin: string, env: EnvVars): Promise<AgentCheck> {
    const d = await claudeDoctor({ bin, env });
    return {
      agent: "claude",
      label: "Claude Code",
      bin,
      installed: d.check.ok,
      version: d.check.version,
      ready: d.check.ok && d.claude.loggedIn,
      status: d.check.ok ? d.claude.loginStatus : d.check.detail,
      fix: !d.check.ok ? CLAUDE_INSTALL_FIX : d.claude.loginFix,
    };
  },
};
