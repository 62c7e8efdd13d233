/**
 * `longtable-panel --print-tunnel <ssh-host>`: print the exact ssh command that tunnels from the
 * user's machine to the panel (stdout, one line, so `$(longtable-panel --print-tunnel ws)`
 * works), and on stderr the URL to open once it runs. The port is the running server's (read
 * from <data-dir>/server.json, so a port picked by --port 0 is right), or the flags'. The token
 * is never printed here: it appears only in the start URL the server prints.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { checkSocketPath, checkSshHost, panelUrl, readServerInfo, tunnelCommand, type Endpoint } from "./banner";
import { INSTANCE_FILE, isInstanceName } from "./instance";

export interface PrintTunnelOptions {
  dataDir: string;
  port?: number;
  socket?: string;
  defaultPort: number;
  out?: (line: string) => void;
  err?: (line: string) => void;
}

export function printTunnel(sshHost: string, o: PrintTunnelOptions): number {
  const out = o.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const err = o.err ?? ((l: string) => process.stderr.write(`${l}\n`));
  const hostProblem = checkSshHost(sshHost);
  if (hostProblem) {
    err(`longtable-panel: ${hostProblem}`);
    return 2;
  }
  const running = readServerInfo(o.dataDir);
  let endpoint: Endpoint;
  let instanceName: string | undefined;
  if (o.socket !== undefined) {
    const problem = checkSocketPath(o.socket);
    if (problem) {
      err(`longtable-panel: ${problem}`);
      return 2;
    }
    endpoint = { kind: "socket", path: o.socket, tunnelPort: o.port || o.defaultPort };
  } else if (o.port !== undefined) {
    endpoint = { kind: "tcp", host: "127.0.0.1", port: o.port };
  } else if (running) {
    endpoint = running.endpoint;
    instanceName = running.instanceName;
  } else {
    endpoint = { kind: "tcp", host: "127.0.0.1", port: o.defaultPort };
  }
  if (endpoint.kind === "tcp" && endpoint.port === 0) {
    err("longtable-panel: --port 0 picks the port when the panel starts: start it first, then run --print-tunnel without --port");
    return 2;
  }
  if (!instanceName) {
    const file = join(o.dataDir, INSTANCE_FILE);
    const name = existsSync(file) ? readFileSync(file, "utf8").trim() : "";
    instanceName = isInstanceName(name) ? name : undefined;
  }
  out(tunnelCommand(endpoint, sshHost));
  if (!running) err(`(no panel is running with the data dir ${o.dataDir}: this is for ${endpoint.kind === "socket" ? `the socket ${endpoint.path}` : `port ${endpoint.port}`})`);
  if (instanceName) err(`then open ${panelUrl(endpoint, instanceName)} on your machine (sign in once with the start URL the panel printed)`);
  else err("then open the start URL the panel printed, on your machine");
  return 0;
}
