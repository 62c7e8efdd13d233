import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { resolveInstanceName, sessionCookieName } from "@/server/http/instance";
import { MAX_SESSIONS, SESSION_MAX_AGE_MS, SessionStore, closeSessionStore, hashSessionId, openSessionStore, signOutEverywhere } from "@/server/http/sessions";
import { MIN_TOKEN_LENGTH, checkViewerToken, resolveToken } from "@/server/http/token";
import { removeDir, tempDir } from "../support/repo";

const TOKENS = { token: "o".repeat(40), viewerToken: "v".repeat(40) };
const dirs: string[] = [];
const dir = () => {
  const d = tempDir("ltp-sessions-");
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach(removeDir));

describe("session store", () => {
  it("maps a random id to a role, keeps only its hash (0600), and survives a restart", () => {
    const d = dir();
    const file = join(d, "sessions.json");
    const a = new SessionStore(file, TOKENS);
    const op = a.create("operator");
    const viewer = a.create("viewer");
    expect(op).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(op).not.toBe(viewer);
    expect(a.roleFor(op)).toBe("operator");
    expect(a.roleFor(viewer)).toBe("viewer");
    expect(a.roleFor("made-up")).toBeUndefined();
    expect(a.roleFor(TOKENS.token)).toBeUndefined();

    const text = readFileSync(file, "utf8");
    expect(text).not.toContain(op);
    expect(text).not.toContain(TOKENS.token);
    expect(text).toContain(hashSessionId(op));
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const b = new SessionStore(file, TOKENS);
    expect(b.roleFor(op)).toBe("operator");
    expect(b.roleFor(viewer)).toBe("viewer");
  });

  it("ends sessions when the token that opened them changes, and after the maximum age", () => {
    const d = dir();
    const file = join(d, "sessions.json");
    let now = Date.parse("2026-01-01T00:00:00Z");
    const a = new SessionStore(file, TOKENS, () => now);
    const op = a.create("operator");
    const viewer = a.create("viewer");
    // A new operator token: its sessions end; the viewer's token did not change.
    const b = new SessionStore(file, { ...TOKENS, token: "n".repeat(40) }, () => now);
    expect(b.roleFor(op)).toBeUndefined();
    expect(b.roleFor(viewer)).toBe("viewer");
    now += SESSION_MAX_AGE_MS + 1;
    expect(b.roleFor(viewer)).toBeUndefined();
    expect(b.size).toBe(0);
  });

  it("keeps at most MAX_SESSIONS, dropping the oldest", () => {
    const d = dir();
    let now = Date.parse("2026-01-01T00:00:00Z");
    const s = new SessionStore(join(d, "sessions.json"), TOKENS, () => now);
    const first = s.create("operator");
    for (let i = 0; i < MAX_SESSIONS; i++) {
      now += 1000;
      s.create("viewer");
    }
    expect(s.size).toBe(MAX_SESSIONS);
    expect(s.roleFor(first)).toBeUndefined();
  });

  it("treats a malformed sessions file as no sessions", () => {
    const d = dir();
    const file = join(d, "sessions.json");
    writeFileSync(file, "{not json");
    expect(new SessionStore(file, TOKENS).size).toBe(0);
    writeFileSync(file, JSON.stringify({ version: 1, sessions: { "../x": { role: "operator" }, [hashSessionId("x")]: { role: "root", createdAt: "", binding: "" } } }));
    expect(new SessionStore(file, TOKENS).size).toBe(0);
  });

  it("signs out everywhere: every session ends, listeners hear which, and the file is cleared", () => {
    const d = dir();
    const store = openSessionStore(d, TOKENS);
    const ids = [store.create("operator"), store.create("viewer")];
    const heard: string[][] = [];
    store.onRevoke((h) => heard.push(h));
    expect(signOutEverywhere(d)).toEqual({ signedOut: 2 });
    expect(heard).toEqual([ids.map(hashSessionId)]);
    for (const id of ids) expect(store.roleFor(id)).toBeUndefined();
    expect(new SessionStore(join(d, "sessions.json"), TOKENS).size).toBe(0);
    closeSessionStore(store, d);

    // Without a store open in this process, the file itself is cleared.
    const other = new SessionStore(join(d, "sessions.json"), TOKENS);
    const id = other.create("operator");
    expect(signOutEverywhere(d)).toEqual({ signedOut: 1 });
    expect(new SessionStore(join(d, "sessions.json"), TOKENS).roleFor(id)).toBeUndefined();
  });
});

describe("tokens and the instance name", () => {
  it(`refuses a configured token shorter than ${MIN_TOKEN_LENGTH} characters and changes nothing`, () => {
    const d = dir();
    expect(() => resolveToken(d, "short-token")).toThrow(/11 characters long; use at least 32/);
    expect(() => resolveToken(d, "x".repeat(31))).toThrow(/at least 32/);
    expect(() => resolveToken(d, `${"x".repeat(31)} y`)).toThrow(/printable ASCII/);
    expect(resolveToken(d, "x".repeat(32))).toEqual({ token: "x".repeat(32), source: "env" });
    expect(() => checkViewerToken("v".repeat(10), "x".repeat(32))).toThrow(/LONGTABLE_PANEL_VIEWER_TOKEN is 10 characters/);
    expect(() => checkViewerToken("x".repeat(32), "x".repeat(32))).toThrow(/same as the operator token/);
    // A short token in the token file is refused, not silently replaced.
    writeFileSync(join(d, "token"), "old-short-token\n");
    expect(() => resolveToken(d)).toThrow(/delete the file/);
    expect(readFileSync(join(d, "token"), "utf8")).toBe("old-short-token\n");
  });

  it("makes a new token of 32 characters in a 0600 file, and reads it back", () => {
    const d = dir();
    const made = resolveToken(d);
    expect(made.source).toBe("new");
    expect(made.token.length).toBeGreaterThanOrEqual(MIN_TOKEN_LENGTH);
    expect(statSync(join(d, "token")).mode & 0o777).toBe(0o600);
    expect(resolveToken(d)).toEqual({ token: made.token, source: "file" });
  });

  it("keeps one instance name per data dir, a valid host label", () => {
    const d = dir();
    const name = resolveInstanceName(d);
    expect(name).toMatch(/^panel-[a-z2-7]{8}$/);
    expect(resolveInstanceName(d)).toBe(name);
    expect(resolveInstanceName(dir())).not.toBe(name);
    expect(sessionCookieName(name)).toBe(`ltp_session_${name}`);
    writeFileSync(join(d, "instance-name"), "Evil.Name/../x\n");
    expect(() => resolveInstanceName(d)).toThrow(/not an instance name/);
  });
});
