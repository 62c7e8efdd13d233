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
import { createInterface } from "node:readline";
import { appendFileNoFollowSync } from "../safe-fs.mjs";
import type { RemoteMachine } from "./remote";

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
const decode = (b64: unknown) => (typeof b64 === "string" ? Buffer.from(b64, "base64") : null);

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
    createInterface({ input: child.stdout! }).on("line", (line) => {
      this.queue = this.queue.then(() => this.handle(line)).catch((error) => {
        // (a result that could not be brought here is read again by the supervisor's next pane check)
        if (!this.closed) console.warn(`[longtable-panel] host ${this.machine.host.id}: tail: ${(error as Error).message}`);
      });
    });
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

  private async handle(line: string): Promise<void> {
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
      const data = decode(msg.b64);
      const have = localSize(entry.localEvents);
      if (!data || msg.offset > have || msg.offset + data.length <= have) return; // a gap (resynced on the next start) or bytes already here
      appendFileNoFollowSync(entry.localEvents, data.subarray(have - msg.offset));
      this.hooks.onActivity(entry.runId);
      return;
    }
    if (msg.kind === "result") {
      await this.hooks.onResult(entry, { exit: decode(msg.exit), commit: decode(msg.commit), result: decode(msg.result) });
    }
  }

  close(): void {
    this.closed = true;
    this.child?.kill("SIGTERM");
    this.child = undefined;
  }
}
