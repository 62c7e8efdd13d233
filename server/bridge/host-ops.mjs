/**
 * The panel's steps on an SSH host (ARCHITECTURE.md §3 "Transports"), run there with node over
 * the host's shared connection: `node host-ops.mjs <op>`, a JSON request on stdin, a JSON answer
 * on stdout. Not a daemon: each step is one short process, except `tail`, which lives as long as
 * the connection. Copied into the host's panel folder with the other worker scripts (versioned
 * by their hash; ssh/bundle.ts). Plain Node ESM, no dependencies.
 *
 * Git runs as the panel's own does (bridge/git.ts): argv only, hooks and fsmonitor off, no
 * submodule recursion, a clean environment, and in a worktree through its real git dir found
 * from the repository's side (never the worktree's `.git` file, which the agent can rewrite).
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, closeSync, constants, existsSync, fstatSync, mkdirSync, readdirSync, readFileSync, readSync, renameSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { applyFileOps } from "./file-ops.mjs";
import { openRegular } from "./safe-fs.mjs";
import { tailLoop } from "./host-tail.mjs";

const HARDENING = ["-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false", "-c", "submodule.recurse=false"];
const INHERITED = ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_PREFIX", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "GIT_EXTERNAL_DIFF", "GIT_DIFF_OPTS"];

/** @param {string} cwd @param {string[]} args @param {{gitDir?: string, workTree?: string}} [wt] */
function git(cwd, args, wt) {
  const env = { ...process.env, GIT_TERMINAL_PROMPT: "0", GIT_PAGER: "cat" };
  for (const n of INHERITED) delete env[n];
  if (wt?.gitDir) Object.assign(env, { GIT_DIR: wt.gitDir, GIT_WORK_TREE: wt.workTree });
  const r = spawnSync("git", [...HARDENING, ...args], { cwd, env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  return { code: r.status ?? 1, stdout: r.stdout ?? "", stderr: r.stderr ?? String(r.error ?? "") };
}

/** @param {string} cwd @param {string[]} args @param {{gitDir?: string, workTree?: string}} [wt] */
function gitOk(cwd, args, wt) {
  const r = git(cwd, args, wt);
  if (r.code !== 0) throw new Error(`git ${args.find((a) => !a.startsWith("-")) ?? ""} failed: ${(r.stderr || r.stdout).trim().split("\n").slice(-2).join(" ")}`);
  return r.stdout;
}

/** @param {unknown} p @param {string} what @returns {string} */
function abs(p, what) {
  if (typeof p !== "string" || !p.startsWith("/") || p.includes("\0")) throw new Error(`${what} must be an absolute path`);
  return p;
}

/** @param {string} clone */
const commonDir = (clone) => resolve(clone, gitOk(clone, ["rev-parse", "--git-common-dir"]).trim());

/** The worktree's real git dir, found from the repository's side. @param {string} clone @param {string} worktreePath */
function worktreeGitDir(clone, worktreePath) {
  const admin = join(commonDir(clone), "worktrees");
  const want = resolve(worktreePath, ".git");
  let names = [];
  try {
    names = readdirSync(admin);
  } catch {
    return undefined;
  }
  for (const name of names) {
    try {
      const pointer = readFileSync(join(admin, name, "gitdir"), "utf8").trim();
      if (resolve(admin, name, pointer) === want || resolve(pointer) === want) return existsSync(worktreePath) ? join(admin, name) : undefined;
    } catch {
      // not a complete admin entry
    }
  }
  return undefined;
}

/** @param {string} clone */
function ensureExcludes(clone) {
  const file = join(commonDir(clone), "info", "exclude");
  mkdirSync(dirname(file), { recursive: true });
  const current = existsSync(file) ? readFileSync(file, "utf8") : "";
  const have = new Set(current.split("\n").map((l) => l.trim()));
  const missing = [".longtable/", ".longtable-worker/"].filter((l) => !have.has(l));
  if (missing.length) appendFileSync(file, `${current && !current.endsWith("\n") ? "\n" : ""}# LongTable Panel runtime files\n${missing.join("\n")}\n`);
}

/** @param {string} clone */
function listWorktrees(clone) {
  /** @type {{path: string, prunable?: boolean}[]} */
  const out = [];
  for (const line of gitOk(clone, ["worktree", "list", "--porcelain"]).split("\n")) {
    if (line.startsWith("worktree ")) out.push({ path: line.slice(9) });
    else if (line.startsWith("prunable") && out.length) out[out.length - 1].prunable = true;
  }
  return out;
}

/**
 * The worker's worktree from `base` (already fetched into the clone), idempotent: a crashed
 * provisioning runs again; a folder nobody registered is moved aside, never deleted.
 * @param {{clone: string, worktreePath: string, branch: string, base: string, knownBase?: string}} req
 */
function provision(req) {
  const clone = abs(req.clone, "clone");
  const worktreePath = abs(req.worktreePath, "worktreePath");
  if (!/^longtable\/panel\/[A-Za-z0-9_]+\/[A-Za-z0-9_-]+$/.test(req.branch)) throw new Error("not a panel worker branch");
  if (!/^[0-9a-f]{40,64}$/.test(req.base)) throw new Error("the base is not a commit id");
  const diagnostics = [];
  ensureExcludes(clone);
  mkdirSync(dirname(worktreePath), { recursive: true });
  const registered = listWorktrees(clone).find((w) => w.path === worktreePath);
  if (registered?.prunable || (!registered && existsSync(worktreePath))) {
    git(clone, ["worktree", "prune"]);
    if (existsSync(worktreePath)) {
      const aside = `${worktreePath}.orphan-${Date.now()}`;
      renameSync(worktreePath, aside);
      diagnostics.push(`An unregistered folder at the worktree path on the host was moved to ${aside}.`);
    }
  }
  const reusedBranch = git(clone, ["rev-parse", "--verify", "--quiet", `refs/heads/${req.branch}^{commit}`]).code === 0;
  if (!registered || registered.prunable) {
    gitOk(clone, reusedBranch ? ["worktree", "add", "--no-checkout", worktreePath, req.branch] : ["worktree", "add", "--no-checkout", "-b", req.branch, worktreePath, req.base]);
  }
  const gitDir = worktreeGitDir(clone, worktreePath);
  if (!gitDir) throw new Error(`git did not register the worktree ${worktreePath}`);
  const wt = { gitDir, workTree: worktreePath };
  if (!existsSync(join(gitDir, "index"))) {
    rmSync(join(gitDir, "index.lock"), { force: true }); // left by a checkout killed midway
    gitOk(worktreePath, ["reset", "--hard", "--quiet", "HEAD"], wt);
  }
  const head = gitOk(worktreePath, ["rev-parse", "HEAD"], wt).trim();
  return { baseCommit: req.knownBase ?? req.base, headCommit: head, snapshot: req.knownBase ? "kept" : "none", reusedBranch, diagnostics, gitDir };
}

/** @param {string} output */
function statusPaths(output) {
  const tokens = output.split("\0");
  const out = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.length < 4) continue;
    out.push(t.slice(3));
    if (t[0] === "R" || t[0] === "C") out.push(tokens[++i] ?? "");
  }
  return out.filter(Boolean);
}

/** @param {{clone: string, worktreePath: string}} req */
function leftovers(req) {
  const gitDir = worktreeGitDir(abs(req.clone, "clone"), abs(req.worktreePath, "worktreePath"));
  if (!gitDir) return null;
  const wt = { gitDir, workTree: req.worktreePath };
  const status = git(req.worktreePath, ["--no-optional-locks", "status", "--porcelain=v1", "-z", "--untracked-files=all", "--ignore-submodules=all"], wt);
  const ignored = git(req.worktreePath, ["ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory"], wt);
  return { uncommitted: status.code === 0 ? statusPaths(status.stdout) : [], ignored: ignored.code === 0 ? ignored.stdout.split("\0").filter(Boolean) : [] };
}

/** @param {{clone: string, worktreePath: string, force?: boolean}} req */
function remove(req) {
  const clone = abs(req.clone, "clone");
  const worktreePath = abs(req.worktreePath, "worktreePath");
  if (!/\/\.longtable\/panel-runs\/[^/]+\/worktrees\/[^/]+$/.test(worktreePath)) throw new Error("not a worker worktree of a run folder");
  if (!existsSync(worktreePath)) {
    git(clone, ["worktree", "prune"]);
    return { removed: true };
  }
  const left = leftovers({ clone, worktreePath });
  if (!left) return { removed: false, reason: `${worktreePath} is not a registered worktree of the clone on the host; remove it by hand` };
  if (!req.force && left.uncommitted.length) return { removed: false, reason: `the worktree has ${left.uncommitted.length} uncommitted change(s); commit or discard them first` };
  if (!req.force && left.ignored.length) return { removed: false, reason: `the worktree has ${left.ignored.length} ignored file(s) or folder(s) (${left.ignored.slice(0, 3).join(", ")}) that removing it would delete; discard it to remove them` };
  const r = git(clone, ["worktree", "remove", "--force", "--force", worktreePath]);
  return r.code === 0 ? { removed: true } : { removed: false, reason: r.stderr.trim().split("\n")[0] || "git worktree remove failed" };
}

/** @param {any} req */
function files(req) {
  const ops = (req.ops ?? []).map((/** @type {any} */ op) => ("b64" in op ? { ...op, data: Buffer.from(op.b64, "base64") } : op));
  applyFileOps(ops);
  return { ok: true };
}

/** At most this much of one file per read (a stream read from an offset comes in chunks of it). */
const READ_MAX = 64 * 1024 * 1024;

/**
 * `max` bytes of the regular file at `path` from `offset` (no symlink followed), and its size;
 * undefined when missing. Memory stays bounded by `max` however large the file grew.
 * @param {string} path @param {number} offset @param {number} max
 */
function readChunk(path, offset, max) {
  let fd;
  try {
    fd = openRegular(path, constants.O_RDONLY);
  } catch (error) {
    if (error && typeof error === "object" && "code" in error && error.code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const size = fstatSync(fd).size;
    const want = Math.max(0, Math.min(size - offset, max));
    const buffer = Buffer.alloc(want);
    let n = 0;
    while (n < want) {
      const r = readSync(fd, buffer, n, want - n, offset + n);
      if (r === 0) break;
      n += r;
    }
    return { data: buffer.subarray(0, n), size };
  } finally {
    closeSync(fd);
  }
}

/**
 * Files read as data (no symlinks followed, size-capped): whole (null when larger than `max`), or
 * — with `offset` — the next at most `max` bytes from there (an event stream the panel has up to
 * `offset` already; the caller reads on from `offset` + what came while it is short of `size`).
 * @param {{files: {path: string, max?: number, offset?: number}[]}} req
 */
function read(req) {
  return {
    files: req.files.map((f) => {
      try {
        const offset = Number.isInteger(f.offset) && /** @type {number} */ (f.offset) > 0 ? /** @type {number} */ (f.offset) : 0;
        const max = Math.min(Number.isInteger(f.max) && /** @type {number} */ (f.max) > 0 ? /** @type {number} */ (f.max) : 8 * 1024 * 1024, READ_MAX);
        const r = readChunk(abs(f.path, "path"), offset, max);
        if (!r) return { path: f.path, b64: null, size: null };
        const whole = f.offset === undefined;
        return { path: f.path, b64: whole && r.size > max ? null : r.data.toString("base64"), size: r.size };
      } catch {
        return { path: f.path, b64: null, size: null };
      }
    }),
  };
}

const OPS = {
  files,
  read,
  provision,
  leftovers,
  remove,
  /** @param {{path: string}} req */
  exists: (req) => ({ exists: existsSync(abs(req.path, "path")) }),
  /** @param {{clone: string, worktreePath: string}} req */
  gitdirs: (req) => ({ gitDir: worktreeGitDir(abs(req.clone, "clone"), abs(req.worktreePath, "worktreePath")) ?? null, common: commonDir(req.clone) }),
  /** Disk space where the clone is, in kB (the doctor). @param {{path: string}} req */
  df: (req) => {
    const r = spawnSync("df", ["-Pk", "--", abs(req.path, "path")], { encoding: "utf8" });
    const cols = (r.stdout ?? "").trim().split("\n").pop()?.split(/\s+/) ?? [];
    return { availableKb: Number(cols[3]) || null };
  },
};

async function main() {
  const op = process.argv[2] ?? "";
  if (op === "tail") return tailLoop(process.stdin, process.stdout);
  const fn = /** @type {Record<string, (req: any) => unknown>} */ (OPS)[op];
  if (!fn) {
    process.stdout.write(JSON.stringify({ error: `unknown operation ${JSON.stringify(op)}` }));
    process.exitCode = 2;
    return;
  }
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  try {
    const req = chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : {};
    process.stdout.write(JSON.stringify({ ok: fn(req) }));
  } catch (error) {
    process.stdout.write(JSON.stringify({ error: /** @type {Error} */ (error).message }));
    process.exitCode = 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
