/**
 * The panel's worker scripts on an SSH host (ARCHITECTURE.md §3 "Transports"): the finish step,
 * the pane view, the agents' result and pane helpers, and host-ops.mjs (the panel's steps there).
 * They are copied over the shared connection into `<panel folder>/scripts/<hash>/`, where the
 * hash covers every file's path and content: a new panel version gets a new folder, workers of an
 * older one keep theirs, and a folder is used only once it is complete (written beside, renamed
 * into place). Nothing else of the panel's is installed there; node is the host's own.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SYSTEM_HIDDEN_DIRS, SYSTEM_SOCKETS } from "../sandbox";

const BRIDGE = ["worker-finish.mjs", "finish-result.mjs", "safe-fs.mjs", "pane-view.mjs", "host-ops.mjs", "host-tail.mjs", "file-ops.mjs"];

export interface ScriptBundle {
  hash: string;
  /** Path relative to the bundle folder → content. */
  files: Map<string, Buffer>;
}

let cached: { root: string; bundle: ScriptBundle } | undefined;

/** The scripts of this checkout of the panel (read once per process). */
export function scriptBundle(projectRoot: string): ScriptBundle {
  if (cached?.root === projectRoot) return cached.bundle;
  const files = new Map<string, Buffer>();
  for (const f of BRIDGE) files.set(`server/bridge/${f}`, readFileSync(join(projectRoot, "server", "bridge", f)));
  const agents = join(projectRoot, "server", "agents");
  for (const e of readdirSync(agents, { withFileTypes: true })) {
    if (e.isFile() && e.name.endsWith(".mjs")) files.set(`server/agents/${e.name}`, readFileSync(join(agents, e.name)));
    if (!e.isDirectory()) continue;
    for (const f of readdirSync(join(agents, e.name))) {
      if (f.endsWith(".mjs")) files.set(`server/agents/${e.name}/${f}`, readFileSync(join(agents, e.name, f)));
    }
  }
  const h = createHash("sha256");
  for (const [path, data] of [...files].sort(([a], [b]) => a.localeCompare(b))) h.update(path).update("\0").update(data).update("\0");
  const bundle = { hash: h.digest("hex").slice(0, 16), files };
  cached = { root: projectRoot, bundle };
  return bundle;
}

/**
 * Run on the host as `node -e BOOTSTRAP <folder>` with the bundle as JSON on stdin: writes it
 * into the folder unless it is already complete. A constant program; the folder is an argument.
 */
export const BOOTSTRAP = `
const fs = require("node:fs"), path = require("node:path");
const dir = process.argv[1];
if (!dir || !path.isAbsolute(dir)) { console.error("the bundle folder must be absolute"); process.exit(2); }
if (fs.existsSync(path.join(dir, ".complete"))) process.exit(0);
const chunks = [];
process.stdin.on("data", (c) => chunks.push(c)).on("end", () => {
  const files = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const tmp = dir + ".tmp-" + process.pid;
  for (const [rel, b64] of Object.entries(files)) {
    if (rel.split("/").includes("..") || path.isAbsolute(rel)) { console.error("bad bundle path " + rel); process.exit(2); }
    fs.mkdirSync(path.dirname(path.join(tmp, rel)), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(tmp, rel), Buffer.from(b64, "base64"), { mode: 0o600 });
  }
  fs.writeFileSync(path.join(tmp, ".complete"), "");
  try { fs.renameSync(tmp, dir); } catch (e) { fs.rmSync(tmp, { recursive: true, force: true }); if (!fs.existsSync(path.join(dir, ".complete"))) throw e; }
});
`;

/**
 * Run on the host as `node -e INFO <NAME>…`: what a turn there needs to know about the machine,
 * the values there of the environment names given (the agents' own: their config home, keys), and
 * which of the places the sandbox hides on every machine (/run/user, the docker socket) exist there.
 */
export const INFO = `const vars = {}; for (const n of process.argv.slice(1)) if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(n) && process.env[n] !== undefined) vars[n] = process.env[n];
const fs = require("node:fs"), real = (p) => { try { return fs.realpathSync(p); } catch { return p; } };
const present = (list) => [...new Set(list.filter((p) => fs.existsSync(p)).map(real))];
process.stdout.write(JSON.stringify({ home: process.env.HOME || "", path: process.env.PATH || "", lang: process.env.LANG, lcAll: process.env.LC_ALL, term: process.env.TERM, node: process.version, execPath: process.execPath, vars,
  systemHide: present(${JSON.stringify(SYSTEM_HIDDEN_DIRS)}), systemMask: present(${JSON.stringify(SYSTEM_SOCKETS)}) }))`;

/** The bundle as the JSON BOOTSTRAP reads. */
export function bundlePayload(bundle: ScriptBundle): string {
  return JSON.stringify(Object.fromEntries([...bundle.files].map(([p, d]) => [p, d.toString("base64")])));
}
