#!/usr/bin/env node
// The `longtable-panel` command: parse flags, build once when no (current) build exists, then
// start the server in this process (no child left behind) and stop cleanly on SIGINT/SIGTERM.
import { spawnSync } from "node:child_process";
import { homedir } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ensureBuild } from "../scripts/build.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const usage = `usage: longtable-panel [--repo PATH] [--port N] [--host ADDR | --socket PATH] [--data-dir DIR] [--dev] [--rebuild]
       longtable-panel --print-tunnel SSH-HOST [--data-dir DIR] [--port N | --socket PATH]

  --repo          the git repository to open (default: the current directory, when it is a git work tree)
  --port          port to listen on (default 4400, or $PORT; 0 picks a free one);
                  with --socket, the local port of the printed tunnel and URL
  --host          address to bind (default 127.0.0.1)
  --socket        listen on this Unix socket (mode 0600) instead of TCP: on machines shared with
                  other users, where anyone on the machine can connect to 127.0.0.1
  --data-dir      where the database, token and sessions live (default ~/.longtable-panel, or $LONGTABLE_PANEL_DATA_DIR)
  --print-tunnel  print the ssh command that tunnels to the panel running with this data dir, for
                  SSH-HOST (the name you type after \`ssh\` to reach this machine), and exit
  --dev           run Next.js in development mode
  --rebuild       build the app even when a current build exists

environment: LONGTABLE_PANEL_TOKEN and LONGTABLE_PANEL_VIEWER_TOKEN (at least 32 characters each),
LONGTABLE_PANEL_SOCKET, LONGTABLE_TMUX_SOCKET, LONGTABLE_CODEX_BIN`;

let args;
try {
  args = parseArgs({
    options: {
      repo: { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
      socket: { type: "string" },
      "print-tunnel": { type: "string" },
      "data-dir": { type: "string" },
      dev: { type: "boolean", default: false },
      rebuild: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  }).values;
} catch (error) {
  console.error(`${error.message}\n\n${usage}`);
  process.exit(2);
}
if (args.help) {
  console.log(usage);
  process.exit(0);
}
if (args.port !== undefined && !(/^\d{1,5}$/.test(args.port) && Number(args.port) <= 65535)) {
  console.error(`--port must be a number from 0 to 65535, got ${JSON.stringify(args.port)}`);
  process.exit(2);
}
if (args.socket !== undefined && args.host !== undefined) {
  console.error("--socket and --host exclude each other: a Unix socket has no address (drop one of them)");
  process.exit(2);
}
if (args.socket !== undefined && args.port === "0") {
  console.error("--port 0 means nothing with --socket: give the local port the tunnel should use (e.g. --port 4400), or leave --port out");
  process.exit(2);
}

const env = process.env;
env.LONGTABLE_PANEL_ROOT = root;
if (args.port !== undefined) env.PORT = args.port;
env.PORT ??= "4400";
if (args.host) env.LONGTABLE_PANEL_HOST = args.host;
if (args["data-dir"]) env.LONGTABLE_PANEL_DATA_DIR = resolve(args["data-dir"]);
const repoArg = args.repo ? resolve(args.repo) : undefined;
if (repoArg) env.LONGTABLE_PANEL_REPO = repoArg;
else if (!env.LONGTABLE_PANEL_REPO) {
  // `npm start` runs in the package folder; INIT_CWD is where the user typed it.
  const cwd = env.INIT_CWD ?? process.cwd();
  const r = spawnSync("git", ["rev-parse", "--show-toplevel"], { cwd, encoding: "utf8" });
  if (r.status === 0 && r.stdout.trim()) env.LONGTABLE_PANEL_REPO = r.stdout.trim();
}
if (args.socket !== undefined) env.LONGTABLE_PANEL_SOCKET = resolve(args.socket);
env.NEXT_TELEMETRY_DISABLED = "1";

if (args["print-tunnel"] !== undefined) {
  const { register } = await import("tsx/esm/api");
  register();
  const { printTunnel } = await import("../server/http/print-tunnel.ts");
  const code = printTunnel(args["print-tunnel"], {
    dataDir: resolve(env.LONGTABLE_PANEL_DATA_DIR ?? resolve(homedir(), ".longtable-panel")),
    // Flags given on this command line win; otherwise the running server's own endpoint.
    port: args.port !== undefined ? Number(args.port) : undefined,
    socket: args.socket !== undefined ? env.LONGTABLE_PANEL_SOCKET : undefined,
    defaultPort: Number(env.PORT),
  });
  process.exit(code);
}

if (!args.dev && !ensureBuild(root, { force: args.rebuild, env })) {
  console.error("The build failed; see the output above.");
  process.exit(1);
}

const { register } = await import("tsx/esm/api");
register();
const { startServer } = await import("../server/main.ts");
let server;
try {
  server = await startServer({ dev: args.dev });
} catch (error) {
  console.error(`longtable-panel: ${error.message}`);
  process.exit(1);
}
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: shutting down (workers keep running in tmux)…`);
    try {
      await server.close();
    } finally {
      process.exit(0);
    }
  });
}
