/**
 * Run a repository's command outside a tmux window (the config's teardown, ARCHITECTURE.md §10):
 * argv only, its own process group (a timeout kills everything it started), stdin empty, output
 * kept to the last `maxOutput` bytes.
 */
import { spawn } from "node:child_process";
import { closeSync, constants, fstatSync, readSync } from "node:fs";
import { openRegular } from "./safe-fs.mjs";

export interface CapturedRun {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** The output's last bytes (stdout and stderr interleaved). */
  output: string;
  ms: number;
}

export function runCaptured(argv: readonly string[], options: { cwd: string; env: Record<string, string>; timeoutMs: number; maxOutput?: number }): Promise<CapturedRun> {
  const max = options.maxOutput ?? 64 * 1024;
  const started = Date.now();
  return new Promise((resolve) => {
    let out = Buffer.alloc(0);
    const keep = (chunk: Buffer) => {
      out = Buffer.concat([out, chunk]);
      if (out.length > max) out = out.subarray(out.length - max);
    };
    const child = spawn(argv[0]!, argv.slice(1), { cwd: options.cwd, env: options.env as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        /* already gone */
      }
    }, options.timeoutMs);
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", (error) => {
      clearTimeout(timer);
      resolve({ exitCode: 127, signal: null, timedOut: false, output: error.message, ms: Date.now() - started });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ exitCode: code, signal, timedOut, output: out.toString("utf8"), ms: Date.now() - started });
    });
  });
}

/** The last `lines` lines of `text` (at most `chars` characters), control characters shown as `?`. */
export function lastLines(text: string, lines = 20, chars = 2000): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/\r\n?/g, "\n").replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, "?");
  const tail = clean.trimEnd().split("\n").slice(-lines).join("\n");
  return tail.length > chars ? `…${tail.slice(tail.length - chars)}` : tail;
}

/** The last `maxBytes` of the regular file `path` (never through a symlink); "" when absent or unreadable. */
export function readFileTail(path: string, maxBytes = 16 * 1024): string {
  let fd: number | undefined;
  try {
    fd = openRegular(path, constants.O_RDONLY);
    const size = fstatSync(fd).size;
    const want = Math.min(size, maxBytes);
    const buf = Buffer.alloc(want);
    const n = readSync(fd, buf, 0, want, size - want);
    return buf.subarray(0, n).toString("utf8");
  } catch {
    return "";
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
