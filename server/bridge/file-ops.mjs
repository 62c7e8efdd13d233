/**
 * The file steps of a worker turn, as data (ARCHITECTURE.md §3 "Transports"): a list of
 * operations applied in order, the same way on this machine (the local transport imports this
 * module) and on an SSH host (host-ops.mjs, copied there, applies the list it reads on stdin).
 * Plain Node ESM without dependencies besides safe-fs.mjs.
 *
 * Every write goes through safe-fs (a temp file renamed into place: a symlink at the target is
 * replaced, never followed); `realDir` makes a folder inside an agent-writable base real again
 * (a symlink or a file the agent put on the way is removed first).
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { isAbsolute, join, relative, sep } from "node:path";
import { writeFileAtomicSync } from "./safe-fs.mjs";

/**
 * @typedef {{op: "mkdir", path: string, mode?: number}
 *   | {op: "realDir", base: string, path: string}
 *   | {op: "write", path: string, data: string | Uint8Array, mode?: number}
 *   | {op: "writeIfMissing", path: string, data: string | Uint8Array, mode?: number}
 *   | {op: "copy", from: string, to: string, mode?: number}
 *   | {op: "rm", path: string}
 *   | {op: "rename", from: string, to: string}} FileOp
 */

/** @param {unknown} p @param {string} what @returns {string} */
function absolute(p, what) {
  if (typeof p !== "string" || !isAbsolute(p) || p.includes("\0")) throw new Error(`${what} must be an absolute path, got ${JSON.stringify(p)}`);
  return p;
}

/**
 * `dir` (inside `base`) as a real directory: anything on the way that is not one — a symlink to a
 * folder elsewhere, a file — is removed first, so what is written there next lands inside `base`.
 * @param {string} base @param {string} dir
 */
export function realDirIn(base, dir) {
  const rel = relative(base, dir);
  if (rel.startsWith("..") || isAbsolute(rel)) throw new Error(`${dir} is not inside ${base}`);
  let cur = base;
  for (const part of rel.split(sep).filter(Boolean)) {
    cur = join(cur, part);
    let st;
    try {
      st = lstatSync(cur);
    } catch {
      st = undefined;
    }
    if (st && !st.isDirectory()) rmSync(cur, { recursive: true, force: true });
    if (!st || !st.isDirectory()) mkdirSync(cur, { mode: 0o700 });
  }
}

/** @param {FileOp} op */
function applyOne(op) {
  switch (op.op) {
    case "mkdir":
      mkdirSync(absolute(op.path, "mkdir path"), { recursive: true, mode: op.mode });
      return;
    case "realDir":
      realDirIn(absolute(op.base, "realDir base"), absolute(op.path, "realDir path"));
      return;
    case "write":
      writeFileAtomicSync(absolute(op.path, "write path"), op.data, { mode: op.mode });
      return;
    case "writeIfMissing":
      if (!existsSync(absolute(op.path, "write path"))) writeFileAtomicSync(op.path, op.data, { mode: op.mode });
      return;
    case "copy": {
      // The source is the user's own file (an agent login). Gone from there, the copy goes too
      // (whatever the agent left in its place with it).
      if (!existsSync(absolute(op.from, "copy source"))) {
        rmSync(absolute(op.to, "copy target"), { recursive: true, force: true });
        return;
      }
      writeFileAtomicSync(absolute(op.to, "copy target"), readFileSync(op.from), { mode: op.mode ?? 0o600 });
      return;
    }
    case "rm":
      rmSync(absolute(op.path, "rm path"), { force: true });
      return;
    case "rename":
      if (existsSync(absolute(op.from, "rename source"))) renameSync(op.from, absolute(op.to, "rename target"));
      return;
    default:
      throw new Error(`unknown file operation ${JSON.stringify(/** @type {{op?: unknown}} */ (op).op)}`);
  }
}

/** Apply `ops` in order; the first failure stops and throws (naming the operation). @param {readonly FileOp[]} ops */
export function applyFileOps(ops) {
  for (const op of ops) {
    try {
      applyOne(op);
    } catch (error) {
      const e = /** @type {Error} */ (error);
      throw new Error(`${op.op} ${"path" in op ? op.path : "to" in op ? op.to : ""}: ${e.message}`);
    }
  }
}
