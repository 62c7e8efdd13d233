/**
 * The panel server: the HTTP guard in front of Next.js (App Router + tRPC), the panel's
 * database and background services, clean shutdown. Started by bin/longtable-panel.mjs.
 */
import { chmodSync, existsSync, lstatSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect, type AddressInfo } from "node:net";
import next from "next";
import { configFromEnv, type PanelConfig } from "./config";
import { checkSocketPath, loginUrl as loginUrlOf, panelUrl, removeServerInfo, startBanner, writeServerInfo, type Endpoint } from "./http/banner";
import { checkRequest, isLoopbackName, sessionCookie } from "./http/guard";
import { GUARD_HEADER, guardHeaderValue } from "./http/guard-header";
import { resolveInstanceName, sessionCookieName } from "./http/instance";
import { closeSessionStore, hashSessionId, openSessionStore, type SessionStore } from "./http/sessions";
import { checkViewerToken, resolveToken } from "./http/token";
import { closePanel, createPanel, installPanel, type Panel } from "./panel/panel";
import { addRepo } from "./panel/repos";
import { reindexFromDisk } from "./panel/runs/rebuild";
import { Supervisor } from "./supervisor/supervisor";
import { recoverMerges } from "./panel/review/recover";
import { recoverQueues, startQueues } from "./panel/queue/recover";

export interface StartedServer {
  /** The panel's URL without the token (`http://<instance>.localhost:<port>/` on loopback). */
  url: string;
  /** The start URL: `url` with ?token=. */
  loginUrl: string;
  /** The TCP port listened on; 0 with a Unix socket. */
  port: number;
  endpoint: Endpoint;
  instanceName: string;
  cookieName: string;
  sessions: SessionStore;
  panel: Panel;
  close(): Promise<void>;
}

export interface StartOptions {
  config?: PanelConfig;
  dev?: boolean;
  log?: (line: string) => void;
}

function deny(res: ServerResponse, status: number, message: string, wantsHtml: boolean) {
  if (wantsHtml) {
    res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
    const safe = message.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
    res.end(`<!doctype html><title>LongTable Panel</title><body style="font-family:sans-serif;max-width:40em;margin:4em auto"><h1>LongTable Panel</h1><p>${safe}</p></body>`);
  } else {
    res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
    res.end(JSON.stringify({ error: { status, message } }));
  }
}

/** Is something accepting connections on this Unix socket? */
function socketInUse(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(path);
    c.once("connect", () => {
      c.destroy();
      resolve(true);
    });
    c.once("error", () => resolve(false));
  });
}

/** Listen on a Unix socket only this user can open (mode 0600 from the start: umask around bind). */
async function listenOnSocket(server: Server, path: string): Promise<void> {
  const problem = checkSocketPath(path);
  if (problem) throw new Error(problem);
  if (existsSync(path)) {
    if (!lstatSync(path).isSocket()) throw new Error(`--socket ${path} exists and is not a socket: choose another path`);
    if (await socketInUse(path)) throw new Error(`another server is listening on ${path}: stop it, or choose another --socket path`);
    rmSync(path, { force: true }); // a stale socket left by a server that was killed
  }
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    const old = process.umask(0o177);
    try {
      server.listen(path, () => resolve());
    } finally {
      process.umask(old);
    }
  });
  chmodSync(path, 0o600);
}

export async function startServer(options: StartOptions = {}): Promise<StartedServer> {
  const config = options.config ?? configFromEnv();
  const log = options.log ?? ((line: string) => console.log(line));
  const loopback = config.socket !== undefined || isLoopbackName(config.host.includes(":") && !config.host.startsWith("[") ? `[${config.host}]` : config.host);
  if (!loopback && !config.token) {
    throw new Error(
      `refusing to listen on ${config.host}, which is not a loopback address, without an explicit token: set LONGTABLE_PANEL_TOKEN, or keep --host 127.0.0.1 and use an ssh -L tunnel`,
    );
  }
  const panel = createPanel(config);
  installPanel(panel);
  try {
    const { token } = resolveToken(config.dataDir, config.token);
    checkViewerToken(config.viewerToken, token);
    const instanceName = resolveInstanceName(config.dataDir);
    const sessions = openSessionStore(config.dataDir, { token, viewerToken: config.viewerToken });
    panel.closers.push(() => closeSessionStore(sessions, config.dataDir));
    if (config.defaultRepo) {
      try {
        await addRepo(panel, config.defaultRepo);
      } catch (error) {
        log(`[longtable-panel] ${config.defaultRepo} was not added: ${(error as Error).message}`);
      }
    }
    await reindexFromDisk(panel);
    // Merges a crash interrupted are finished or rolled back before anything else runs git.
    for (const r of await recoverMerges(panel).catch((error: Error) => [{ message: `merge recovery failed: ${error.message} — open Settings → Doctor and use Recover` }])) {
      log(`[longtable-panel] ${r.message}`);
    }
    // Then the merge queues: scratch worktrees removed, items the crash interrupted settled.
    for (const message of await recoverQueues(panel).catch((error: Error) => [`merge queue recovery failed: ${error.message}`])) log(`[longtable-panel] ${message}`);
    const supervisor = new Supervisor(panel);
    panel.supervisor = supervisor;
    panel.closers.push(() => supervisor.stop());
    await supervisor.start();
    startQueues(panel);

    const app = next({ dev: options.dev ?? false, dir: config.root, hostname: config.host, port: config.port, quiet: !options.dev });
    await app.prepare();
    const handle = app.getRequestHandler();
    const cookieName = sessionCookieName(instanceName);
    const guardCfg = { token, viewerToken: config.viewerToken, cookieName, sessions, extraHosts: loopback ? [] : [config.host.toLowerCase()] };

    // Requests open under each session: "sign out everywhere" cuts their event streams (which
    // would otherwise go on for hours). Other requests finish: one of them is the sign-out itself.
    const openBySession = new Map<string, Set<ServerResponse>>();
    const isStream = (res: ServerResponse) => res.headersSent && String(res.getHeader("content-type") ?? "").startsWith("text/event-stream");
    panel.closers.push(
      sessions.onRevoke((hashes) => {
        for (const hash of hashes) for (const res of openBySession.get(hash) ?? []) if (isStream(res)) res.destroy();
      }),
    );
    const track = (sessionId: string, res: ServerResponse) => {
      const hash = hashSessionId(sessionId);
      const set = openBySession.get(hash) ?? new Set<ServerResponse>();
      openBySession.set(hash, set);
      set.add(res);
      res.once("close", () => {
        set.delete(res);
        if (set.size === 0 && openBySession.get(hash) === set) openBySession.delete(hash);
      });
    };

    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      delete req.headers[GUARD_HEADER];
      const decision = checkRequest(req, guardCfg);
      const wantsHtml = (req.headers.accept ?? "").includes("text/html");
      if (decision.kind === "deny") {
        if (decision.clearCookie) res.setHeader("set-cookie", decision.clearCookie);
        return deny(res, decision.status, decision.message, wantsHtml);
      }
      if (decision.kind === "login") {
        const id = sessions.create(decision.role);
        res.writeHead(302, { location: decision.location, "set-cookie": sessionCookie(cookieName, id), "cache-control": "no-store", "referrer-policy": "no-referrer" });
        return res.end();
      }
      if (decision.session) track(decision.session, res);
      req.headers[GUARD_HEADER] = guardHeaderValue(panel.guardSecret, decision.role);
      res.setHeader("x-content-type-options", "nosniff");
      res.setHeader("referrer-policy", "no-referrer");
      res.setHeader("x-frame-options", "DENY");
      void handle(req, res);
    });
    server.keepAliveTimeout = 65_000;
    let endpoint: Endpoint;
    if (config.socket !== undefined) {
      await listenOnSocket(server, config.socket);
      endpoint = { kind: "socket", path: config.socket, tunnelPort: config.port || 4400 };
    } else {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(config.port, config.host, () => resolve());
      });
      endpoint = { kind: "tcp", host: config.host, port: (server.address() as AddressInfo).port };
    }
    const url = panelUrl(endpoint, instanceName);
    const loginUrl = loginUrlOf(endpoint, instanceName, token);
    writeServerInfo(config.dataDir, { pid: process.pid, instanceName, endpoint, url });
    for (const line of startBanner({ endpoint, instanceName, token, tmuxSocket: config.tmuxSocket, dataDir: config.dataDir })) log(line);

    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= (async () => {
        server.close();
        server.closeAllConnections();
        removeServerInfo(config.dataDir);
        await app.close?.();
        await closePanel(panel);
      })());
    const port = endpoint.kind === "tcp" ? endpoint.port : 0;
    return { url, loginUrl, port, endpoint, instanceName, cookieName, sessions, panel, close };
  } catch (error) {
    await closePanel(panel);
    throw error;
  }
}
