/**
 * tmux effects on the panel's dedicated socket (`-L <socket>`): one session per run, one
 * window per worker, panes kept after exit. argv only — tmux executes a multi-argument
 * command directly, without a shell.
 */
import { execFile } from "node:child_process";

export interface PaneInfo {
  session: string;
  window: string;
  windowIndex: string;
  paneId: string;
  dead: boolean;
  deadStatus?: number;
  pid?: number;
}

export interface TmuxResult {
  code: number;
  stdout: string;
  stderr: string;
}

export const SESSION_PATTERN = /^[A-Za-z0-9_-]{1,80}$/;
export const PANE_ID_PATTERN = /^%\d+$/;

/**
 * tmux expands formats in a start directory (`-c`): `#(cmd)` there runs cmd. A path only ever
 * reaches tmux through this (each `#` doubled), so a repository path cannot run anything.
 */
export function tmuxLiteral(path: string): string {
  if (path.includes("\0") || /[\r\n]/.test(path)) throw new Error("a tmux start directory cannot contain NUL or newlines");
  return path.replace(/#/g, "##");
}

export function sessionNameFor(runId: string): string {
  const name = `ltp-${runId}`;
  if (!SESSION_PATTERN.test(name)) throw new Error(`invalid tmux session name ${JSON.stringify(name)}`);
  return name;
}

/**
 * Runs a tmux argv (binary first) somewhere: on this machine by default, or on an SSH host
 * (server/bridge/ssh/transport.ts). Never throws; a failure to reach the machine at all is thrown
 * by the SSH transport as HostUnreachableError, so no caller mistakes an outage for a dead pane.
 */
export type TmuxExec = (argv: readonly string[], timeoutMs: number) => Promise<TmuxResult>;

export const localTmuxExec: TmuxExec = (argv, timeoutMs) =>
  new Promise((resolve) => {
    const child = execFile(argv[0]!, argv.slice(1), { timeout: timeoutMs, encoding: "utf8" }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === "number" ? (error as { code: number }).code : 127) : 0;
      resolve({ code, stdout, stderr });
    });
    child.stdin?.end();
  });

export class Tmux {
  constructor(public readonly socket: string, private readonly bin = "tmux", private readonly exec: TmuxExec = localTmuxExec) {
    if (!/^[A-Za-z0-9_.-]{1,100}$/.test(socket)) throw new Error(`invalid tmux socket name ${JSON.stringify(socket)}`);
  }

  run(args: readonly string[], timeoutMs = 10_000): Promise<TmuxResult> {
    // -u: without a UTF-8 locale (an ssh session often has none) tmux writes the tab of our
    // formats as "_"; with it, -F output is the same whatever the environment.
    return this.exec([this.bin, "-u", "-L", this.socket, "-f", "/dev/null", ...args], timeoutMs);
  }

  async ok(args: readonly string[]): Promise<string> {
    const r = await this.run(args);
    if (r.code !== 0) throw new Error(`tmux ${args[0]} failed: ${(r.stderr || r.stdout).trim() || `exit ${r.code}`}`);
    return r.stdout;
  }

  async version(): Promise<string | undefined> {
    const r = await this.exec([this.bin, "-V"], 5000);
    return r.code === 0 ? r.stdout.trim() : undefined;
  }

  /** Reach the server on our socket, starting it if needed. */
  async reachable(): Promise<{ ok: boolean; reason?: string }> {
    const r = await this.run(["start-server", ";", "set-option", "-g", "remain-on-exit", "on", ";", "list-sessions", "-F", "#{session_name}"]);
    if (r.code === 0 || /no server running|no sessions/i.test(r.stderr)) return { ok: true };
    return { ok: false, reason: (r.stderr || r.stdout).trim() || `tmux exited ${r.code}` };
  }

  /** All panes on the socket, with one tmux call. */
  async listPanes(): Promise<PaneInfo[]> {
    const r = await this.run(["list-panes", "-a", "-F", "#{session_name}\t#{window_name}\t#{window_index}\t#{pane_id}\t#{pane_dead}\t#{pane_dead_status}\t#{pane_pid}"]);
    if (r.code !== 0) return [];
    return r.stdout
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const [session = "", window = "", windowIndex = "", paneId = "", dead = "0", deadStatus = "", pid = ""] = line.split("\t");
        return {
          session, window, windowIndex, paneId, dead: dead === "1",
          deadStatus: deadStatus === "" ? undefined : Number(deadStatus),
          pid: pid === "" ? undefined : Number(pid),
        };
      });
  }

  /**
   * Open a window running `argv` in `cwd`: creates the session when it does not exist. Panes
   * stay after their process exits (remain-on-exit), so a human can read the end.
   */
  openWindow(session: string, window: string, cwd: string, argv: readonly string[]): Promise<{ paneId: string; windowIndex: string }> {
    // Serialized per session: two concurrent launches must not both try to create it.
    const prev = this.opening.get(session) ?? Promise.resolve();
    const next = prev.then(() => this.openWindowNow(session, window, cwd, argv));
    const tail = next.catch(() => undefined);
    this.opening.set(session, tail);
    void tail.then(() => this.opening.get(session) === tail && this.opening.delete(session));
    return next;
  }

  private opening = new Map<string, Promise<unknown>>();
  /** Sessions this process opened a window in: the next window skips `has-session` (bench: one tmux call less per worker). */
  private knownSessions = new Set<string>();

  private async openWindowNow(session: string, window: string, cwd: string, argv: readonly string[]): Promise<{ paneId: string; windowIndex: string }> {
    if (!SESSION_PATTERN.test(session) || !SESSION_PATTERN.test(window)) throw new Error("invalid tmux session or window name");
    const fmt = "#{pane_id}\t#{window_index}";
    const prefix = ["start-server", ";", "set-option", "-g", "remain-on-exit", "on", ";", "set-option", "-g", "history-limit", "20000", ";"];
    const dir = tmuxLiteral(cwd);
    const newWindow = ["new-window", "-d", "-t", `=${session}:`, "-n", window, "-c", dir, "-P", "-F", fmt, ...argv];
    let out: string | undefined;
    if (this.knownSessions.has(session)) {
      const r = await this.run([...prefix, ...newWindow]);
      if (r.code === 0) out = r.stdout;
      else this.knownSessions.delete(session); // gone meanwhile (killed by hand?): ask tmux below
    }
    if (out === undefined) {
      const has = await this.run(["has-session", "-t", `=${session}`]);
      const create = has.code === 0
        ? newWindow
        : ["new-session", "-d", "-s", session, "-n", window, "-c", dir, "-x", "200", "-y", "50", "-P", "-F", fmt, ...argv];
      out = await this.ok([...prefix, ...create]);
    }
    this.knownSessions.add(session);
    const [paneId = "", windowIndex = ""] = out.trim().split("\n").pop()!.split("\t");
    if (!PANE_ID_PATTERN.test(paneId)) throw new Error(`tmux did not report a pane id (got ${JSON.stringify(out.trim())})`);
    return { paneId, windowIndex };
  }

  /** Run `argv` again in an existing pane (follow-up turns, relaunch into a dead pane). */
  async respawn(paneId: string, cwd: string, argv: readonly string[]): Promise<void> {
    if (!PANE_ID_PATTERN.test(paneId)) throw new Error("invalid pane id");
    await this.ok(["respawn-pane", "-k", "-t", paneId, "-c", tmuxLiteral(cwd), ...argv]);
  }

  async killPane(paneId: string): Promise<boolean> {
    if (!PANE_ID_PATTERN.test(paneId)) return false;
    return (await this.run(["kill-pane", "-t", paneId])).code === 0;
  }

  async killSession(session: string): Promise<boolean> {
    if (!SESSION_PATTERN.test(session)) return false;
    this.knownSessions.delete(session);
    return (await this.run(["kill-session", "-t", `=${session}`])).code === 0;
  }

  /** The pane's screen and scrollback with colours (ANSI escapes). */
  async capture(paneId: string, lines = 2000): Promise<string | undefined> {
    if (!PANE_ID_PATTERN.test(paneId)) return undefined;
    const r = await this.run(["capture-pane", "-p", "-e", "-J", "-t", paneId, "-S", `-${lines}`]);
    return r.code === 0 ? r.stdout : undefined;
  }

  /** Kill the whole server on this socket (tests use throw-away sockets). */
  async killServer(): Promise<void> {
    this.knownSessions.clear();
    await this.run(["kill-server"]);
  }
}
