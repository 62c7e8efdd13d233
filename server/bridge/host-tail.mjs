/**
 * The live tail on an SSH host (`node host-ops.mjs tail`, ARCHITECTURE.md §3 "Transports"): one
 * process per host connection follows the runtime folders of that host's running workers and
 * streams, as JSON lines on stdout, what the panel mirrors into the workers' local runtime
 * folders — new bytes of each agent event stream, and, once the finish step wrote result.json,
 * the exit, commit and result files (after the last event bytes). The panel tells it which
 * workers to follow with one JSON line on stdin, `{"watch": [{key, attempt, dir, offset}]}`, sent
 * again whenever the set changes; the tail ends with its stdin (the connection).
 *
 * It reads only the worker's runtime folder (hidden from the sandboxed agent), without following
 * symlinks, in bounded chunks.
 */
import { closeSync, fstatSync, lstatSync, readSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { openRegular, readFileNoFollowSync } from "./safe-fs.mjs";

const CHUNK = 1024 * 1024;
const MAX_RESULT = 8 * 1024 * 1024;
const TICK_MS = 200;

/** @typedef {{key: string, attempt: number, dir: string, offset: number, reported: boolean}} Watched */

/** @param {string} path @returns {number} the size of the regular file, -1 when missing or not one */
function sizeOf(path) {
  try {
    const st = lstatSync(path);
    return st.isFile() ? st.size : -1;
  } catch {
    return -1;
  }
}

/** @param {string} path @param {number} offset @returns {Buffer} */
function readAt(path, offset) {
  const fd = openRegular(path, 0);
  try {
    const len = Math.max(0, Math.min(fstatSync(fd).size - offset, CHUNK));
    const buf = Buffer.alloc(len);
    let n = 0;
    while (n < len) {
      const r = readSync(fd, buf, n, len - n, offset + n);
      if (r === 0) break;
      n += r;
    }
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** @param {string} path */
function readSmall(path) {
  try {
    const r = readFileNoFollowSync(path, MAX_RESULT);
    return r && !r.truncated ? r.data.toString("base64") : null;
  } catch {
    return null;
  }
}

/**
 * @param {NodeJS.ReadableStream} input
 * @param {NodeJS.WritableStream} output
 */
export async function tailLoop(input, output) {
  /** @type {Map<string, Watched>} */
  let watched = new Map();
  let ended = false;
  const send = (/** @type {unknown} */ msg) => new Promise((resolve) => output.write(`${JSON.stringify(msg)}\n`, () => resolve(undefined)));
  output.on("error", () => process.exit(0));
  createInterface({ input }).on("line", (line) => {
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    if (!Array.isArray(msg?.watch)) return;
    /** @type {Map<string, Watched>} */
    const next = new Map();
    for (const w of msg.watch) {
      if (typeof w?.key !== "string" || typeof w.dir !== "string" || !w.dir.startsWith("/") || !Number.isInteger(w.attempt)) continue;
      const had = watched.get(w.key);
      next.set(w.key, had && had.attempt === w.attempt ? had : { key: w.key, attempt: w.attempt, dir: w.dir, offset: Number.isInteger(w.offset) && w.offset >= 0 ? w.offset : 0, reported: false });
    }
    watched = next;
  }).on("close", () => {
    ended = true;
  });
  await send({ kind: "hello", pid: process.pid });
  while (!ended) {
    for (const w of [...watched.values()]) {
      const events = join(w.dir, "agent-events.jsonl");
      let size = sizeOf(events);
      if (size >= 0 && size < w.offset) {
        w.offset = 0; // a new file (a new attempt)
        await send({ kind: "reset", key: w.key, attempt: w.attempt });
      }
      for (let i = 0; i < 8 && size > w.offset; i++) {
        const data = readAt(events, w.offset);
        if (data.length === 0) break;
        await send({ kind: "events", key: w.key, attempt: w.attempt, offset: w.offset, b64: data.toString("base64") });
        w.offset += data.length;
        size = sizeOf(events);
      }
      if (w.reported || size > w.offset || sizeOf(join(w.dir, "result.json")) < 0) continue;
      // The finish step writes result.json last: everything else of the turn is final now.
      w.reported = true;
      await send({
        kind: "result", key: w.key, attempt: w.attempt,
        exit: readSmall(join(w.dir, "result.exit.json")), commit: readSmall(join(w.dir, "result.json.commit")), result: readSmall(join(w.dir, "result.json")),
      });
    }
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
}
