import { request as httpRequest } from "node:http";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { api, env } from "./support/env";

interface Raw { status: number; body: string; headers: Record<string, string | string[] | undefined> }

/** A raw HTTP request, so the test controls every header (Host included). */
function raw(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Raw> {
  const { port } = env();
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let data = "";
      res.on("data", (c) => (data += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: data, headers: res.headers }));
    });
    req.on("error", reject);
    if (body) req.write(body);
    req.end();
  });
}

const createBody = () => JSON.stringify({ repoPath: env().repo, prompt: "security probe", roles: ["reviewer"], mode: "review" });
const runDirs = () => {
  const dir = join(env().repo, ".longtable", "panel-runs");
  return existsSync(dir) ? readdirSync(dir).filter((d) => statSync(join(dir, d)).isDirectory()).length : 0;
};

/** Log in the way a browser does (the start URL) and return the session cookie it was given ("name=id"). */
async function loginCookie(token: string): Promise<string> {
  const res = await raw("GET", `/?token=${encodeURIComponent(token)}`, {});
  expect(res.status).toBe(302);
  return String(res.headers["set-cookie"]).split(";")[0]!;
}

test.describe("HTTP security baseline", () => {
  test("every refused request is refused with the right status and changes nothing", async ({ request }) => {
    const { token, viewerToken, port } = env();
    const session = await loginCookie(token);
    const cookieName = session.split("=")[0]!;
    const before = (await api<{ items: unknown[] }>(request, "runs.list", { limit: 200 })).items.length;
    const dirsBefore = runDirs();
    const json = { "content-type": "application/json" };
    const same = { origin: `http://127.0.0.1:${port}` };
    const cases: Array<[string, Raw | Promise<Raw>, number]> = [
      ["foreign Host", raw("POST", "/api/trpc/runs.create", { ...json, authorization: `Bearer ${token}`, host: "evil.example:80" }, createBody()), 403],
      ["foreign Host on a page", raw("GET", "/", { authorization: `Bearer ${token}`, host: "attacker.test" }), 403],
      ["foreign Origin", raw("POST", "/api/trpc/runs.create", { ...json, authorization: `Bearer ${token}`, origin: "http://evil.example" }, createBody()), 403],
      ["null Origin", raw("POST", "/api/trpc/runs.create", { ...json, authorization: `Bearer ${token}`, origin: "null" }, createBody()), 403],
      ["no token", raw("POST", "/api/trpc/runs.create", { ...json, ...same }, createBody()), 401],
      ["wrong token", raw("POST", "/api/trpc/runs.create", { ...json, ...same, authorization: "Bearer wrong-token" }, createBody()), 401],
      ["wrong cookie", raw("POST", "/api/trpc/runs.create", { ...json, ...same, cookie: `${cookieName}=nope` }, createBody()), 401],
      ["the token as a cookie", raw("POST", "/api/trpc/runs.create", { ...json, ...same, cookie: `${cookieName}=${token}` }, createBody()), 401],
      ["the token as the old port cookie", raw("GET", "/api/trpc/runs.list", { cookie: `ltp_session_${port}=${token}` }), 401],
      ["form content type", raw("POST", "/api/trpc/runs.create", { "content-type": "application/x-www-form-urlencoded", authorization: `Bearer ${token}` }, createBody()), 415],
      ["text/plain", raw("POST", "/api/trpc/runs.create", { "content-type": "text/plain", ...same, cookie: session }, createBody()), 415],
      ["viewer token on a mutation", raw("POST", "/api/trpc/runs.create", { ...json, ...same, authorization: `Bearer ${viewerToken}` }, createBody()), 403],
      ["cookie without Origin", raw("POST", "/api/trpc/runs.create", { ...json, cookie: session }, createBody()), 403],
      ["no token on a page", raw("GET", "/", { accept: "text/html" }), 401],
      ["no token on a query", raw("GET", "/api/trpc/runs.list", {}), 401],
    ];
    for (const [name, p, status] of cases) {
      const res = await p;
      expect(res.status, name).toBe(status);
    }
    const after = (await api<{ items: unknown[] }>(request, "runs.list", { limit: 200 })).items.length;
    expect(after).toBe(before);
    expect(runDirs()).toBe(dirsBefore);
  });

  test("a forged guard header is ignored", async () => {
    const res = await raw("GET", "/api/trpc/runs.list", { "x-longtable-guard": "guess:operator" });
    expect(res.status).toBe(401);
  });

  test("ids with .. / spaces or shell characters are rejected with BAD_REQUEST", async () => {
    const { token } = env();
    for (const runId of ["../../etc", "panel_run_a/b", "panel_run_aaaaaa_aaaa;ls", "panel_run_aaaaaa_aaaa bb", "$(id)"]) {
      const res = await raw("GET", `/api/trpc/runs.get?input=${encodeURIComponent(JSON.stringify({ runId }))}`, { authorization: `Bearer ${token}` });
      expect(res.status, runId).toBe(400);
      expect(JSON.parse(res.body).error.data.code).toBe("BAD_REQUEST");
    }
    const res = await raw("GET", `/api/trpc/runs.get?input=${encodeURIComponent(JSON.stringify({ runId: "panel_run_zzzzzz_zzzz" }))}`, { authorization: `Bearer ${token}` });
    expect(res.status).toBe(404);
  });

  test("the start URL sets a host-only HttpOnly SameSite=Strict session cookie (not the token) named after the instance, and drops the token", async () => {
    const { token } = env();
    const res = await raw("GET", `/?token=${encodeURIComponent(token)}`, {});
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe("/");
    const cookie = String(res.headers["set-cookie"]);
    const [name, id] = cookie.split(";")[0]!.split("=") as [string, string];
    expect(name).toMatch(/^ltp_session_panel-[a-z2-7]{8}$/);
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cookie).not.toContain(token);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).not.toMatch(/domain=/i);
    // The session opens the panel; a second login is a second, different session.
    expect((await raw("GET", "/api/trpc/system.whoami", { cookie: `${name}=${id}` })).status).toBe(200);
    expect((await loginCookie(token)).split("=")[1]).not.toBe(id);
  });

  test("a bearer script can create a run with curl-style JSON", async () => {
    const { token } = env();
    const res = await raw("POST", "/api/trpc/runs.create", { "content-type": "application/json", authorization: `Bearer ${token}` }, createBody());
    expect(res.status).toBe(200);
    const run = JSON.parse(res.body).result.data;
    expect(run.id).toMatch(/^panel_run_/);
    expect(existsSync(join(env().repo, ".longtable", "panel-runs", run.id, "run.json"))).toBe(true);
  });
});
