/**
 * A throw-away OpenSSH server for tests, and ssh clients that reach only it.
 *
 * startSshd() runs /usr/sbin/sshd as a child (-D -e) on a free 127.0.0.1 port with its own host
 * key, its own sshd_config and an authorized key made for the test — never the system sshd or
 * its keys. It also writes an ssh_config for clients: sshArgs() (`-F <that file>`) is every
 * option an ssh invocation needs to reach this server (identity, known_hosts pinned to the test
 * host key, BatchMode, ExitOnForwardFailure) and nothing of the user's ~/.ssh is read. The
 * config maps `alias` and any `names` given (e.g. the machine's hostname, to run a printed
 * `ssh … user@host` line as printed) to this server.
 *
 * openTunnel() runs `ssh -N -L …` and returns a handle that can kill the ssh process (the
 * forwarded connections drop, as when a laptop loses its network) and start it again on the
 * same local port. Everything is ended by pid in stop(); nothing else on the machine is touched.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, realpathSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { waitFor } from "./wait";

export const SSHD_BIN = process.env.LONGTABLE_SSHD ?? "/usr/sbin/sshd";

export interface TestSshd {
  host: "127.0.0.1";
  port: number;
  /** The user ssh logs in as: the one running the tests. */
  user: string;
  /** The Host alias in the client config that reaches this server. */
  alias: string;
  dir: string;
  /** The client config file (ssh -F). */
  configFile: string;
  /** Options for any ssh invocation to this server (`ssh ...sshArgs() <alias> …`). */
  sshArgs(): string[];
  /** What sshd has logged so far (for failure messages). */
  log(): string;
  /**
   * Stop listening (the listener process is ended by pid): connections already open stay up, new
   * ones are refused — a host that dropped off the network, as far as a new ssh can tell.
   */
  pause(): Promise<void>;
  /** Listen again on the same port with the same keys and config. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

/** A port nothing listens on right now (sshd binds it a moment later; startSshd retries a clash). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Does 127.0.0.1:port accept a TCP connection? */
export function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(port, "127.0.0.1");
    c.once("connect", () => {
      c.destroy();
      resolve(true);
    });
    c.once("error", () => resolve(false));
  });
}

function keygen(path: string, comment: string) {
  const r = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ssh-keygen failed (${r.status}): ${r.stderr}; install openssh-client`);
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM", graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    process.kill(child.pid, signal);
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      if (child.pid) process.kill(child.pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }, graceMs);
  await exited;
  clearTimeout(timer);
}

export interface SshdOptions {
  /** More host names the client config maps to this server (Host patterns; a `user@` part is not one). */
  names?: string[];
  /** sshd's MaxSessions: sessions at once over one connection (default 64; sshd's own default is 10). */
  maxSessions?: number;
}

export async function startSshd(options: SshdOptions = {}): Promise<TestSshd> {
  if (!existsSync(SSHD_BIN)) throw new Error(`${SSHD_BIN} is missing: install openssh-server (apt-get install -y openssh-server)`);
  const user = userInfo().username;
  const uid = process.getuid?.() ?? -1;
  // Run as root, sshd wants its privilege-separation directory (the Debian service makes it at boot).
  if (uid === 0 && !existsSync("/run/sshd")) mkdirSync("/run/sshd", { mode: 0o755, recursive: true });

  const dir = realpathSync(mkdtempSync(join(tmpdir(), "ltp-sshd-")));
  const hostKey = join(dir, "ssh_host_ed25519_key");
  const clientKey = join(dir, "id_ed25519");
  keygen(hostKey, "ltp-test-host");
  keygen(clientKey, "ltp-test-client");
  writeFileSync(join(dir, "authorized_keys"), readFileSync(`${clientKey}.pub`), { mode: 0o600 });
  const alias = `ltp-test-sshd-${Math.random().toString(36).slice(2, 8)}`;
  // The host key is pinned under one alias name, whatever name the client dials.
  writeFileSync(join(dir, "known_hosts"), `${alias} ${readFileSync(`${hostKey}.pub`, "utf8").trim()}\n`);

  let lastError = "";
  for (let attempt = 0; attempt < 4; attempt++) {
    const port = await freePort();
    const sshdConfig = join(dir, "sshd_config");
    writeFileSync(
      sshdConfig,
      [
        `Port ${port}`,
        "ListenAddress 127.0.0.1",
        `HostKey ${hostKey}`,
        `PidFile ${join(dir, "sshd.pid")}`,
        `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
        "AuthenticationMethods publickey",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "StrictModes no",
        uid === 0 ? "PermitRootLogin prohibit-password" : "PermitRootLogin no",
        `AllowUsers ${user}`,
        "AllowTcpForwarding local",
        "AllowStreamLocalForwarding local",
        "AllowAgentForwarding no",
        "X11Forwarding no",
        "PrintMotd no",
        "PrintLastLog no",
        "MaxStartups 64",
        `MaxSessions ${options.maxSessions ?? 64}`,
        "LogLevel VERBOSE",
        "",
      ].join("\n"),
    );
    const configFile = join(dir, "ssh_config");
    writeFileSync(
      configFile,
      [
        `Host ${[alias, ...(options.names ?? [])].join(" ")}`,
        "  HostName 127.0.0.1",
        `  Port ${port}`,
        `  User ${user}`,
        `  IdentityFile ${clientKey}`,
        "  IdentitiesOnly yes",
        `  UserKnownHostsFile ${join(dir, "known_hosts")}`,
        "  GlobalKnownHostsFile /dev/null",
        `  HostKeyAlias ${alias}`,
        "  StrictHostKeyChecking yes",
        "  CheckHostIP no",
        "  UpdateHostKeys no",
        "  BatchMode yes",
        "  PasswordAuthentication no",
        "  KbdInteractiveAuthentication no",
        "  ExitOnForwardFailure yes",
        "  ServerAliveInterval 5",
        "  ServerAliveCountMax 3",
        "  ConnectTimeout 15",
        "  LogLevel ERROR",
        "",
      ].join("\n"),
    );

    let log = "";
    const listen = async (): Promise<ChildProcess | undefined> => {
      const c = spawn(SSHD_BIN, ["-D", "-e", "-f", sshdConfig], { stdio: ["ignore", "ignore", "pipe"] });
      let mine = "";
      c.stderr!.on("data", (d: Buffer) => {
        mine += d.toString();
        log += d.toString();
      });
      const up = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 20_000);
        const check = () => {
          if (/Server listening on 127\.0\.0\.1 port/.test(mine)) {
            clearTimeout(timer);
            resolve(true);
          }
        };
        c.stderr!.on("data", check);
        c.once("exit", () => {
          clearTimeout(timer);
          resolve(false);
        });
      });
      if (up) return c;
      await stopChild(c, "SIGKILL");
      return undefined;
    };
    let child = await listen();
    if (!child) {
      lastError = log;
      if (/Bind to port|Address already in use/.test(log)) continue; // the port was taken meanwhile
      break;
    }
    let stopped: Promise<void> | undefined;
    return {
      host: "127.0.0.1",
      port,
      user,
      alias,
      dir,
      configFile,
      sshArgs: () => ["-F", configFile],
      log: () => log,
      pause: async () => {
        if (child) await stopChild(child);
        child = undefined;
      },
      resume: async () => {
        if (child) return;
        child = await listen();
        if (!child) throw new Error(`the test sshd did not listen again on ${port}:\n${log.slice(-2000)}`);
      },
      stop: () =>
        (stopped ??= (async () => {
          if (child) await stopChild(child);
          rmSync(dir, { recursive: true, force: true });
        })()),
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`the test sshd did not start:\n${lastError}`);
}

/** Run ssh to the test server (with its -F config) and wait for it to exit. */
export function runSsh(sshd: TestSshd, args: string[], timeoutMs = 30_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("ssh", [...sshd.sshArgs(), ...args], { encoding: "utf8", timeout: timeoutMs, stdio: ["ignore", "pipe", "pipe"] });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface SshTunnel {
  localPort: number;
  /** The ssh argv after `ssh` (without the -F config). */
  argv: readonly string[];
  pid(): number | undefined;
  /** Kill the ssh process (SIGTERM): every forwarded connection drops. */
  kill(): Promise<void>;
  /** Start ssh again with the same arguments, on the same local port; resolves once it accepts. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** `-N -L 127.0.0.1:<localPort>:<target> <destination>`: target is host:port or a Unix socket path. */
export function forwardArgs(sshd: TestSshd, localPort: number, target: string, destination = sshd.alias): string[] {
  return ["-N", "-L", `127.0.0.1:${localPort}:${target}`, destination];
}

/**
 * Start `ssh ...sshArgs() ...argv` (a -N -L forward to `localPort`) and wait until the local port
 * accepts connections. ExitOnForwardFailure (in the config) makes ssh exit, and this fail, when
 * the forward cannot be set up.
 */
export async function openTunnel(sshd: TestSshd, argv: string[], localPort: number): Promise<SshTunnel> {
  let child: ChildProcess | undefined;
  let stderr = "";
  const start = async () => {
    stderr = "";
    // "Accepts" below must mean ssh is listening, not something else on that port.
    if (await portAccepts(localPort)) throw new Error(`127.0.0.1:${localPort} is already in use: pick a free port for the tunnel (freePort())`);
    const c = spawn("ssh", [...sshd.sshArgs(), ...argv], { stdio: ["ignore", "ignore", "pipe"] });
    child = c;
    c.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const failed = () => new Error(`ssh ${argv.join(" ")} exited (${c.exitCode ?? c.signalCode}): ${stderr}\nsshd log:\n${sshd.log().slice(-2000)}`);
    try {
      await waitFor(
        async () => {
          if (c.exitCode !== null || c.signalCode !== null) return "exited";
          return (await portAccepts(localPort)) ? "ready" : undefined;
        },
        `ssh ${argv.join(" ")} to accept on 127.0.0.1:${localPort}`,
        30_000,
        50,
      ).then((state) => {
        if (state === "exited") throw failed();
      });
    } catch (error) {
      await stopChild(c, "SIGKILL");
      throw error;
    }
  };
  await start();
  const kill = async () => {
    if (child) await stopChild(child);
  };
  return {
    localPort,
    argv,
    pid: () => child?.pid,
    kill,
    restart: async () => {
      await kill();
      await start();
    },
    stop: kill,
  };
}
