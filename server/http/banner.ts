/**
 * What the panel prints: the start URL, the `ssh -L` line that tunnels to it, and the
 * `--print-tunnel` command. Pure functions of where the server listens, so the banner, the CLI
 * and the tests agree on every host and port. The token appears in exactly one line: Open.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, userInfo } from "node:os";
import { join } from "node:path";

/** Where the server listens: a TCP address, or a Unix socket reached through a tunnel's local port. */
export type Endpoint =
  | { kind: "tcp"; host: string; port: number }
  | { kind: "socket"; path: string; /** the local port the printed tunnel and URL use */ tunnelPort: number };

const isWildcard = (host: string) => host === "0.0.0.0" || host === "::" || host === "[::]";
const bracket = (host: string) => (host.includes(":") && !host.startsWith("[") ? `[${host}]` : host);

/** Hosts for which the URL can use `<instance>.localhost` (browsers resolve it to 127.0.0.1). */
const usesInstanceHost = (host: string) => host === "127.0.0.1" || host === "localhost";

/** The panel's address in a browser, without the token: `http://<name>.localhost:<port>/`. */
export function panelUrl(endpoint: Endpoint, instanceName: string): string {
  if (endpoint.kind === "socket") return `http://${instanceName}.localhost:${endpoint.tunnelPort}/`;
  const host = usesInstanceHost(endpoint.host) ? `${instanceName}.localhost` : bracket(endpoint.host);
  return `http://${host}:${endpoint.port}/`;
}

export function loginUrl(endpoint: Endpoint, instanceName: string, token: string): string {
  return `${panelUrl(endpoint, instanceName)}?token=${encodeURIComponent(token)}`;
}

/** The ssh destination printed when the user did not name one: this user at this machine. */
export function defaultSshHost(): string {
  return `${userInfo().username}@${hostname()}`;
}

/** An ssh destination as the user types it ([user@]host, ssh://…), with nothing a shell would read. */
export function checkSshHost(sshHost: string): string | undefined {
  if (!sshHost) return "the ssh host is empty: name the host you reach this machine by, e.g. --print-tunnel me@workstation";
  if (sshHost.startsWith("-")) return `the ssh host ${JSON.stringify(sshHost)} starts with "-": name a host, e.g. --print-tunnel me@workstation`;
  if (!/^[A-Za-z0-9_.@%+:\[\]\/-]+$/.test(sshHost)) {
    return `the ssh host ${JSON.stringify(sshHost)} has characters ssh does not take in a host name: use the alias or user@host you type after \`ssh\``;
  }
  return undefined;
}

/** A Unix socket path ssh -L can forward to: absolute, no ':' (ssh splits on it), no spaces, short enough. */
export function checkSocketPath(path: string): string | undefined {
  if (!path.startsWith("/")) return `--socket needs an absolute path, got ${JSON.stringify(path)}`;
  if (/[:\s'"\\$`]/.test(path)) return `--socket ${JSON.stringify(path)}: the path must not contain ':', spaces, quotes or \\ (ssh -L could not forward to it)`;
  if (Buffer.byteLength(path) > 100) return `--socket ${JSON.stringify(path)} is ${Buffer.byteLength(path)} bytes long; Unix socket paths must stay under 100 (e.g. ~/.longtable-panel/panel.sock)`;
  return undefined;
}

/** `ssh -N -L <local>:<target> <ssh-host>`: the tunnel from the user's machine to the panel. */
export function tunnelCommand(endpoint: Endpoint, sshHost: string): string {
  if (endpoint.kind === "socket") return `ssh -N -L ${endpoint.tunnelPort}:${endpoint.path} ${sshHost}`;
  const target = endpoint.host === "::" || endpoint.host === "[::]" ? "[::1]" : isWildcard(endpoint.host) ? "127.0.0.1" : bracket(endpoint.host);
  return `ssh -N -L ${endpoint.port}:${target}:${endpoint.port} ${sshHost}`;
}

export interface BannerInput {
  endpoint: Endpoint;
  instanceName: string;
  token: string;
  tmuxSocket: string;
  dataDir: string;
  sshHost?: string;
}

export function startBanner(b: BannerInput): string[] {
  const open = loginUrl(b.endpoint, b.instanceName, b.token);
  const tunnel = tunnelCommand(b.endpoint, b.sshHost ?? defaultSshHost());
  const lines = [`LongTable Panel is running.`];
  if (b.endpoint.kind === "socket") {
    lines.push(`  Socket: ${b.endpoint.path} (mode 0600: only your user can connect)`);
    lines.push(`  Open:   ${open}`);
    lines.push(`          through the tunnel below: a browser cannot open a Unix socket (on this machine too: ssh to localhost)`);
  } else {
    lines.push(`  Open:   ${open}`);
    if (panelUrl(b.endpoint, b.instanceName).includes(".localhost:")) {
      lines.push(`          (a browser that cannot open ${b.instanceName}.localhost: put 127.0.0.1 in its place)`);
    }
  }
  lines.push(`  Remote: ${tunnel}   then open the same URL on your machine`);
  lines.push(`          (\`longtable-panel --print-tunnel <ssh-host>\` prints it for the name you reach this machine by)`);
  lines.push(`  tmux:   tmux -L ${b.tmuxSocket} ls`);
  lines.push(`  data:   ${b.dataDir}`);
  return lines;
}

/**
 * <data-dir>/server.json: where the running server listens (no token), for --print-tunnel,
 * which runs in another process and must print the port `--port 0` picked.
 */
export interface ServerInfo {
  pid: number;
  instanceName: string;
  endpoint: Endpoint;
  url: string;
}

export const SERVER_INFO_FILE = "server.json";

export function writeServerInfo(dataDir: string, info: ServerInfo): void {
  writeFileSync(join(dataDir, SERVER_INFO_FILE), `${JSON.stringify(info, null, 1)}\n`, { mode: 0o600 });
}

export function removeServerInfo(dataDir: string, pid = process.pid): void {
  const info = readServerInfo(dataDir, { alive: false });
  if (info?.pid === pid) rmSync(join(dataDir, SERVER_INFO_FILE), { force: true });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The running server's info, if the file is there, well-formed, and (by default) its process alive. */
export function readServerInfo(dataDir: string, opts: { alive?: boolean } = {}): ServerInfo | undefined {
  const file = join(dataDir, SERVER_INFO_FILE);
  if (!existsSync(file)) return undefined;
  let info: ServerInfo;
  try {
    info = JSON.parse(readFileSync(file, "utf8")) as ServerInfo;
  } catch {
    return undefined;
  }
  const e = info?.endpoint;
  const ok =
    Number.isInteger(info?.pid) &&
    typeof info.instanceName === "string" &&
    typeof info.url === "string" &&
    ((e?.kind === "tcp" && typeof e.host === "string" && Number.isInteger(e.port)) ||
      (e?.kind === "socket" && typeof e.path === "string" && Number.isInteger(e.tunnelPort)));
  if (!ok) return undefined;
  if (opts.alive !== false && !pidAlive(info.pid)) return undefined;
  return info;
}
