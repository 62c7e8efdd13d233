/**
 * File access that never follows a symbolic link and only touches regular files
 * (ARCHITECTURE.md §6 "Containment"). Plain Node ESM without dependencies: the server imports it,
 * and so does worker-finish.mjs, which runs outside the agent's sandbox.
 *
 * Any file the panel writes, appends to or reads as a record is opened with O_NOFOLLOW and checked
 * with fstat: a symlink planted in its place (by an agent, or in a cloned repository) makes the call
 * fail with an error that names the path, instead of writing through it to a file elsewhere.
 * Whole-file writes go to a fresh temp file (O_EXCL) and are renamed into place: rename replaces a
 * symlink at the target instead of following it.
 */
import { randomBytes } from "node:crypto";
import { closeSync, constants, fstatSync, fsyncSync, openSync, readSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_APPEND, O_NOFOLLOW, O_NONBLOCK } = constants;

export class UnsafeFileError extends Error {
  /** @param {string} path @param {string} why */
  constructor(path, why) {
    super(`${path} ${why}: refusing to use it (the panel never follows symbolic links and only writes regular files)`);
    this.name = "UnsafeFileError";
    this.path = path;
  }
}

/** @param {unknown} error @param {string} path */
function explain(error, path) {
  const code = error && typeof error === "object" && "code" in error ? error.code : undefined;
  if (code === "ELOOP") return new UnsafeFileError(path, "is a symbolic link");
  return error;
}

/**
 * Opens `path` without following a symlink, without blocking, and checks it is a regular file.
 * @param {string} path @param {number} flags @param {number} [mode]
 * @returns {number} the file descriptor
 */
export function openRegular(path, flags, mode = 0o644) {
  let fd;
  try {
    // O_NONBLOCK: a FIFO the agent put there opens at once (and is refused below) instead of
    // blocking the finish step forever; on a regular file it changes nothing.
    fd = openSync(path, flags | O_NOFOLLOW | O_NONBLOCK, mode);
  } catch (error) {
    throw explain(error, path);
  }
  try {
    if (!fstatSync(fd).isFile()) throw new UnsafeFileError(path, "is not a regular file");
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return fd;
}

/** @param {number} fd @param {Uint8Array} data */
function writeAll(fd, data) {
  let offset = 0;
  while (offset < data.length) offset += writeSync(fd, data, offset, data.length - offset);
}

/** @param {string | Uint8Array} data @returns {Uint8Array} */
const bytes = (data) => (typeof data === "string" ? Buffer.from(data, "utf8") : data);

/**
 * Writes `data` to `path` atomically: a new temp file beside it (O_EXCL, never an existing one),
 * then rename over the target. The target may be absent, a regular file, or a symlink (which
 * is replaced, not followed).
 * @param {string} path @param {string | Uint8Array} data @param {{mode?: number, fsync?: boolean}} [options]
 */
export function writeFileAtomicSync(path, data, options = {}) {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  let fd;
  try {
    fd = openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, options.mode ?? 0o644);
    writeAll(fd, bytes(data));
    if (options.fsync) fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
    if (options.fsync) {
      // The rename itself is durable only once the folder is synced.
      const dir = openSync(dirname(path), O_RDONLY);
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
    }
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw explain(error, path);
  }
}

/**
 * Appends `data` to the regular file `path` (created when missing), never through a symlink.
 * @param {string} path @param {string | Uint8Array} data @param {{mode?: number}} [options]
 */
export function appendFileNoFollowSync(path, data, options = {}) {
  const fd = openRegular(path, O_WRONLY | O_CREAT | O_APPEND, options.mode ?? 0o644);
  try {
    writeAll(fd, bytes(data));
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads at most `maxBytes` of the regular file `path`, never through a symlink.
 * Returns undefined when the file does not exist.
 * @param {string} path @param {number} maxBytes
 * @returns {{data: Buffer, size: number, truncated: boolean} | undefined}
 */
export function readFileNoFollowSync(path, maxBytes) {
  let fd;
  try {
    fd = openRegular(path, O_RDONLY);
  } catch (error) {
    if (error && typeof error === "object" && "code" in error && error.code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const size = fstatSync(fd).size;
    const want = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(want);
    let offset = 0;
    while (offset < want) {
      const n = readSync(fd, buffer, offset, want - offset, offset);
      if (n === 0) break;
      offset += n;
    }
    return { data: buffer.subarray(0, offset), size, truncated: size > maxBytes };
  } finally {
    closeSync(fd);
  }
}
