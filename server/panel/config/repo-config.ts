/**
 * The state of a repository's `.longtable-panel.json` at a commit of the leader checkout
 * (ARCHITECTURE.md §10): none, invalid (with the fields named), needs approval, or approved — and
 * what `repos.config` shows: the text, the issues, the approval, the diff against the text last
 * approved, and the workers waiting for an approval.
 */
import { createTwoFilesPatch } from "diff";
import { readCommittedFile, readWorkingTreeFile, sha256Of } from "../../bridge/committed-file";
import { headCommit } from "../../bridge/git";
import { PanelError, notFound } from "../../core/errors";
import type { Panel } from "../panel";
import { getRepo } from "../repos";
import { approvalOf } from "./approvals";
import { CONFIG_FILE, MAX_CONFIG_BYTES, issuesText, parseRepoConfig, type ConfigIssue, type RepoConfig } from "./schema";

export type ConfigState =
  | { state: "none"; commit: string }
  | { state: "invalid"; commit: string; sha256?: string; text?: string; issues: ConfigIssue[] }
  | { state: "needs_approval" | "approved"; commit: string; sha256: string; text: string; config: RepoConfig };

/** The config as `commit` holds it, checked and compared with the approval in the data dir. */
export async function repoConfigAt(panel: Panel, repoPath: string, commit: string): Promise<ConfigState> {
  const file = await readCommittedFile(repoPath, commit, CONFIG_FILE, MAX_CONFIG_BYTES);
  if (file.kind === "missing") return { state: "none", commit };
  if (file.kind === "refused") return { state: "invalid", commit, issues: [{ field: "", message: file.reason }] };
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(file.bytes);
  } catch {
    return { state: "invalid", commit, sha256: file.sha256, issues: [{ field: "", message: `${CONFIG_FILE} is not UTF-8 text` }] };
  }
  const parsed = parseRepoConfig(text);
  if (!parsed.config) return { state: "invalid", commit, sha256: file.sha256, text, issues: parsed.issues };
  const approved = approvalOf(panel, repoPath).current === file.sha256;
  return { state: approved ? "approved" : "needs_approval", commit, sha256: file.sha256, text, config: parsed.config };
}

/** Why a launch cannot use an invalid config, naming every field. */
export function invalidConfigReason(s: Extract<ConfigState, { state: "invalid" }>): string {
  return `the repository's ${CONFIG_FILE} at commit ${s.commit.slice(0, 12)} is refused, nothing was run: ${issuesText(s.issues)}. Fix it, commit, and launch again`;
}

export interface WaitingWorker {
  runId: string;
  workerId: string;
  label: string;
  /** The config text it waits for. */
  sha256: string;
}

/** Workers of this panel's runs in the repo that wait for the config's approval (index only). */
export function waitingWorkers(panel: Panel, repoId: string): WaitingWorker[] {
  const rows = panel.dbh.sqlite
    .prepare(
      `select r.id as runId, json_extract(w.value, '$.id') as workerId, json_extract(w.value, '$.label') as label, json_extract(w.value, '$.setup.sha256') as sha256
       from runs r, json_each(r.record, '$.workers') w
       where r.repo_id = ? and json_extract(w.value, '$.status') = 'pending' and json_extract(w.value, '$.setup.state') = 'awaiting_approval'
       order by r.created_at, r.id`,
    )
    .all(repoId) as WaitingWorker[];
  return rows.filter((r) => typeof r.workerId === "string" && typeof r.sha256 === "string").map((r) => ({ ...r, label: String(r.label ?? r.workerId) }));
}

export interface ConfigView {
  repoId: string;
  repoPath: string;
  file: string;
  /** The leader's HEAD the text was read from (null: the repository has no commit yet). */
  commit: string | null;
  state: ConfigState["state"];
  sha256: string | null;
  text: string | null;
  issues: ConfigIssue[];
  config: RepoConfig | null;
  /** The leader's working tree has a different (uncommitted) version: never used until committed. */
  uncommittedEdits: boolean;
  approved: { sha256: string; approvedAt: string } | null;
  /** Unified diff from the text approved now to this one (when both exist and differ). */
  diff: string | null;
  waiting: WaitingWorker[];
}

export async function configView(panel: Panel, repoId: string): Promise<ConfigView> {
  const repo = getRepo(panel, repoId);
  if (!repo) throw notFound(`repo ${repoId}`);
  const commit = await headCommit(repo.path);
  const approval = approvalOf(panel, repo.path);
  const base = {
    repoId,
    repoPath: repo.path,
    file: CONFIG_FILE,
    approved: approval.current && approval.currentText ? { sha256: approval.current, approvedAt: approval.currentText.approvedAt } : null,
    waiting: waitingWorkers(panel, repoId),
  };
  if (!commit) {
    return { ...base, commit: null, state: "none", sha256: null, text: null, issues: [], config: null, uncommittedEdits: readWorkingTreeFile(repo.path, CONFIG_FILE, MAX_CONFIG_BYTES) !== undefined, diff: null };
  }
  const s = await repoConfigAt(panel, repo.path, commit);
  const sha256 = s.state === "none" ? null : (s.sha256 ?? null);
  const text = s.state === "none" ? null : (s.text ?? null);
  const working = readWorkingTreeFile(repo.path, CONFIG_FILE, MAX_CONFIG_BYTES);
  const uncommittedEdits = working === undefined ? sha256 !== null : sha256Of(working) !== sha256;
  const old = approval.currentText?.text;
  const diff = old !== undefined && text !== null && approval.current !== sha256
    ? createTwoFilesPatch(`${CONFIG_FILE} (approved)`, `${CONFIG_FILE} (HEAD ${commit.slice(0, 12)})`, old, text, undefined, undefined, { context: 3 })
    : null;
  return {
    ...base,
    commit,
    state: s.state,
    sha256,
    text,
    issues: s.state === "invalid" ? s.issues : [],
    config: s.state === "approved" || s.state === "needs_approval" ? s.config : null,
    uncommittedEdits,
    diff,
  };
}

/** The repo and the state of its config now, for an approval of `sha256` (which must be what HEAD holds). */
export async function configToApprove(panel: Panel, repoId: string, sha256: string): Promise<{ repoPath: string; text: string }> {
  const repo = getRepo(panel, repoId);
  if (!repo) throw notFound(`repo ${repoId}`);
  const commit = await headCommit(repo.path);
  if (!commit) throw new PanelError("PRECONDITION_FAILED", `${repo.path} has no commits: commit ${CONFIG_FILE} first`);
  const s = await repoConfigAt(panel, repo.path, commit);
  if (s.state === "none") throw new PanelError("PRECONDITION_FAILED", `${repo.path} has no ${CONFIG_FILE} at HEAD (${commit.slice(0, 12)}); nothing to approve`);
  if (s.state === "invalid") throw new PanelError("PRECONDITION_FAILED", `${CONFIG_FILE} at HEAD is invalid and cannot be approved: ${issuesText(s.issues)}`);
  if (s.sha256 !== sha256) {
    throw new PanelError("CONFLICT", `${CONFIG_FILE} changed since you looked at it (HEAD ${commit.slice(0, 12)} holds sha256 ${s.sha256.slice(0, 12)}…, you approved ${sha256.slice(0, 12)}…): reload it, read it again, and approve what it says now; nothing was approved`);
  }
  return { repoPath: repo.path, text: s.text };
}
