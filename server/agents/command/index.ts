/**
 * The generic command agent: any CLI the user names, so nobody waits for us to write an adapter.
 *
 *   <LONGTABLE_COMMAND_AGENT_BIN> <LONGTABLE_COMMAND_ARGS…>  < task (or follow-up text)
 *
 * run in the worker's worktree (its working directory), inside the panel's sandbox. Its contract:
 *  - stdin: the task (task.md), or on a follow-up turn the researcher's feedback;
 *  - environment: LONGTABLE_RESULT_FILE (where to write the result: one JSON object with the
 *    worker result fields, the schema is at LONGTABLE_OUTPUT_SCHEMA), LONGTABLE_WORKTREE,
 *    LONGTABLE_MODEL (the member's model, when it names one), LONGTABLE_FOLLOW_UP ("1" on a
 *    follow-up turn) and LONGTABLE_SESSION_ID (the session it printed on its first turn);
 *  - stdout: plain lines, shown as activity; `longtable-session: <id>` and
 *    `longtable-usage: {…}` lines are read as its session id and usage (events.mjs);
 *  - what it changes in the worktree is committed after it exits; a non-zero exit without a
 *    result file ends the worker with an `error` result.
 * It has no sandbox of its own as far as the panel knows, so it runs only inside the panel's.
 */
import { resolveExecutable } from "../executable";
import type { AgentAdapter, AgentCheck, AgentTurn, EnvVars } from "../types";
import { COMMAND_SESSION_ID_PATTERN, parseCommandLine } from "./events.mjs";

export const COMMAND_INSTALL =
  "set LONGTABLE_COMMAND_AGENT_BIN to a program that reads the task on stdin and writes its JSON result to the file named by $LONGTABLE_RESULT_FILE (see server/agents/README.md)";

export const commandAgent: AgentAdapter = {
  id: "command",
  label: "Command",
  install: COMMAND_INSTALL,
  binSetting: { env: "LONGTABLE_COMMAND_AGENT_BIN", fallback: "longtable-agent" },
  argsSetting: "LONGTABLE_COMMAND_ARGS",
  ownSandbox: false,
  threadIdPattern: COMMAND_SESSION_ID_PATTERN,
  args(turn: AgentTurn) {
    if (turn.resumeThreadId !== undefined && !COMMAND_SESSION_ID_PATTERN.test(turn.resumeThreadId)) {
      throw new Error(`invalid command agent session id: ${JSON.stringify(turn.resumeThreadId)}`);
    }
    return [...turn.extraArgs];
  },
  turnEnv(turn: AgentTurn) {
    return {
      LONGTABLE_RESULT_FILE: turn.lastMessagePath,
      LONGTABLE_OUTPUT_SCHEMA: turn.outputSchemaPath,
      LONGTABLE_WORKTREE: turn.worktreePath,
      LONGTABLE_FOLLOW_UP: turn.resumeThreadId !== undefined ? "1" : "0",
      ...(turn.resumeThreadId !== undefined ? { LONGTABLE_SESSION_ID: turn.resumeThreadId } : {}),
      ...(turn.model ? { LONGTABLE_MODEL: turn.model } : {}),
    };
  },
  home(privateHome: string) {
    // A private, writable HOME (the real one is read-only in the sandbox); nothing is copied in.
    return { env: { HOME: privateHome }, dirs: [], copy: [] };
  },
  parser: () => parseCommandLine,
  async doctor(bin: string, env: EnvVars): Promise<AgentCheck> {
    // Found and executable is all the panel can check: an arbitrary program is not run to ask
    // its version (it might take "--version" as work to do).
    const path = resolveExecutable(bin, env.PATH ?? "");
    return {
      agent: "command",
      label: "Command",
      bin,
      installed: path !== undefined,
      ready: path !== undefined,
      status: path ? `runs ${path}` : undefined,
      fix: path ? undefined : COMMAND_INSTALL,
    };
  },
};
