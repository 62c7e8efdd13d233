/**
 * The panel server: the HTTP guard in front of Next.js (App Router + tRPC), the panel's
 * database and background services, clean shutdown. Started by bin/longtable-panel.mjs.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import next from "next";
import { configFromEnv, type PanelConfig } from "./config";
import { checkRequest, isLoopbackName } from "./http/guard";
import { GUARD_HEADER, guardHeaderValue } from "./http/guard-header";
import { resolveToken } from "./http/token";
import { closePanel, createPanel, installPanel, type Panel } from "./panel/panel";
import { addRepo } from "./panel/repos";
import { reindexFromDisk } from "./panel/runs/rebuild";
import { Supervisor } from "./supervisor/supervisor";

export interface StartedServer {
  url: string;
  loginUrl: string;
  port: number;
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

export async function startServer(options: StartOptions = {}): Promise<StartedServer> {
  const config = options.config ?? configFromEnv();
  const log = options.log ?? ((line: string) => console.log(line));
  const loopback = isLoopbackName(config.host.includes(":") && !config.host.startsWith("[") ? `[${config.host}]` : config.host);
  if (!loopback && !config.token) {
    throw new Error(
      `refusing to listen on ${config.host}, which is not a loopback address, without an explicit token: set LONGTABLE_PANEL_TOKEN, or keep --host 127.0.0.1 and use an ssh -L tunnel`,
    );
  }
  const panel = createPanel(config);
  installPanel(panel);
  try {
    const { token } = resolveToken(config.dataDir, config.token);
    if (config.defaultRepo) {
      try {
        await addRepo(panel, config.defaultRepo);
      } catch (error) {
        log(`[longtable-panel] ${config.defaultRepo} was not added: ${(error as Error).message}`);
      }
    }
    await reindexFromDisk(panel);
    const supervisor = new Supervisor(panel);
    panel.supervisor = supervisor;
    panel.closers.push(() => supervisor.stop());
    await supervisor.start();

    const app = next({ dev: options.dev ?? false, dir: config.root, hostname: config.host, port: config.port, quiet: !options.dev });
    await app.prepare();
    const handle = app.getRequestHandler();
    const guardCfg = { token, viewerToken: config.viewerToken, port: config.port, extraHosts: loopback ? [] : [config.host.toLowerCase()] };

    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      delete req.headers[GUARD_HEADER];
      const decision = checkRequest(req, guardCfg);
      const wantsHtml = (req.headers.accept ?? "").includes("text/html");
      if (decision.kind === "deny") return deny(res, decision.status, decision.message, wantsHtml);
      if (decision.kind === "login") {
        res.writeHead(302, { location: decision.location, "set-cookie": decision.setCookie, "cache-control": "no-store" });
        return res.end();
      }
      req.headers[GUARD_HEADER] = guardHeaderValue(panel.guardSecret, decision.role);
      res.setHeader("x-content-type-options", "nosniff");
      res.setHeader("referrer-policy", "no-referrer");
      res.setHeader("x-frame-options", "DENY");
      void handle(req, res);
    });
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(config.port, config.host, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    guardCfg.port = port;
    const hostForUrl = config.host.includes(":") ? `[${config.host}]` : config.host;
    const url = `http://${hostForUrl}:${port}/`;
    const loginUrl = `${url}?token=${encodeURIComponent(token)}`;
    log(`LongTable Panel is running.`);
    log(`  Open:   ${loginUrl}`);
    log(`  Remote: ssh -N -L ${port}:127.0.0.1:${port} ${process.env.USER ?? "user"}@${hostname()}   then open the same URL on your machine`);
    log(`  tmux:   tmux -L ${config.tmuxSocket} ls`);
    log(`  data:   ${config.dataDir}`);

    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= (async () => {
        server.close();
        server.closeAllConnections();
        await app.close?.();
        await closePanel(panel);
      })());
    return { url, loginUrl, port, panel, close };
  } catch (error) {
    await closePanel(panel);
    throw error;
  }
}
