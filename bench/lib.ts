/**
 * Shared pieces of the benchmarks (`npm run bench`): the row shape every bench module returns,
 * temp dirs and cleanup, timing and percentiles, repo generation, the real server with a fake
 * codex, an SSE client for the tRPC subscriptions, and /proc sampling.
 *
 * A bench module exports `async function run(opts: BenchOptions): Promise<Row[]>`.
 * Benchmarks are never part of `npm test` and nothing here asserts on time.
 */
import { execFile, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, realpathSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

/** One printed figure. `ours` / `floor` are in `unit`; `ratio` = ours / floor. */
export interface Row {
  name: string;
  ours: number | null;
  floor: number | null;
  ratio: number | null;
  /** Human-readable target, e.g. "≤ 1.0×" or "p95 ≤ 250 ms". */
  target: string;
  unit: string;
  /** Whether the target is met (null: no target, information only). */
  ok: boolean | null;
  note?: string;
}

export interface BenchOptions {
  /** The smaller version (`npm run bench -- --quick`), under two minutes in all. */
  quick: boolean;
}

export type BenchModule = { run(opts: BenchOptions): Promise<Row[]> };

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

// ---------------------------------------------------------------------------------- logging

export function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

// ------------------------------------------------------------------------- cleanup registry

const cleanups: Array<{ label: string; fn: () => Promise<void> | void }> = [];

/** Register a cleanup; runs (last first) in runCleanups(), also on SIGINT/SIGTERM. */
export function onCleanup(label: string, fn: () => Promise<void> | void): () => Promise<void> {
  const entry = { label, fn };
  cleanups.push(entry);
  let done = false;
  return async () => {
    if (done) return;
    done = true;
    const i = cleanups.indexOf(entry);
    if (i >= 0) cleanups.splice(i, 1);
    await fn();
  };
}

export async function runCleanups(): Promise<void> {
  while (cleanups.length) {
    const c = cleanups.pop()!;
    try {
      await c.fn();
    } catch (error) {
      log(`cleanup ${c.label} failed: ${(error as Error).message}`);
    }
  }
}

/** A temp dir (realpath) removed at cleanup time, or earlier through the returned function. */
export function benchTempDir(prefix: string): { dir: string; remove: () => Promise<void> } {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), `ltp-bench-${prefix}-`)));
  const remove = onCleanup(`rm ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  return { dir, remove };
}

/** A throw-away tmux socket name; its server is killed at cleanup. */
export function benchTmuxSocket(tag: string): { socket: string; kill: () => Promise<void> } {
  const socket = `ltp-bench-${tag}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const kill = onCleanup(`tmux ${socket}`, () => killTmuxServer(socket));
  return { socket, kill };
}

export function killTmuxServer(socket: string): Promise<void> {
  return new Promise((res) => execFile("tmux", ["-L", socket, "kill-server"], () => res()));
}

// ------------------------------------------------------------------------------- processes

export function sh(cwd: string, cmd: string, args: readonly string[], input?: string): string {
  return execFileSync(cmd, args as string[], { cwd, encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"], maxBuffer: 256 * 1024 * 1024 });
}

export function shAsync(cwd: string, cmd: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(cmd, args as string[], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("close", (code) => res({ code: code ?? 1, stdout, stderr }));
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Poll `fn` until it returns a value (not undefined), at most `timeoutMs`. */
export async function waitUntil<T>(fn: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

// ---------------------------------------------------------------------------------- timing

export const now = () => performance.now();

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = now();
  const value = await fn();
  return { ms: now() - t0, value };
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

export const median = (values: readonly number[]) => percentile(values, 50);

/** A row comparing two figures against a maximum ratio. */
export function ratioRow(name: string, ours: number, floor: number, maxRatio: number, unit = "ms", note?: string): Row {
  const ratio = floor > 0 ? ours / floor : null;
  return { name, ours, floor, ratio, target: `≤ ${maxRatio.toFixed(1)}×`, unit, ok: ratio === null ? null : ratio <= maxRatio, note };
}

// ---------------------------------------------------------------------------- generated repo

/** Deterministic pseudo-random generator (xorshift32), so generated repos are reproducible. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

const ALPHABET = "abcdefghijklmnopqrstuvwxyz      ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,;:(){}=+-*/";

/** Text of `bytes` bytes in lines of ~72 characters (compresses like source text, not like zeros). */
export function pseudoText(bytes: number, seed: number): Buffer {
  const next = rng(seed);
  const buf = Buffer.allocUnsafe(bytes);
  for (let i = 0; i < bytes; i++) {
    buf[i] = i % 73 === 72 ? 10 : ALPHABET.charCodeAt(next() % ALPHABET.length);
  }
  if (bytes > 0) buf[bytes - 1] = 10;
  return buf;
}

/**
 * A git repo of `files` files totalling about `bytes` bytes (100 files per folder), one commit
 * on `main`. Returns its path.
 */
export function generateRepo(dir: string, opts: { files: number; bytes: number; seed?: number }): string {
  mkdirSync(dir, { recursive: true });
  sh(dir, "git", ["init", "-q", "-b", "main"]);
  sh(dir, "git", ["config", "user.name", "Bench"]);
  sh(dir, "git", ["config", "user.email", "bench@example.invalid"]);
  sh(dir, "git", ["config", "commit.gpgsign", "false"]);
  const per = Math.max(1, Math.floor(opts.bytes / opts.files));
  // One block of text, sliced at different offsets per file: fast, and every blob is distinct.
  const block = pseudoText(Math.min(per * 64, 64 * 1024 * 1024), opts.seed ?? 7);
  const nextOffset = rng((opts.seed ?? 7) + 1);
  for (let i = 0; i < opts.files; i++) {
    const folder = join(dir, "src", `d${String(Math.floor(i / 100)).padStart(3, "0")}`);
    if (i % 100 === 0) mkdirSync(folder, { recursive: true });
    const start = block.length > per ? nextOffset() % (block.length - per) : 0;
    const fd = openSync(join(folder, `f${String(i).padStart(5, "0")}.txt`), "w");
    writeSync(fd, `file ${i}\n`);
    writeSync(fd, block, start, Math.min(per, block.length - start));
    closeSync(fd);
  }
  sh(dir, "git", ["add", "-A"]);
  sh(dir, "git", ["commit", "-qm", "generated"]);
  return dir;
}

// ------------------------------------------------------------------------------ /proc

export const CLK_TCK = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds used so far by this process and its reaped children (utime+stime+cutime+cstime). */
export function selfCpuSeconds(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / CLK_TCK;
}

/** Resident set size of `pid` in bytes (VmRSS). */
export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

/** utime + stime of `pid` in clock ticks. */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  return Number(fields[11]) + Number(fields[12]);
}

// --------------------------------------------------------------------------- real server

export interface BenchServer {
  pid: number;
  baseURL: string;
  token: string;
  repo: string;
  dataDir: string;
  tmuxSocket: string;
  /** Call a procedure over HTTP with the bearer token. */
  call<T = unknown>(proc: string, input: unknown, kind?: "query" | "mutation"): Promise<T>;
  stop(): Promise<void>;
}

/**
 * The real server (bin/longtable-panel.mjs, the process that runs Next in-process) on a free
 * port, a temp data dir, a throw-away tmux socket and `codexBin`.
 */
export async function startBenchServer(opts: { codexBin: string; repo?: string; dataDir?: string; tag: string; sandboxWritable?: string[]; env?: Record<string, string> }): Promise<BenchServer> {
  const { startServer, stopServer, makeE2eRepo } = await import("../e2e/support/server.ts");
  const { socket, kill } = benchTmuxSocket(opts.tag);
  const repo = opts.repo ?? makeE2eRepo();
  const removeRepo = opts.repo ? undefined : onCleanup(`rm ${repo}`, () => rmSync(repo, { recursive: true, force: true }));
  const dataDir = opts.dataDir ?? benchTempDir(`${opts.tag}-data`).dir;
  const s = await startServer({ repo, dataDir, tmuxSocket: socket, env: {
    LONGTABLE_CODEX_BIN: opts.codexBin,
    // The agent stand-in lives under /tmp, which the panel's sandbox replaces by a private one.
    LONGTABLE_SANDBOX_WRITABLE: (opts.sandboxWritable ?? [dirname(opts.codexBin)]).join(":"),
    ...opts.env,
  } });
  const pid = s.child.pid!;
  const stop = onCleanup(`server ${pid}`, async () => {
    await stopServer(pid);
    await kill();
    await removeRepo?.();
  });
  const { trpc } = await import("../test/support/http.ts");
  return {
    pid, baseURL: s.baseURL, token: s.token, repo, dataDir, tmuxSocket: socket,
    call: <T>(proc: string, input: unknown, kind: "query" | "mutation" = "query") => trpc<T>(s.baseURL, s.token, proc, input, kind),
    stop,
  };
}

/** Make sure a build of the current sources exists before anything is timed. */
export async function ensureAppBuilt(): Promise<void> {
  const { ensureBuild } = (await import("../scripts/build.mjs")) as { ensureBuild: (root: string) => boolean };
  if (!ensureBuild(PROJECT_ROOT)) throw new Error("next build failed");
}

// ------------------------------------------------------------------------------- SSE client

export interface SseMessage {
  id?: string;
  event?: string;
  data: string;
  /** performance.now() when the message was parsed. */
  at: number;
}

export interface SseClient {
  /** Resolves when the response headers arrived (the `connected` event may follow). */
  opened: Promise<void>;
  /** Resolves when the stream ends or is closed. */
  done: Promise<void>;
  close(): void;
  received: number;
  bytes: number;
}

/**
 * A tRPC subscription over SSE (GET /api/trpc/<proc>?input=… with Accept: text/event-stream),
 * read with Node's fetch: every message goes to `onMessage` as soon as its block is complete.
 */
export function openSse(server: Pick<BenchServer, "baseURL" | "token">, proc: string, input: unknown, onMessage: (m: SseMessage) => void): SseClient {
  const ac = new AbortController();
  const url = `${server.baseURL}/api/trpc/${proc}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`;
  let resolveOpened!: () => void;
  let rejectOpened!: (e: Error) => void;
  const opened = new Promise<void>((res, rej) => {
    resolveOpened = res;
    rejectOpened = rej;
  });
  const client: SseClient = {
    opened,
    done: Promise.resolve(),
    close: () => ac.abort(),
    received: 0,
    bytes: 0,
  };
  client.done = (async () => {
    try {
      const res = await fetch(url, { headers: { authorization: `Bearer ${server.token}`, accept: "text/event-stream" }, signal: ac.signal });
      if (!res.ok || !res.body) throw new Error(`${proc}: HTTP ${res.status} ${await res.text()}`);
      resolveOpened();
      const decoder = new TextDecoder();
      let buffer = "";
      const reader = res.body.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        client.bytes += value.byteLength;
        buffer += decoder.decode(value, { stream: true });
        let sep: number;
        while ((sep = buffer.search(/\r?\n\r?\n/)) >= 0) {
          const block = buffer.slice(0, sep);
          buffer = buffer.slice(sep + (buffer[sep] === "\r" ? 4 : 2));
          const msg: SseMessage = { data: "", at: now() };
          const data: string[] = [];
          for (const line of block.split(/\r?\n/)) {
            if (!line || line.startsWith(":")) continue;
            const i = line.indexOf(":");
            const field = i < 0 ? line : line.slice(0, i);
            const val = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
            if (field === "data") data.push(val);
            else if (field === "id") msg.id = val;
            else if (field === "event") msg.event = val;
          }
          msg.data = data.join("\n");
          client.received++;
          onMessage(msg);
        }
      }
    } catch (error) {
      if (!ac.signal.aborted) {
        rejectOpened(error as Error);
        throw error;
      }
    }
  })();
  client.done.catch(() => undefined);
  return client;
}

// ---------------------------------------------------------------------------- formatting

export function fmt(value: number | null, unit: string): string {
  if (value === null || !Number.isFinite(value)) return "—";
  if (unit === "ms") return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : value >= 10 ? `${value.toFixed(0)} ms` : `${value.toFixed(2)} ms`;
  if (unit === "MB") return `${value.toFixed(0)} MB`;
  if (unit === "%") return `${value.toFixed(2)} %`;
  return `${Number.isInteger(value) ? value : value.toFixed(2)} ${unit}`.trim();
}

export function fmtRatio(r: number | null): string {
  return r === null || !Number.isFinite(r) ? "—" : `${r.toFixed(2)}×`;
}
