#!/usr/bin/env node
// The `longtable-panel` command: parse flags, build once when no (current) build exists, then
// start the server in this process (no child left behind) and stop cleanly on SIGINT/SIGTERM.
import { spawnSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ensureBuild } from "../scripts/build.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const usage = `usage: longtable-panel [--repo PATH] [--port N] [--host ADDR] [--data-dir DIR] [--dev] [--rebuild]

  --repo      the git repository to open (default: the current directory, when it is a git work tree)
  --port      port to listen on (default 4400, or $PORT; 0 picks a free one)
  --host      address to bind (default 127.0.0.1)
  --data-dir  where the database and token live (default ~/.longtable-panel, or $LONGTABLE_PANEL_DATA_DIR)
  --dev       run Next.js in development mode
  --rebuild   build the app even when a current build exists

environment: LONGTABLE_PANEL_TOKEN, LONGTABLE_PANEL_VIEWER_TOKEN, LONGTABLE_TMUX_SOCKET, LONGTABLE_CODEX_BIN`;

let args;
try {
  args = parseArgs({
    options: {
      repo: { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
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
if (args.port !== undefined && !/^\d{1,5}$/.test(args.port)) {
  console.error(`--port must be a number, got ${JSON.stringify(args.port)}`);
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
env.NEXT_TELEMETRY_DISABLED = "1";

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
