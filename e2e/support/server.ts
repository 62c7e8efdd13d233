import { randomBytes } from "node:crypto";
import { spawn, type ChildProcess } from "node:child_process";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export interface RunningServer {
  child: ChildProcess;
  /** http://127.0.0.1:<port> (TCP servers); with a socket, empty: reach it through a tunnel. */
  baseURL: string;
  /** The TCP port; with a socket, the tunnel port the banner prints. */
  port: number;
  /** The Open line's URL as printed, up to ?token= (http://<instance>.localhost:<port>/). */
  printedURL: string;
  /** The start banner as printed (stdout and stderr until the Open line, and the lines after it). */
  banner(): string;
  token: string;
  viewerToken: string;
  dataDir: string;
  repo: string;
  tmuxSocket: string;
}

/** A temp repo with one commit; `prefix` names its folder (the new-run form picks the first repo by name). */
export function makeE2eRepo(prefix = "ltp-e2e-repo-"): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, stdio: "pipe" });
  git("init", "-q", "-b", "main");
  git("config", "user.name", "E2E");
  git("config", "user.email", "e2e@example.invalid");
  mkdirSync(join(dir, "src"));
  writeFileSync(join(dir, "README.md"), "# e2e repo\n");
  writeFileSync(join(dir, "src", "app.txt"), "alpha\nbeta\ngamma\n");
  git("add", "-A");
  git("commit", "-qm", "initial");
  return dir;
}

export interface StartOptions {
  env?: Record<string, string>;
  /** Reuse these to restart "the same" server. */
  repo?: string;
  dataDir?: string;
  token?: string;
  viewerToken?: string;
  tmuxSocket?: string;
  /** Listen on this Unix socket instead of TCP (--socket); `tunnelPort` becomes --port. */
  socket?: string;
  tunnelPort?: number;
  /** Its own process group (the server and the git it runs), to be killed as one: process.kill(-pid). */
  detached?: boolean;
}

/** A token of the length the server asks for (at least 32 characters). */
export const makeToken = (kind: string) => `e2e-${kind}-${randomBytes(16).toString("hex")}`;

/** Start the real server (bin/longtable-panel.mjs) on a free port with a temp data dir. */
export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const extraEnv = options.env ?? {};
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
  const dataDir = options.dataDir ?? realpathSync(mkdtempSync(join(tmpdir(), "ltp-e2e-data-")));
  const repo = options.repo ?? makeE2eRepo();
  const token = options.token ?? makeToken("operator");
  const viewerToken = options.viewerToken ?? makeToken("viewer");
  const tmuxSocket = options.tmuxSocket ?? `ltp-e2e-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const listen = options.socket ? ["--socket", options.socket, "--port", String(options.tunnelPort ?? 4400)] : ["--port", "0"];
  const child = spawn(process.execPath, [join(root, "bin", "longtable-panel.mjs"), ...listen, "--data-dir", dataDir, "--repo", repo], {
    cwd: repo,
    env: {
      ...process.env,
      LONGTABLE_PANEL_TOKEN: token,
      LONGTABLE_PANEL_VIEWER_TOKEN: viewerToken,
      LONGTABLE_TMUX_SOCKET: tmuxSocket,
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.detached ?? false,
  });
  let output = "";
  const printedURL = await new Promise<string>((resolveURL, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in time:\n${output}`)), 240_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /Open:\s+(http:\/\/[a-z0-9.-]+:\d+\/)\?token=/.exec(output);
      if (m && /\n {2}data: .*\n/.test(output)) { // the whole banner (its last line) is in
        clearTimeout(timer);
        resolveURL(m[1]!);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
  // (onData keeps appending to `output` for banner().)
  child.stdout!.on("data", (c: Buffer) => process.env.LTP_E2E_VERBOSE && process.stdout.write(c));
  child.stderr!.on("data", (c: Buffer) => process.stderr.write(c));
  const port = Number(new URL(printedURL).port);
  const baseURL = options.socket ? "" : `http://127.0.0.1:${port}`;
  return { child, baseURL, port, printedURL, banner: () => output, token, viewerToken, dataDir, repo, tmuxSocket };
}

export async function stopServer(pid: number): Promise<void> {
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    /* already gone */
  }
}
