/**
 * One shared SSH connection per host (ARCHITECTURE.md §3 "Transports"): a ControlMaster `ssh`
 * process this panel starts and owns (its pid is known; it is ended by pid on close), and every
 * step runs as a session multiplexed over it (`ControlMaster=no`, the same ControlPath), at most
 * MAX_SESSIONS at once. A step never opens a TCP connection of its own (stepArgs): while the
 * master is down, steps fail at once with HostUnreachableError and the connection reconnects in
 * the background (1 s, 2 s, … 15 s).
 *
 * Commands reach the remote shell as one string, so every argv element is single-quoted
 * (`shellQuote`); the destination is validated (no leading "-") and follows `--`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { HOST_ID_PATTERN, SSH_DESTINATION_PATTERN } from "../../core/hosts";
import { shellQuote } from "../launcher";
import { HostUnreachableError } from "../transport/types";

export interface SshConnectionOptions {
  hostId: string;
  destination: string;
  /** The ssh config file the panel wrote for this host (ssh -F). */
  configFile: string;
  /** The ControlMaster socket (a short path in the panel's data dir). */
  controlPath: string;
  /** Called on every change of state (up, unreachable, …). */
  onState?: (state: ConnectionState, detail?: string) => void;
  /** The ssh binary (tests may pin it). */
  sshBin?: string;
}

export type ConnectionState = "idle" | "connecting" | "up" | "unreachable";

export interface ExecResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export interface ExecOptions {
  input?: string | Buffer;
  timeoutMs?: number;
  /** The most stdout kept (default MAX_EXEC_OUTPUT): past it the command is ended and the step fails. */
  maxOutputBytes?: number;
}

/**
 * The most a command on a host may print: the largest answer is a result read (result.json of at
 * most 8 MiB and an 8 MiB chunk of events, in base64: about 22 MiB). A host that sends more is never buffered
 * without bound: the command is killed and the step fails, saying so.
 */
export const MAX_EXEC_OUTPUT = 64 * 1024 * 1024;

/** A command on a host printed more than its cap. */
export class ExecOutputTooLargeError extends Error {
  constructor(hostId: string, argv0: string, max: number) {
    super(`${argv0} on ${hostId} printed more than ${max} bytes: stopped and not read (a panel script there should never; update or reinstall the host's panel folder)`);
    this.name = "ExecOutputTooLargeError";
  }
}

const RETRY_MS = [1000, 2000, 4000, 8000, 15000];
/**
 * Sessions at once over the shared connection. sshd refuses more than its MaxSessions (10 by
 * default) per connection; the live tail holds one more for as long as it runs.
 */
export const MAX_SESSIONS = 8;
/** `%` starts a token in ssh's ControlPath: a literal one is written `%%`. */
const sshLiteral = (path: string) => path.replace(/%/g, "%%");

export class SshConnection {
  state: ConnectionState = "idle";
  detail?: string;
  private master?: ChildProcess;
  private connecting?: Promise<void>;
  private retry?: NodeJS.Timeout;
  private failures = 0;
  private closed = false;
  private active = 0;
  private waiting: Array<() => void> = [];
  private readonly ssh: string;

  constructor(private readonly options: SshConnectionOptions) {
    if (!HOST_ID_PATTERN.test(options.hostId)) throw new Error(`invalid host id ${JSON.stringify(options.hostId)}`);
    if (!SSH_DESTINATION_PATTERN.test(options.destination)) throw new Error(`invalid ssh destination ${JSON.stringify(options.destination)}`);
    this.ssh = options.sshBin ?? "ssh";
  }

  get masterPid(): number | undefined {
    return this.state === "up" ? this.master?.pid : undefined;
  }

  /** Options every ssh invocation of this host gets (the panel's config, the shared connection). */
  baseArgs(): string[] {
    return ["-F", this.options.configFile, "-o", `ControlPath=${sshLiteral(this.options.controlPath)}`];
  }

  /**
   * Options of a step: through the master only. ssh tries the ControlPath first and, when that
   * fails, would connect on its own; `ProxyCommand=false` makes that own connection fail at once
   * (the first value ssh reads wins, and the command line comes first), so a step never opens a
   * TCP connection of its own, even in the moment a master dies.
   */
  private stepArgs(): string[] {
    return [...this.baseArgs(), "-o", "ControlMaster=no", "-o", "ProxyCommand=false"];
  }

  /** For git (GIT_SSH_COMMAND, run by a shell): ssh through the shared connection only, every value quoted. */
  gitSshCommand(): string {
    return [this.ssh, ...this.stepArgs()].map(shellQuote).join(" ");
  }

  private setState(state: ConnectionState, detail?: string) {
    const changed = state !== this.state || detail !== this.detail;
    this.state = state;
    this.detail = detail;
    if (changed) this.options.onState?.(state, detail);
  }

  /** Connect now when not connected (waits for the master); resolves when up, rejects when it failed. */
  connect(): Promise<void> {
    if (this.closed) return Promise.reject(new HostUnreachableError(this.options.hostId, "the panel is closing"));
    if (this.state === "up" && this.masterAlive()) return Promise.resolve();
    this.connecting ??= this.startMaster().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private masterAlive(): boolean {
    return !!this.master && this.master.exitCode === null && this.master.signalCode === null;
  }

  private run(args: string[], timeoutMs: number, input?: string | Buffer, maxOutput = MAX_EXEC_OUTPUT): Promise<ExecResult & { overflow?: boolean }> {
    return new Promise((resolve) => {
      const child = spawn(this.ssh, args, { stdio: ["pipe", "pipe", "pipe"] });
      let out: Buffer[] = [];
      let held = 0;
      let overflow = false;
      let err = "";
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      child.stdout.on("data", (c: Buffer) => {
        if (overflow) return;
        held += c.length;
        if (held <= maxOutput) return void out.push(c);
        overflow = true;
        out = [];
        child.kill("SIGKILL");
      });
      child.stderr.on("data", (c: Buffer) => (err.length < 16_384 ? (err += c.toString()) : undefined));
      child.on("error", (e) => {
        clearTimeout(timer);
        resolve({ code: 255, stdout: Buffer.alloc(0), stderr: e.message });
      });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        resolve({ code: code ?? (signal ? 255 : 1), stdout: Buffer.concat(out), stderr: err, overflow });
      });
      child.stdin.on("error", () => undefined);
      child.stdin.end(input);
    });
  }

  private async startMaster(): Promise<void> {
    this.setState("connecting");
    const { destination, controlPath } = this.options;
    // A master left by an earlier run of this panel (killed without closing it) holds the socket: end it.
    if (existsSync(controlPath)) {
      await this.run([...this.baseArgs(), "-O", "exit", "--", destination], 5000);
      rmSync(controlPath, { force: true });
    }
    const master = spawn(this.ssh, [...this.baseArgs(), "-M", "-N", "-o", "ControlPersist=no", "--", destination], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    master.stderr!.on("data", (c: Buffer) => (stderr.length < 8192 ? (stderr += c.toString()) : undefined));
    const exited = new Promise<void>((resolve) => master.once("exit", () => resolve()));
    master.once("error", (e) => (stderr += e.message));
    this.master = master;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const gone = master.exitCode !== null || master.signalCode !== null;
      if (!gone && (await this.run([...this.baseArgs(), "-O", "check", "--", destination], 5000)).code === 0) break;
      if (gone || Date.now() > deadline) {
        if (!gone) master.kill("SIGTERM");
        const detail = stderr.trim().split("\n").slice(-2).join(" ") || (gone ? `ssh exited (${master.exitCode ?? master.signalCode})` : "ssh did not connect within 30 s");
        this.master = undefined;
        this.fail(detail);
        throw new HostUnreachableError(this.options.hostId, detail);
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 100))]);
    }
    this.failures = 0;
    master.once("exit", () => {
      if (this.master !== master) return;
      this.master = undefined;
      this.fail(stderr.trim().split("\n").slice(-1)[0] || "the SSH connection dropped");
    });
    this.setState("up");
  }

  /** Down: unreachable, and reconnect later (unless closing). */
  private fail(detail: string) {
    this.setState("unreachable", detail);
    if (this.closed || this.retry) return;
    const wait = RETRY_MS[Math.min(this.failures++, RETRY_MS.length - 1)]!;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.connect().catch(() => undefined);
    }, wait);
    this.retry.unref?.();
  }

  /** Steps wait for a first connection; while a failed or dropped one reconnects they fail at once. */
  async ready(): Promise<void> {
    if (this.state === "up" && this.masterAlive()) return;
    if (this.state === "unreachable" || (this.state === "connecting" && this.failures > 0)) {
      throw new HostUnreachableError(this.options.hostId, this.detail ?? "not connected");
    }
    await this.connect();
  }

  /** The argv of an ssh session running `argv` there (quoted), over the shared connection. */
  sessionArgs(argv: readonly string[], extra: readonly string[] = []): string[] {
    if (argv.length === 0) throw new Error("no command");
    return [...this.stepArgs(), "-T", ...extra, "--", this.options.destination, argv.map(shellQuote).join(" ")];
  }

  /** Run `fn` in one of the connection's session slots (at most MAX_SESSIONS at once). */
  async session<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= MAX_SESSIONS) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }

  /**
   * Run `argv` on the host. Its own exit code comes back as is; an SSH failure (ssh's 255 while
   * the master is gone) throws HostUnreachableError.
   */
  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    await this.ready();
    const { overflow, ...r } = await this.session(() => this.run(this.sessionArgs(argv), options.timeoutMs ?? 60_000, options.input, options.maxOutputBytes));
    if (overflow) throw new ExecOutputTooLargeError(this.options.hostId, argv[0] ?? "a command", options.maxOutputBytes ?? MAX_EXEC_OUTPUT);
    if (r.code === 255 && !this.masterAlive()) throw new HostUnreachableError(this.options.hostId, r.stderr.trim() || "the SSH connection dropped");
    return r;
  }

  /** A long-running session (the live tail); the caller ends it (it also ends with the connection). */
  async open(argv: readonly string[]): Promise<ChildProcess> {
    await this.ready();
    return spawn(this.ssh, this.sessionArgs(argv), { stdio: ["pipe", "pipe", "pipe"] });
  }

  /** End the master (by pid: the process this object started) and stop reconnecting. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    const master = this.master;
    this.master = undefined;
    if (master && master.exitCode === null && master.signalCode === null) {
      const exited = new Promise<void>((resolve) => master.once("exit", () => resolve()));
      master.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    }
    rmSync(this.options.controlPath, { force: true });
    this.setState("idle");
  }
}
