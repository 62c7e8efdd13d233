import { describe, expect, it } from "vitest";
import { checkRequest, isLoopbackName, parseHost, sessionCookie, type GuardConfig } from "@/server/http/guard";
import { roleFromGuardHeader, guardHeaderValue } from "@/server/http/guard-header";
import { sessionCookieName } from "@/server/http/instance";

const NAME = sessionCookieName("panel-test0001");
/** A fixed session table: one operator and one viewer session. */
const SESSIONS: Record<string, "operator" | "viewer"> = { "op-session-id": "operator", "viewer-session-id": "viewer" };
const cfg: GuardConfig = {
  token: "operator-token-0123456789abcdefghij",
  viewerToken: "viewer-token-0123456789abcdefghijkl",
  cookieName: NAME,
  sessions: { roleFor: (id) => (id ? SESSIONS[id] : undefined) },
};
const bearer = { authorization: `Bearer ${cfg.token}` };
const cookie = { cookie: `${NAME}=op-session-id` };

function req(method: string, headers: Record<string, string>, url = "/api/trpc/runs.create") {
  return checkRequest({ method, url, headers: { host: "127.0.0.1:4400", ...headers } }, cfg);
}

describe("HTTP guard", () => {
  it("accepts loopback Host names on any port and nothing else", () => {
    for (const h of ["127.0.0.1:4400", "localhost:9", "[::1]:4400", "127.0.0.2", "app.localhost:1"]) {
      expect(checkRequest({ method: "GET", url: "/", headers: { host: h, ...bearer } }, cfg).kind).toBe("allow");
    }
    for (const h of ["evil.com", "127.0.0.1.evil.com:4400", "10.0.0.1:4400", "", "[::2]:4400", "localhost:4400:1"]) {
      const d = checkRequest({ method: "GET", url: "/", headers: { host: h, ...bearer } }, cfg);
      expect(d).toMatchObject({ kind: "deny", status: 403 });
    }
    expect(parseHost("[::1]:80")).toEqual({ name: "[::1]", port: "80" });
    expect(isLoopbackName("192.168.1.1")).toBe(false);
  });

  it("needs a token: missing or wrong ones are refused", () => {
    expect(req("GET", {})).toMatchObject({ kind: "deny", status: 401 });
    expect(req("GET", { authorization: "Bearer nope" })).toMatchObject({ kind: "deny", status: 401 });
    // A session id that is not (or no longer) in the store: refused, and the stale cookie cleared.
    const stale = req("GET", { cookie: `${NAME}=nope` });
    expect(stale).toMatchObject({ kind: "deny", status: 401, message: expect.stringMatching(/session has ended/) });
    if (stale.kind === "deny") expect(stale.clearCookie).toMatch(new RegExp(`^${NAME}=; .*Max-Age=0`));
    // The token itself is not a session: a cookie holding it opens nothing.
    expect(req("GET", { cookie: `${NAME}=${cfg.token}` })).toMatchObject({ kind: "deny", status: 401 });
    // Another panel's cookie (another instance name) is not this panel's.
    expect(req("GET", { cookie: `${sessionCookieName("panel-other001")}=op-session-id` })).toMatchObject({ kind: "deny", status: 401 });
    expect(req("GET", cookie)).toEqual({ kind: "allow", role: "operator", session: "op-session-id" });
    expect(req("GET", { cookie: `${NAME}=viewer-session-id` })).toEqual({ kind: "allow", role: "viewer", session: "viewer-session-id" });
    expect(req("GET", bearer)).toEqual({ kind: "allow", role: "operator" });
  });

  it("exchanges ?token= for a login (the server opens the session) and drops the token from the URL", () => {
    const d = checkRequest({ method: "GET", url: `/runs?x=1&token=${cfg.token}`, headers: { host: "localhost:4400" } }, cfg);
    expect(d).toEqual({ kind: "login", role: "operator", location: "/runs?x=1" });
    const v = checkRequest({ method: "GET", url: `/?token=${cfg.viewerToken}`, headers: { host: "panel-test0001.localhost:9" } }, cfg);
    expect(v).toEqual({ kind: "login", role: "viewer", location: "/" });
    expect(checkRequest({ method: "GET", url: "/?token=bad", headers: { host: "localhost:4400" } }, cfg)).toMatchObject({ kind: "deny", status: 401 });
    // The cookie is host-only (no Domain), HttpOnly and SameSite=Strict, and holds the session id only.
    const c = sessionCookie(NAME, "abc");
    expect(c).toBe(`${NAME}=abc; Path=/; HttpOnly; SameSite=Strict`);
    expect(c).not.toMatch(/domain=/i);
  });

  it("refuses state changes from foreign or null origins, and cookie posts without Origin", () => {
    const json = { "content-type": "application/json" };
    expect(req("POST", { ...cookie, ...json, origin: "http://127.0.0.1:4400" })).toEqual({ kind: "allow", role: "operator", session: "op-session-id" });
    expect(req("POST", { ...cookie, ...json, origin: "http://evil.com" })).toMatchObject({ status: 403 });
    expect(req("POST", { ...cookie, ...json, origin: "http://127.0.0.1:4401" })).toMatchObject({ status: 403 });
    expect(req("POST", { ...cookie, ...json, origin: "null" })).toMatchObject({ status: 403 });
    expect(req("POST", { ...cookie, ...json })).toMatchObject({ status: 403 });
    expect(req("POST", { ...bearer, ...json })).toEqual({ kind: "allow", role: "operator" });
    expect(req("POST", { ...bearer, ...json, origin: "null" })).toMatchObject({ status: 403 });
  });

  it("refuses form content types with 415", () => {
    for (const ct of ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain;charset=UTF-8"]) {
      expect(req("POST", { ...bearer, "content-type": ct })).toMatchObject({ status: 415 });
    }
  });

  it("lets a viewer read but not change anything", () => {
    const viewer = { authorization: `Bearer ${cfg.viewerToken}` };
    expect(req("GET", viewer)).toEqual({ kind: "allow", role: "viewer" });
    expect(req("POST", { ...viewer, "content-type": "application/json" })).toMatchObject({ status: 403 });
  });

  it("passes the role to the route bundle only with the process secret", () => {
    expect(roleFromGuardHeader(guardHeaderValue("s3cret", "viewer"), "s3cret")).toBe("viewer");
    expect(roleFromGuardHeader("guess:operator", "s3cret")).toBeUndefined();
    expect(roleFromGuardHeader(null, "s3cret")).toBeUndefined();
  });
});
