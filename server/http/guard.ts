/**
 * The HTTP guard in front of every request (ARCHITECTURE.md §6 "HTTP"): loopback Host, a session cookie or the
 * token as a bearer, same-origin state changes, no form posts, read-only viewers. The token
 * itself never goes into a cookie: the start URL's ?token= is exchanged for a session id
 * (server/http/sessions.ts).
 */
import type { IncomingHttpHeaders } from "node:http";
import { isIP } from "node:net";
import type { Role } from "../trpc/init";
import { safeEqual } from "./guard-header";

/** What the guard needs of the session store. */
export interface SessionLookup {
  roleFor(id: string | undefined): Role | undefined;
}

export interface GuardConfig {
  token: string;
  viewerToken?: string;
  /** The session cookie's name (per panel instance: sessionCookieName). */
  cookieName: string;
  sessions: SessionLookup;
  /** Host names accepted besides loopback ones (the --host value when it is not loopback). */
  extraHosts?: readonly string[];
}

export type GuardDecision =
  | { kind: "allow"; role: Role; /** the session id from the cookie, when that is what authenticated */ session?: string }
  | { kind: "login"; role: Role; location: string }
  | { kind: "deny"; status: 400 | 401 | 403 | 415; message: string; /** a cookie to clear (its session has ended) */ clearCookie?: string };

/** The Set-Cookie header of a new session: host-only (no Domain), HttpOnly, SameSite=Strict. */
export const sessionCookie = (name: string, sessionId: string) => `${name}=${sessionId}; Path=/; HttpOnly; SameSite=Strict`;
export const clearedCookie = (name: string) => `${name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;

const FORM_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain"];
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Split a Host header into name and port; IPv6 literals come bracketed. */
export function parseHost(host: string | undefined): { name: string; port?: string } | undefined {
  if (!host) return undefined;
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\[\]]+)(?::(\d{1,5}))?$/.exec(host.trim());
  if (!m) return undefined;
  return { name: m[1]!.toLowerCase(), port: m[2] };
}

export function isLoopbackName(name: string): boolean {
  const bare = name.startsWith("[") ? name.slice(1, -1) : name;
  if (bare === "localhost" || bare.endsWith(".localhost")) return true;
  if (isIP(bare) === 4) return bare.startsWith("127.");
  if (isIP(bare) === 6) return bare === "::1" || bare === "0:0:0:0:0:0:0:1";
  return false;
}

function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i > 0) out.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return out;
}

function roleForToken(value: string | undefined, cfg: GuardConfig): Role | undefined {
  if (!value) return undefined;
  if (safeEqual(value, cfg.token)) return "operator";
  if (cfg.viewerToken && safeEqual(value, cfg.viewerToken)) return "viewer";
  return undefined;
}

export function checkRequest(
  req: { method?: string; url?: string; headers: IncomingHttpHeaders },
  cfg: GuardConfig,
): GuardDecision {
  const method = (req.method ?? "GET").toUpperCase();
  const hostHeader = req.headers.host;
  const host = parseHost(hostHeader);
  if (!host || !(isLoopbackName(host.name) || (cfg.extraHosts ?? []).includes(host.name))) {
    return { kind: "deny", status: 403, message: `forbidden Host ${JSON.stringify(hostHeader ?? "")}: open the panel as http://127.0.0.1:<port>/ (or through an ssh -L tunnel)` };
  }
  const url = new URL(req.url ?? "/", "http://placeholder");

  // Start URL: ?token=… is exchanged for a session cookie (the caller opens the session) and
  // removed from the address bar.
  const queryToken = url.searchParams.get("token");
  if (queryToken !== null && SAFE_METHODS.has(method)) {
    const role = roleForToken(queryToken, cfg);
    if (!role) return { kind: "deny", status: 401, message: "wrong token: use the URL printed when the panel started" };
    url.searchParams.delete("token");
    return { kind: "login", role, location: `${url.pathname}${url.search}` };
  }

  const auth = req.headers.authorization;
  const bearer = auth?.startsWith("Bearer ") ? auth.slice(7).trim() : undefined;
  const session = bearer === undefined ? parseCookies(req.headers.cookie).get(cfg.cookieName) : undefined;
  const role = bearer !== undefined ? roleForToken(bearer, cfg) : cfg.sessions.roleFor(session);
  if (!role) {
    if (session) {
      return {
        kind: "deny",
        status: 401,
        message: "this browser's session has ended (signed out everywhere, expired, or the panel's token changed): open the start URL printed when the panel started (it ends in ?token=…)",
        clearCookie: clearedCookie(cfg.cookieName),
      };
    }
    return { kind: "deny", status: 401, message: "not authenticated: open the URL with ?token= printed when the panel started, or send Authorization: Bearer <token>" };
  }

  if (!SAFE_METHODS.has(method)) {
    const contentType = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
    if (FORM_TYPES.includes(contentType)) {
      return { kind: "deny", status: 415, message: `content type ${contentType} is not accepted: send application/json` };
    }
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (origin === "null") return { kind: "deny", status: 403, message: "requests with Origin: null cannot change state" };
      let o: URL | undefined;
      try {
        o = new URL(origin);
      } catch {
        o = undefined;
      }
      if (!o || o.host.toLowerCase() !== (hostHeader ?? "").toLowerCase()) {
        return { kind: "deny", status: 403, message: `cross-origin request from ${origin} refused` };
      }
    } else if (bearer === undefined) {
      return { kind: "deny", status: 403, message: "a state-changing request needs a same-origin Origin header, or a bearer token" };
    }
    if (role !== "operator") {
      return { kind: "deny", status: 403, message: "this session is read-only (viewer token)" };
    }
  }
  return session ? { kind: "allow", role, session } : { kind: "allow", role };
}
