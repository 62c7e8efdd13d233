/**
 * Reading an agent's event stream incrementally (the file launch.sh appends the agent's stdout
 * to), in bounded chunks: a character split across chunks stays whole, an oversized line is
 * counted but not stored, a truncated file (a new attempt) starts over.
 */
import { open, stat } from "node:fs/promises";
import { StringDecoder } from "node:string_decoder";

export const MAX_LINE = 1024 * 1024;
export const MAX_READ = 4 * 1024 * 1024;

export interface TailState {
  offset: number;
  line: number;
  partial: string;
  /** Inside an oversized line: drop bytes until its newline. */
  skipping: boolean;
  decoder: StringDecoder;
}

export const newTail = (): TailState => ({ offset: 0, line: 0, partial: "", skipping: false, decoder: new StringDecoder("utf8") });

export interface Chunk {
  /** Complete lines, each with its 1-based line number in the file. */
  lines: { no: number; text: string }[];
  /** More bytes are waiting after this chunk. */
  more: boolean;
}

/** The next chunk of complete lines of `file` after `tail` (which it advances); undefined when nothing new. */
export async function readChunk(file: string, tail: TailState): Promise<Chunk | undefined> {
  let size: number;
  try {
    const st = await stat(file);
    if (!st.isFile()) return undefined;
    size = st.size;
  } catch {
    return undefined;
  }
  if (size < tail.offset) Object.assign(tail, newTail()); // truncated: a new attempt
  if (size === tail.offset) return undefined;
  const fh = await open(file, "r");
  let text: string;
  try {
    const len = Math.min(size - tail.offset, MAX_READ);
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, tail.offset);
    tail.offset += len;
    text = tail.partial + tail.decoder.write(buf);
  } finally {
    await fh.close();
  }
  const raw = text.split("\n");
  tail.partial = raw.pop() ?? "";
  if (tail.skipping && raw.length > 0) {
    raw[0] = ""; // the end of an oversized line
    tail.skipping = false;
  }
  if (tail.partial.length > MAX_LINE) {
    tail.partial = ""; // an oversized line is counted but not stored
    tail.skipping = true;
  }
  const lines = raw.map((t) => ({ no: ++tail.line, text: t }));
  return { lines, more: tail.offset < size };
}
