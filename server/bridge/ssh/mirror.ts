/**
 * The local side of a host's live tail (ARCHITECTURE.md §3 "Transports"): one `host-ops.mjs tail`
 * session per host over its shared connection streams the agent events and finished results of
 * the host's running workers; this mirrors the event bytes into each worker's LOCAL runtime
 * folder (where the supervisor ingests them, as for a local worker) and hands a finished result
 * to the transport, which fetches the commits first and writes the result files last.
 *
 * A dropped connection ends the tail; when the host is back the transport starts it again with
 * the offsets the local mirror has reached, so nothing is lost or doubled.
 */
import type { ChildProcess } from "node:child_process";
import { lstatSync, truncateSync } from "node:fs";
import type { Readable } from "node:stream";
import { appendFileNoFollowSync } from "../safe-fs.mjs";
import { MAX_RESULT_BYTES } from "../worker-files";
import type { RemoteMachine } from "./remote";

/** The tail's chunk of event bytes per line (host-tail.mjs CHUNK): a larger one is dropped. */
export const MAX_EVENTS_CHUNK = 1024 * 1024;
/**
 * The longest line taken from a host's tail: a result line carries three files of at most
 * MAX_RESULT_BYTES in base64 (4/3 the size). A longer line is never buffered: it is skipped up to
 * its newline and reported.
 */
export const MAX_TAIL_LINE = 4 * MAX_RESULT_BYTES + 64 * 1024;

/**
 * Newline-separated lines of `input`, each at most `maxBytes` (without the newline): a longer
 * one is dropped as it streams (only its length is counted) and `onOverflow` gets its length.
 */
export function cappedLines(input: Readable, maxBytes: number, onLine: (line: string) => void, onOverflow: (bytes: number) => void): void {
  let parts: Buffer[] = [];
  let held = 0;
  let overflow = 0; // > 0: inside a line over the cap, this many bytes so far
  input.on("data", (chunk: Buffer) => {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      const piece = chunk.subarray(start, nl === -1 ? chunk.length : nl);
      if (overflow > 0 || held + piece.length > maxBytes) {
        overflow += held + piece.length;
        parts = [];
        held = 0;
      } else if (piece.length > 0) {
        parts.push(piece);
        held += piece.length;
      }
      if (nl === -1) return;
      if (overflow > 0) onOverflow(overflow);
      else onLine(Buffer.concat(parts, held).toString("utf8"));
      parts = [];
      held = 0;
      overflow = 0;
      start = nl + 1;
    }
  });
}

export interface WatchEntry {
  key: string;
  runId: string;
  workerId: string;
  /** The panel's repository (the leader checkout) of the run. */
  repo: string;
  attempt: number;
  /** The worker's runtime folder on the host. */
  remoteDir: string;
  /** The local mirror of its agent event stream. */
  localEvents: string;
}

export interface RemoteResultFiles {
  exit: Buffer | null;
  commit: Buffer | null;
  result: Buffer | null;
}

export interface MirrorHooks {
  /** A finished turn (its files as read on the host). */
  onResult(entry: WatchEntry, files: RemoteResultFiles): Promise<void>;
  /** New activity was mirrored for a run. */
  onActivity(runId: string): void;
}

const localSize = (path: string) => {
  try {
    const st = lstatSync(path);
    return st.isFile() ? st.size : 0;
  } catch {
    return 0;
  }
};
/** A file's bytes from a tail line, or null when absent or over `max` (judged before decoding). */
function decode(b64: unknown, max: number): Buffer | null {
  if (typeof b64 !== "string" || b64.length > Math.ceil(max / 3) * 4) return null;
  const data = Buffer.from(b64, "base64");
  return data.length <= max ? data : null;
}

export class TailMirror {
  readonly entries = new Map<string, WatchEntry>();
  private child?: ChildProcess;
  private starting?: Promise<void>;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly machine: RemoteMachine, private readonly hooks: MirrorHooks) {}

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Follow (or stop following) workers: the tail is told the whole set; it keeps its offsets for the ones it had. */
  set(entry: WatchEntry): void {
    const had = this.entries.get(entry.key);
    if (had && had.attempt === entry.attempt) return;
    this.entries.set(entry.key, entry);
    this.sync();
  }

  drop(predicate: (e: WatchEntry) => boolean): void {
    let changed = false;
    for (const [k, e] of this.entries) if (predicate(e)) changed = this.entries.delete(k) || changed;
    if (changed) this.sync();
  }

  /** Send the watch set to the tail, starting it when there is something to follow. */
  sync(): void {
    if (this.closed) return;
    if (this.running) {
      this.send();
      return;
    }
    if (this.entries.size === 0 || this.starting) return;
    this.starting = this.start()
      .catch(() => undefined) // unreachable: started again when the host is back (restart())
      .finally(() => (this.starting = undefined));
  }

  private send(): void {
    const watch = [...this.entries.values()].map((e) => ({ key: e.key, attempt: e.attempt, dir: e.remoteDir, offset: localSize(e.localEvents) }));
    this.child?.stdin?.write(`${JSON.stringify({ watch })}\n`);
  }

  private async start(): Promise<void> {
    const info = await this.machine.facts();
    const child = await this.machine.conn.open([info.nodeBin, `${info.scriptsDir}/server/bridge/host-ops.mjs`, "tail"]);
    this.child = child;
    child.stdin!.on("error", () => undefined);
    child.stderr!.resume();
    const warn = (message: string) => !this.closed && console.warn(`[longtable-panel] host ${this.machine.host.id}: tail: ${message}`);
    cappedLines(child.stdout!, MAX_TAIL_LINE, (line) => {
      this.queue = this.queue.then(() => this.handle(line, warn)).catch((error) => {
        // (a result that could not be brought here is read again by the supervisor's next pane check)
        warn((error as Error).message);
      });
    }, (bytes) => warn(`a line of ${bytes} bytes (over ${MAX_TAIL_LINE}) was dropped`));
    child.once("exit", () => {
      if (this.child === child) this.child = undefined;
    });
    this.send();
  }

  /** Start the tail again (the host is back). */
  restart(): void {
    if (this.child) this.child.kill("SIGTERM");
    this.child = undefined;
    this.sync();
  }

  private async handle(line: string, warn: (message: string) => void): Promise<void> {
    let msg: { kind?: string; key?: string; attempt?: number; offset?: number; b64?: string; exit?: string; commit?: string; result?: string };
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    const entry = typeof msg.key === "string" ? this.entries.get(msg.key) : undefined;
    if (!entry || entry.attempt !== msg.attempt) return; // an earlier attempt, or no longer followed
    if (msg.kind === "reset") {
      if (localSize(entry.localEvents) > 0) truncateSync(entry.localEvents, 0);
      return;
    }
    if (msg.kind === "events" && typeof msg.offset === "number") {
      const data = decode(msg.b64, MAX_EVENTS_CHUNK);
      if (!data) {
        if (typeof msg.b64 === "string") warn(`event bytes over ${MAX_EVENTS_CHUNK} in one line for ${entry.key} were dropped`);
        return;
      }
      const have = localSize(entry.localEvents);
      if (msg.offset > have || msg.offset + data.length <= have) return; // a gap (resynced on the next start) or bytes already here
      appendFileNoFollowSync(entry.localEvents, data.subarray(have - msg.offset));
      this.hooks.onActivity(entry.runId);
      return;
    }
    if (msg.kind === "result") {
      const result = decode(msg.result, MAX_RESULT_BYTES);
      // (one over the cap counts as missing, as a local one does: bridge/worker-files.ts)
      if (!result && typeof msg.result === "string") warn(`a result.json over ${MAX_RESULT_BYTES} bytes for ${entry.key} was dropped`);
      await this.hooks.onResult(entry, { exit: decode(msg.exit, 4096), commit: decode(msg.commit, 4096), result });
    }
  }

  close(): void {
    this.closed = true;
    this.child?.kill("SIGTERM");
    this.child = undefined;
  }
}
