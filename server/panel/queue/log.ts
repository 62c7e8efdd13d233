/**
 * Reading a queue item's check log (`<run>/queue/<worker>.build-<n>.log`, written by the panel,
 * never by an agent): its last lines for the item's record, and chunks by byte offset for the API
 * and its live stream. Never through a symbolic link.
 */
import { closeSync, constants, fstatSync, readSync } from "node:fs";
import { openRegular } from "../../bridge/safe-fs.mjs";

/** The last `lines` lines of the log (at most `chars` characters), control characters shown as `?`. */
export function logTail(path: string, lines = 30, chars = 4000): string {
  const text = readChunk(path, -1, 16 * 1024).text;
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/\r\n?/g, "\n").replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, "?");
  const tail = clean.trimEnd().split("\n").slice(-lines).join("\n");
  return tail.length > chars ? `…${tail.slice(tail.length - chars)}` : tail;
}

export interface LogChunk {
  /** Where this chunk starts, and where the next one does. */
  offset: number;
  nextOffset: number;
  text: string;
  /** The file's size now. */
  size: number;
}

/** Up to `max` bytes from `offset` (-1: the last `max` bytes). Missing file: empty. */
export function readChunk(path: string, offset: number, max = 64 * 1024): LogChunk {
  let fd: number | undefined;
  try {
    fd = openRegular(path, constants.O_RDONLY);
    const size = fstatSync(fd).size;
    const from = offset < 0 ? Math.max(0, size - max) : Math.min(offset, size);
    const want = Math.min(max, size - from);
    const buf = Buffer.alloc(want);
    const n = want > 0 ? readSync(fd, buf, 0, want, from) : 0;
    // Never cut a UTF-8 character in two: when more follows, stop before the last (maybe partial) one.
    let end = n;
    if (from + n < size) {
      while (end > 0 && (buf[end - 1]! & 0xc0) === 0x80) end--;
      if (end > 0 && buf[end - 1]! >= 0xc0) end--;
    }
    return { offset: from, nextOffset: from + end, text: buf.subarray(0, end).toString("utf8"), size };
  } catch {
    return { offset: Math.max(0, offset), nextOffset: Math.max(0, offset), text: "", size: 0 };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
