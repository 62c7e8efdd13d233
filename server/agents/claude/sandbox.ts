/**
 * What Claude Code needs from the panel's sandbox, and the private state dir each worker gets.
 * Checked with claude 2.1.328 under bubblewrap 0.8:
 *
 *   bwrap --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp --bind <worktree> <worktree>
 *         --bind <stateDir> <stateDir> --unshare-all --share-net --die-with-parent --new-session
 *         --chdir <worktree> -- <claude> <args…>        (env: claudeWorkerEnv(stateDir) + auth)
 *
 * Writable, and nothing else:
 *  - the worktree (cwd): the agent's work;
 *  - the state dir, as CLAUDE_CONFIG_DIR: claude keeps ALL its state there when the variable is
 *    set (.claude.json, backups/, sessions under projects/<cwd-slug>/<session>.jsonl, which
 *    --resume needs, plugins/, tasks). HOME itself may stay read-only;
 *  - /tmp (a private tmpfs): the Bash tool writes its output under /tmp/claude-<uid>/<cwd-slug>/
 *    (with a read-only /tmp every Bash call fails: "EROFS: read-only file system, mkdir
 *    '/tmp/claude-0/…'"), and claude opens a socket under /tmp/cc-socks/. CLAUDE_CODE_TMPDIR
 *    moves both elsewhere (the tests point it into their temp HOME); the commands the agent runs
 *    still expect a writable /tmp, so the tmpfs stays.
 * Network: only the API (claude has no OS sandbox of its own unless its `sandbox` setting is on).
 *
 * The state dir is private to one worker and kept across its turns (a follow-up resumes the
 * session stored there). It is NEVER the user's real ~/.claude: an agent can write its state
 * dir, and settings or hooks planted there would run the next time the user's own, unsandboxed
 * claude starts. For the same reason nothing outside the sandbox may ever run claude with a
 * worker's state dir, nor read instructions from it.
 */
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import type { EnvVars } from "../types";

export const CLAUDE_STATE_DIR_ENV = "CLAUDE_CONFIG_DIR";

/**
 * Copied from the user's claude config dir into a worker's state dir before each turn:
 *  - .credentials.json: a claude.ai login (`claude auth login`; {claudeAiOauth: {accessToken,
 *    refreshToken, expiresAt, …}}). With it alone claude is logged in offline (auth status →
 *    authMethod "claude.ai") and sends `Authorization: Bearer <accessToken>`. Caveat: if a worker's
 *    claude refreshes an expired token, the refresh token rotates inside the copy and the user's
 *    own copy may stop working; an ANTHROPIC_API_KEY or a `claude setup-token` token
 *    (CLAUDE_CODE_OAUTH_TOKEN) in the environment avoids copying credentials at all;
 *  - settings.json: the user's own settings (model, env, apiKeyHelper). Loaded because the turn
 *    runs with --setting-sources=user; the worktree's project settings are not.
 * Not copied: .claude.json (the user's project history, MCP servers and account details; claude
 * makes a fresh one), sessions, plugins, agents, commands.
 * On macOS a claude.ai login lives in the Keychain, not in .credentials.json: use an API key or
 * CLAUDE_CODE_OAUTH_TOKEN there.
 */
export const CLAUDE_FILES_TO_COPY = [".credentials.json", "settings.json"] as const;
const MAX_COPY_BYTES = 1024 * 1024;

/**
 * Environment names a worker's claude may need from the panel's environment (auth, provider,
 * proxy). The launcher embeds those that are set, like LONGTABLE_AGENT_ENV for codex.
 */
export const CLAUDE_PASSTHROUGH_ENV = [
  "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN", "ANTHROPIC_BASE_URL", "ANTHROPIC_MODEL",
  "CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY",
] as const;

/** The user's claude config dir: CLAUDE_CONFIG_DIR, else ~/.claude. */
export function claudeUserConfigDir(env: EnvVars = process.env): string {
  const set = env[CLAUDE_STATE_DIR_ENV];
  if (set && isAbsolute(set)) return set;
  return join(env.HOME && isAbsolute(env.HOME) ? env.HOME : homedir(), ".claude");
}

/** The variables that make claude use `stateDir` and stay quiet (no auto-update, no telemetry). */
export function claudeWorkerEnv(stateDir: string): Record<string, string> {
  if (!isAbsolute(stateDir)) throw new Error(`the Claude state dir must be an absolute path, got ${JSON.stringify(stateDir)}`);
  return {
    [CLAUDE_STATE_DIR_ENV]: stateDir,
    DISABLE_AUTOUPDATER: "1",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
  };
}

/** Paths a Claude worker's sandbox must make writable (tmpfs: fresh and private per run). */
export function claudeSandboxPaths(input: { worktree: string; stateDir: string }): { writable: string[]; tmpfs: string[] } {
  for (const [what, p] of Object.entries(input)) {
    if (!isAbsolute(p)) throw new Error(`${what} must be an absolute path, got ${JSON.stringify(p)}`);
  }
  return { writable: [input.worktree, input.stateDir], tmpfs: ["/tmp"] };
}

export interface PreparedStateDir {
  stateDir: string;
  copied: string[];
  /** Files not copied, with why (absent is normal: e.g. no settings.json). */
  skipped: Array<{ file: string; reason: string }>;
}

/**
 * Makes (or refreshes) a worker's private state dir: creates it (0700) and copies
 * CLAUDE_FILES_TO_COPY from `userConfigDir`. Runs OUTSIDE the sandbox on a dir the agent could
 * write in an earlier turn, so: the state dir must be a real directory (not a symlink), each
 * destination is removed first and created with O_EXCL|O_NOFOLLOW (a planted symlink is never
 * written through), and only regular files of at most 1 MB are read from the user's dir.
 */
export function prepareClaudeStateDir(stateDir: string, options: { userConfigDir: string }): PreparedStateDir {
  if (!isAbsolute(stateDir)) throw new Error(`the Claude state dir must be an absolute path, got ${JSON.stringify(stateDir)}`);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const st = lstatSync(stateDir);
  if (!st.isDirectory() || st.isSymbolicLink()) throw new Error(`${stateDir} is not a directory; remove it and start the worker again`);
  const out: PreparedStateDir = { stateDir, copied: [], skipped: [] };
  for (const file of CLAUDE_FILES_TO_COPY) {
    const from = join(options.userConfigDir, file);
    const to = join(stateDir, file);
    const content = readRegularFile(from);
    if (typeof content === "string") {
      out.skipped.push({ file, reason: content });
      continue;
    }
    rmSync(to, { recursive: true, force: true });
    const fd = openSync(to, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      let off = 0;
      while (off < content.length) off += writeSync(fd, content, off, content.length - off);
    } finally {
      closeSync(fd);
    }
    out.copied.push(file);
  }
  return out;
}

/** The file's bytes, or why it was not read. */
function readRegularFile(path: string): Buffer | string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? "absent" : code === "ELOOP" ? "a symlink (not followed)" : `unreadable (${code ?? "error"})`;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return "not a regular file";
    if (st.size > MAX_COPY_BYTES) return `larger than ${MAX_COPY_BYTES} bytes`;
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < st.size) {
      const n = readSync(fd, buf, off, st.size - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}
