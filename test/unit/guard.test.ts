import { describe, expect, it } from "vitest";
import { checkRequest, cookieName, isLoopbackName, parseHost } from "@/server/http/guard";
import { roleFromGuardHeader, guardHeaderValue } from "@/server/http/guard-header";

const cfg = { token: "operator-token-0123456789", viewerToken: "viewer-token-0123456789", port: 4400 };
const bearer = { authorization: `Bearer ${cfg.token}` };
const cookie = { cookie: `${cookieName(4400)}=${cfg.token}` };

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
    expect(req("GET", { cookie: `${cookieName(4400)}=nope` })).toMatchObject({ kind: "deny", status: 401 });
    expect(req("GET", { cookie: `${cookieName(4401)}=${cfg.token}` })).toMatchObject({ kind: "deny", status: 401 });
    expect(req("GET", cookie)).toEqual({ kind: "allow", role: "operator" });
  });

  it("exchanges ?token= for an HttpOnly SameSite=Strict cookie named after the port", () => {
    const d = checkRequest({ method: "GET", url: `/runs?x=1&token=${cfg.token}`, headers: { host: "localhost:4400" } }, cfg);
    expect(d.kind).toBe("login");
    if (d.kind !== "login") return;
    expect(d.location).toBe("/runs?x=1");
    expect(d.setCookie).toContain(`${cookieName(4400)}=${cfg.token}`);
    expect(d.setCookie).toContain("HttpOnly");
    expect(d.setCookie).toContain("SameSite=Strict");
    expect(checkRequest({ method: "GET", url: "/?token=bad", headers: { host: "localhost:4400" } }, cfg)).toMatchObject({ kind: "deny", status: 401 });
  });

  it("refuses state changes from foreign or null origins, and cookie posts without Origin", () => {
    const json = { "content-type": "application/json" };
    expect(req("POST", { ...cookie, ...json, origin: "http://127.0.0.1:4400" })).toEqual({ kind: "allow", role: "operator" });
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
