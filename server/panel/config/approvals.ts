/**
 * Which config texts the operator approved (ARCHITECTURE.md §10): `<data-dir>/approvals.json`
 * (0600), never the repository. Per repo (by path): the sha256 approved now (`current`: a launch
 * runs only that text) and the texts approved before (kept, at most MAX_KEPT, so a worker launched
 * under an earlier approval is torn down with the text it was set up with, and the settings page
 * can show what changed since).
 */
import { join } from "node:path";
import { writeFileAtomic } from "../../bridge/run-files";
import { readFileNoFollowSync } from "../../bridge/safe-fs.mjs";
import type { Panel } from "../panel";
import { MAX_CONFIG_BYTES } from "./schema";

const MAX_KEPT = 20;
const MAX_FILE = 4 * 1024 * 1024;

export interface ApprovedText {
  text: string;
  approvedAt: string;
  /** When a newer text was approved in its place. */
  supersededAt?: string;
}

interface RepoApprovals {
  current?: string;
  texts: Record<string, ApprovedText>;
}

interface ApprovalsFile {
  version: 1;
  repos: Record<string, RepoApprovals>;
}

const fileOf = (panel: Panel) => join(panel.config.dataDir, "approvals.json");
const SHA = /^[0-9a-f]{64}$/;

/** The approvals, read as data: anything malformed is dropped (which only ever means "not approved"). */
function readFile(panel: Panel): ApprovalsFile {
  const out: ApprovalsFile = { version: 1, repos: {} };
  let raw: unknown;
  try {
    const f = readFileNoFollowSync(fileOf(panel), MAX_FILE);
    if (!f || f.truncated) return out;
    raw = JSON.parse(f.data.toString("utf8"));
  } catch {
    return out;
  }
  const repos = (raw as { repos?: unknown })?.repos;
  if (!repos || typeof repos !== "object") return out;
  for (const [path, r] of Object.entries(repos as Record<string, unknown>)) {
    const texts: Record<string, ApprovedText> = {};
    const given = (r as { texts?: unknown })?.texts;
    for (const [sha, t] of Object.entries(given && typeof given === "object" ? (given as Record<string, unknown>) : {})) {
      const v = t as Partial<ApprovedText>;
      if (SHA.test(sha) && typeof v?.text === "string" && v.text.length <= MAX_CONFIG_BYTES && typeof v.approvedAt === "string") {
        texts[sha] = { text: v.text, approvedAt: v.approvedAt.slice(0, 40), ...(typeof v.supersededAt === "string" ? { supersededAt: v.supersededAt.slice(0, 40) } : {}) };
      }
    }
    const current = (r as { current?: unknown })?.current;
    out.repos[path] = { current: typeof current === "string" && texts[current] ? current : undefined, texts };
  }
  return out;
}

export interface RepoApprovalState {
  /** The sha256 a launch may run now. */
  current?: string;
  currentText?: ApprovedText;
}

export function approvalOf(panel: Panel, repoPath: string): RepoApprovalState {
  const r = readFile(panel).repos[repoPath];
  return r?.current ? { current: r.current, currentText: r.texts[r.current] } : {};
}

/** A text the operator approved for this repo at some point (now or before), by its sha256. */
export function approvedText(panel: Panel, repoPath: string, sha256: string): string | undefined {
  return readFile(panel).repos[repoPath]?.texts[sha256]?.text;
}

/** Record the approval of `text` (whose sha256 the caller checked) as the repo's current one. */
export function recordApproval(panel: Panel, repoPath: string, sha256: string, text: string, now: string): Promise<void> {
  return panel.locks.run("approvals", async () => {
    const file = readFile(panel);
    const r = (file.repos[repoPath] ??= { texts: {} });
    if (r.current && r.current !== sha256 && r.texts[r.current]) r.texts[r.current]!.supersededAt = now;
    r.texts[sha256] = { text, approvedAt: now };
    r.current = sha256;
    // Keep the newest approvals only.
    const keep = Object.entries(r.texts).sort((a, b) => b[1].approvedAt.localeCompare(a[1].approvedAt)).slice(0, MAX_KEPT);
    r.texts = Object.fromEntries(keep);
    await writeFileAtomic(fileOf(panel), `${JSON.stringify(file, null, 2)}\n`, 0o600);
  });
}
