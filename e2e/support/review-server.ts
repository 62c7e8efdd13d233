/**
 * Helpers for specs that start THEIR OWN server (e2e/support/server.ts startServer) instead of
 * the global one: an API client bound to that server, a temp repo with chosen files, git in it,
 * polls with a deadline, and the cleanup of the server and its tmux socket.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { BrowserContext } from "@playwright/test";
import { stopServer, type RunningServer } from "./server";
import { waitFor } from "../../test/support/wait";

export interface ServerApi {
  query<T>(proc: string, input: unknown): Promise<T>;
  mutate<T>(proc: string, input: unknown): Promise<T>;
}

/** The tRPC API of one server, as a script drives it (bearer token, plain JSON). */
export function apiOf(server: Pick<RunningServer, "baseURL" | "token">, token = server.token): ServerApi {
  const headers = { authorization: `Bearer ${token}` };
  const unwrap = async <T>(proc: string, res: Response): Promise<T> => {
    const text = await res.text();
    if (!res.ok) throw new Error(`${proc} → ${res.status}: ${text}`);
    return (JSON.parse(text) as { result: { data: T } }).result.data;
  };
  return {
    query: async (proc, input) =>
      unwrap(proc, await fetch(`${server.baseURL}/api/trpc/${proc}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`, { headers })),
    mutate: async (proc, input) =>
      unwrap(proc, await fetch(`${server.baseURL}/api/trpc/${proc}`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify(input) })),
  };
}

/** Open the start URL with ?token= in a new page of `context`, the way a user logs in. */
export async function loginTo(context: BrowserContext, server: Pick<RunningServer, "baseURL">, token: string) {
  const page = await context.newPage();
  await page.goto(`${server.baseURL}/?token=${encodeURIComponent(token)}`);
  return page;
}

/** A temp git repo on `main` with these files in one commit (and a local identity). */
export function makeRepoWith(files: Record<string, string>): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "ltp-e2e-review-repo-")));
  const g = (...args: string[]) => execFileSync("git", args, { cwd: dir, stdio: "pipe" });
  g("init", "-q", "-b", "main");
  g("config", "user.name", "E2E Review");
  g("config", "user.email", "e2e-review@example.invalid");
  g("config", "commit.gpgsign", "false");
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  g("add", "-A");
  g("commit", "-qm", "initial");
  return dir;
}

export const git = (repo: string, ...args: string[]) => execFileSync("git", args, { cwd: repo, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

/** Poll `fn` until it returns something truthy; fail with `what` after the deadline. */
export const pollUntil = <T>(fn: () => T | Promise<T>, what: string, timeoutMs = 30_000, everyMs = 100) => waitFor(fn, what, timeoutMs, everyMs);

export interface RunRecord {
  id: string;
  status: string;
  runDirectory: string;
  workers: Array<{ id: string; role: string; label: string; status: string; attempt?: number; worktreePath: string; worktreeBranch: string; worktreeCommit?: string; mailboxPath: string; merged?: { commit: string } }>;
}

/** Wait until every worker of the run is in one of `statuses`. */
export function waitForWorkers(api: ServerApi, runId: string, statuses: string[], timeoutMs = 45_000): Promise<RunRecord> {
  return pollUntil(async () => {
    const run = await api.query<RunRecord>("runs.get", { runId });
    return run.workers.every((w) => statuses.includes(w.status)) ? run : undefined;
  }, `every worker of ${runId} to be ${statuses.join("/")}`, timeoutMs, 200);
}

/** Stop a server this spec started (by its pid) and close the tmux server on its own socket. */
export async function stopOwnServer(server: RunningServer | undefined): Promise<void> {
  if (!server) return;
  if (server.child.pid) await stopServer(server.child.pid);
  if (/^ltp-e2e-/.test(server.tmuxSocket)) spawnSync("tmux", ["-L", server.tmuxSocket, "kill-server"], { stdio: "ignore" });
}
