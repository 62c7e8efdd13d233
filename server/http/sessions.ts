/**
 * Browser sessions. Opening the start URL (?token=…) gives the browser a random session id in
 * its cookie — never the token — so a cookie that leaks to another local service (browsers send
 * cookies for a host to every port of it) can be revoked and does not disclose the token.
 *
 * The store keeps only sha256(id) → role, in <data-dir>/sessions.json (mode 0600, written
 * atomically), so sessions survive a restart. Each session is bound to a fingerprint of the
 * token that opened it: when the token changes, its sessions end. "Sign out everywhere"
 * (revokeAll) ends every session at once and cuts the requests they have open (event streams).
 *
 * One store per data dir per process, kept on globalThis: the custom server (guard) and the
 * Next.js route bundle (the tRPC mutation) are two module graphs in one process.
 */
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Role } from "../trpc/init";

export const SESSIONS_FILE = "sessions.json";
/** A session ends this long after it was opened (the browser logs in again with the start URL). */
export const SESSION_MAX_AGE_MS = 30 * 24 * 3600_000;
/** The oldest sessions go first when there are more than this many. */
export const MAX_SESSIONS = 200;

interface SessionRecord {
  role: Role;
  createdAt: string;
  /** Fingerprint of the token that opened the session. */
  binding: string;
}

interface SessionsFile {
  version: 1;
  sessions: Record<string, SessionRecord>;
}

export const hashSessionId = (id: string) => createHash("sha256").update(id).digest("hex");
/** A fingerprint of a token, so a session can be tied to it without storing the token again. */
export const tokenBinding = (token: string) => createHash("sha256").update(`longtable-panel session binding\0${token}`).digest("hex").slice(0, 32);

export interface SessionTokens {
  token: string;
  viewerToken?: string;
}

export class SessionStore {
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly listeners = new Set<(hashes: string[]) => void>();
  private bindings: Record<Role, string | undefined>;

  constructor(
    readonly file: string,
    tokens: SessionTokens,
    private readonly now: () => number = Date.now,
  ) {
    this.bindings = { operator: tokenBinding(tokens.token), viewer: tokens.viewerToken ? tokenBinding(tokens.viewerToken) : undefined };
    this.load();
  }

  /** Open a session for `role`; the returned id goes into the cookie and is never stored. */
  create(role: Role): string {
    const id = randomBytes(32).toString("base64url");
    this.sessions.set(hashSessionId(id), { role, createdAt: new Date(this.now()).toISOString(), binding: this.bindings[role]! });
    this.prune();
    this.save();
    return id;
  }

  /** The role of a live session, or undefined (unknown, expired, revoked, or its token changed). */
  roleFor(id: string | undefined): Role | undefined {
    if (!id || id.length > 200) return undefined;
    const hash = hashSessionId(id);
    const s = this.sessions.get(hash);
    if (!s) return undefined;
    if (!this.valid(s)) {
      this.sessions.delete(hash);
      this.save();
      return undefined;
    }
    return s.role;
  }

  /** End every session (every browser must open the start URL again). Returns how many ended. */
  revokeAll(): number {
    const hashes = [...this.sessions.keys()];
    this.sessions.clear();
    this.save();
    for (const l of this.listeners) l(hashes);
    return hashes.length;
  }

  /** Called with the hashes of sessions that were just revoked (the server cuts their requests). */
  onRevoke(listener: (hashes: string[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get size(): number {
    return this.sessions.size;
  }

  private valid(s: SessionRecord): boolean {
    const created = Date.parse(s.createdAt);
    return s.binding === this.bindings[s.role] && Number.isFinite(created) && this.now() - created < SESSION_MAX_AGE_MS;
  }

  private prune() {
    for (const [hash, s] of this.sessions) if (!this.valid(s)) this.sessions.delete(hash);
    if (this.sessions.size <= MAX_SESSIONS) return;
    const oldest = [...this.sessions.entries()].sort((a, b) => a[1].createdAt.localeCompare(b[1].createdAt));
    for (const [hash] of oldest.slice(0, this.sessions.size - MAX_SESSIONS)) this.sessions.delete(hash);
  }

  /** A missing, unreadable or malformed file means no sessions: browsers log in again. */
  private load() {
    if (!existsSync(this.file)) return;
    let parsed: unknown;
    try {
      chmodSync(this.file, 0o600);
      parsed = JSON.parse(readFileSync(this.file, "utf8"));
    } catch {
      return;
    }
    const sessions = (parsed as Partial<SessionsFile> | null)?.sessions;
    if (!sessions || typeof sessions !== "object") return;
    for (const [hash, s] of Object.entries(sessions)) {
      if (!/^[0-9a-f]{64}$/.test(hash) || !s || typeof s !== "object") continue;
      if ((s.role !== "operator" && s.role !== "viewer") || typeof s.createdAt !== "string" || typeof s.binding !== "string") continue;
      this.sessions.set(hash, { role: s.role, createdAt: s.createdAt, binding: s.binding });
    }
    const before = this.sessions.size;
    this.prune();
    if (this.sessions.size !== before) this.save();
  }

  private save() {
    const data: SessionsFile = { version: 1, sessions: Object.fromEntries(this.sessions) };
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(data, null, 1)}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}

const KEY = "__longtableSessionStores" as const;
type Global = typeof globalThis & { [KEY]?: Map<string, SessionStore> };
const stores = () => ((globalThis as Global)[KEY] ??= new Map());

/** Open (and register for this process) the session store of a data dir. */
export function openSessionStore(dataDir: string, tokens: SessionTokens): SessionStore {
  const store = new SessionStore(join(dataDir, SESSIONS_FILE), tokens);
  stores().set(dataDir, store);
  return store;
}

export function closeSessionStore(store: SessionStore, dataDir: string): void {
  if (stores().get(dataDir) === store) stores().delete(dataDir);
}

/**
 * "Sign out everywhere": end every browser session of this panel. Scripts that send the token
 * as a bearer keep working (to stop them, change the token). With no running server in this
 * process (a tRPC caller in a test), the sessions file is cleared directly.
 */
export function signOutEverywhere(dataDir: string): { signedOut: number } {
  const store = stores().get(dataDir);
  if (store) return { signedOut: store.revokeAll() };
  const file = join(dataDir, SESSIONS_FILE);
  if (!existsSync(file)) return { signedOut: 0 };
  let count = 0;
  try {
    count = Object.keys((JSON.parse(readFileSync(file, "utf8")) as Partial<SessionsFile>).sessions ?? {}).length;
  } catch {
    count = 0;
  }
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ version: 1, sessions: {} })}\n`, { mode: 0o600 });
  renameSync(tmp, file);
  return { signedOut: count };
}
