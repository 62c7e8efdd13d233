/**
 * Fixture generator: LongTable CLI panel runs, made on disk the way the CLI makes them (0.1.57
 * and 0.1.59+ shapes; 0.1.59's run format is unchanged up to 0.1.72). Real git: the CLI's
 * worktrees, branches and its launcher's `git add -A` worker commits, which carry the leader's
 * uncommitted tracked edits and the whole `.longtable-worker/` folder. See docs/cli-interop.md.
 *
 * By hand: node --import tsx test/support/cli-runs.ts <repo> <kind> [--version 0.1.57|0.1.59]
 *   kinds: completed | planned | failed | shutdown | running
 */
import { execFileSync } from "node:child_process";
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import {
  DEFAULT_MEMBERS, OUTPUT_SCHEMA, RUN_SCHEMA, cliId, currentMd, defaultOutcome, launcherText, projectPrompt,
  resultJson, sensitivityOf, shellDate, taskText, workspaceFiles,
  type CliMember, type CliVersion, type CliWorkerOutcome,
} from "./cli-run-files";

export type { CliMember, CliVersion, CliWorkerOutcome } from "./cli-run-files";
export const CLI_RUN_KINDS = ["completed", "planned", "failed", "shutdown", "running"] as const;
export type CliRunKind = (typeof CLI_RUN_KINDS)[number];

export interface CliRunOptions {
  /** "0.1.59" (default) is the format of 0.1.59 … 0.1.72; "0.1.57" the older read-only layout. */
  version?: CliVersion;
  members?: CliMember[];
  prompt?: string;
  mode?: "review" | "critique" | "draft" | "commit";
  /** The leader's own uncommitted edit of a tracked file before `longtable panel` (default: README.md gets a line when tracked). */
  leaderEdit?: { path: string; content: string } | false;
  /** Per role: what its agent does (default: two members who disagree; each writes `<role>-notes.md`). */
  outcomes?: Record<string, CliWorkerOutcome>;
  /** For kind "failed": the role whose agent exits 3 (default: the last member). */
  failRole?: string;
}

export interface CliFixtureWorker {
  id: string;
  role: string;
  label: string;
  status: string;
  /** 0.1.59+: the worker branch and worktree (the worktree is gone after shutdown; the branch stays). */
  branch?: string;
  worktreePath?: string;
  /** The commit the branch was created from (the leader's HEAD at launch). */
  forkPoint?: string;
  /** The launcher's worker commit (finished 0.1.59+ workers). */
  commit?: string;
  /** What the worker itself changed (its agent's files) — all a review should show. */
  ownFiles: string[];
  /** Everything in the worker commit: own files + carried-in leader files + `.longtable-worker/…`. */
  committedFiles: string[];
}

export interface CliRunFixture {
  version: CliVersion;
  kind: CliRunKind;
  repo: string;
  runId: string;
  runDirectory: string;
  runJsonPath: string;
  invocationId: string;
  planId: string;
  leader: { head: string; branch: string; carriedFiles: string[] };
  workers: CliFixtureWorker[];
  /** Where the CLI's panes live (none of this exists here: no tmux is started). */
  tmux: { server: string; launch: string; panes: Array<{ workerId: string; paneId: string }> };
  notes: string[];
}

/** Records are built and patched field by field, as the CLI does with its spread updates. */
type Json = Record<string, any>;

const git = (cwd: string, args: string[], input?: Buffer) =>
  execFileSync("git", args, { cwd, input, stdio: ["pipe", "pipe", "pipe"], maxBuffer: 64 << 20 });
const gitText = (cwd: string, ...args: string[]) => git(cwd, args).toString("utf8").trim();
const writeJson = (path: string, value: unknown) => writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
const readJson = (path: string): Json => JSON.parse(readFileSync(path, "utf8"));
const nowIso = () => new Date().toISOString();
const WS_NAME = "Fixture Study";

/** Make `repo` a LongTable workspace (what `longtable start` + a commit leave): the CLI runs native workers only in one. */
export function ensureCliWorkspace(repo: string): string {
  const meta = join(repo, ".longtable");
  if (!existsSync(join(meta, "project.json"))) {
    const { project, session, state } = workspaceFiles(repo, WS_NAME, nowIso());
    mkdirSync(join(meta, "sessions"), { recursive: true });
    writeJson(join(meta, "project.json"), project);
    writeJson(join(meta, "current-session.json"), session);
    writeJson(join(meta, "sessions", `${session.id}.json`), session);
    writeFileSync(join(meta, "state.json"), JSON.stringify(state, null, 2));
    writeFileSync(join(repo, "CURRENT.md"), currentMd(WS_NAME, []));
    git(repo, ["add", "--", ".longtable", "CURRENT.md"]);
    git(repo, ["-c", "user.name=LongTable Fixture", "-c", "user.email=fixture@example.invalid", "-c", "commit.gpgsign=false", "commit", "-qm", "LongTable workspace"]);
  }
  return gitText(repo, "rev-parse", "HEAD");
}

interface Ctx {
  version: CliVersion;
  repo: string;
  runId: string;
  runDir: string;
  members: CliMember[];
  outcomes: CliWorkerOutcome[];
  run: Json;
  carried: string[];
  notes: string[];
}

/** `longtable panel … --native-workers`: invocation + follow-up question in state.json, CURRENT.md regenerated. */
function recordInvocation(repo: string, members: CliMember[], prompt: string, mode: string) {
  const statePath = join(repo, ".longtable", "state.json");
  const state = readJson(statePath);
  const now = nowIso();
  const sensitivity = sensitivityOf(members);
  const planId = cliId("panel_plan");
  const questionId = cliId("question_record");
  const invocationId = cliId("invocation_record");
  const rationale = ["LongTable-native workers may execute role passes through durable worker state.", "The panel is constrained by explicitly requested roles."];
  const planned = members.map((m) => ({ role: m.role, label: m.label, status: "planned" }));
  state.invocationLog = [...(state.invocationLog ?? []), {
    id: invocationId, createdAt: now, updatedAt: now,
    intent: { id: cliId("invocation"), kind: "panel", mode, prompt, roles: members.map((m) => m.role), provider: "codex", requestedSurface: "native_workers", visibility: "always_visible", checkpointSensitivity: sensitivity, rationale },
    status: "planned", provider: "codex", surface: "native_workers", interactionDepth: "independent",
    panelPlan: { id: planId, createdAt: now, mode, prompt, members: members.map((m) => ({ ...m, reason: "explicitly requested", required: true })), visibility: "always_visible", preferredSurface: "native_workers", fallbackSurface: "sequential_fallback", checkpointSensitivity: sensitivity, rationale },
    panelResult: { id: cliId("panel_result"), planId, createdAt: now, updatedAt: now, provider: "codex", surface: "native_workers", status: "planned", interactionDepth: "independent", memberResults: planned, linkedQuestionRecordIds: [questionId], linkedDecisionRecordIds: [] },
    degradationReason: "LongTable-native panel workers are optional; bridge failure is reported explicitly.",
  }];
  state.questionLog = [...(state.questionLog ?? []), {
    id: questionId, createdAt: now, updatedAt: now, status: "pending",
    prompt: {
      id: cliId("question_prompt"), checkpointKey: "panel_next_decision", title: "Panel follow-up decision",
      question: "What should LongTable treat as the next human decision after this panel review?", type: "single_choice",
      options: [{ value: "revise", label: "Revise reviewed issue", description: "Revise before proceeding.", recommended: true }, { value: "evidence", label: "Verify evidence first", description: "Check support first." }, { value: "proceed", label: "Proceed with current direction", description: "Accept the risk." }],
      allowOther: true, otherLabel: "Other decision", required: sensitivity === "high", source: "runtime_guidance",
      rationale: [`Panel checkpoint sensitivity: ${sensitivity}.`], displayReason: "The researcher decides after the panel.", preferredSurfaces: ["tmux_popup", "mcp_elicitation", "numbered"],
    },
  }];
  writeFileSync(statePath, JSON.stringify(state, null, 2)); // the CLI writes state.json in place (no temp file, no lock)
  writeFileSync(join(repo, "CURRENT.md"), currentMd(WS_NAME, state.invocationLog));
  return { invocationId, planId };
}

/** What `panel status`/`--wait` records for a completed or blocked run: member results + evidence in state.json. */
function recordPanelResult(repo: string, invocationId: string, status: string, members: Json[]) {
  const statePath = join(repo, ".longtable", "state.json");
  const state = readJson(statePath);
  const now = nowIso();
  let linkedQuestions: string[] = [];
  state.invocationLog = state.invocationLog.map((inv: Json) => {
    if (inv.id !== invocationId) return inv;
    linkedQuestions = inv.panelResult.linkedQuestionRecordIds;
    return { ...inv, updatedAt: now, status, surface: "native_workers", panelResult: { ...inv.panelResult, updatedAt: now, status, surface: "native_workers", memberResults: members },
      degradationReason: "LongTable-native worker outputs were recorded as structured panel evidence; runtime state remains under .longtable/panel-runs and hidden reasoning/raw tmux logs stay out of handoff." };
  });
  const evidence = members.filter((m) => m.summary || m.claims?.length || m.objections?.length).map((m) => ({
    id: cliId("evidence"), createdAt: now, sourceKind: m.role.includes("critic") ? "critic" : m.role.includes("review") ? "reviewer" : "panel",
    sourceId: `${invocationId}:${m.role}`, role: m.role, summary: m.summary,
    rawText: [`Summary: ${m.summary}`, m.claims.length ? `Claims: ${m.claims.join("; ")}` : "", m.objections.length ? `Objections: ${m.objections.join("; ")}` : ""].filter(Boolean).join("\n"),
    linkedInvocationRecordIds: [invocationId], linkedQuestionRecordIds: linkedQuestions, linkedDecisionRecordIds: [],
  }));
  state.evidenceRecords = [...(state.evidenceRecords ?? []), ...evidence];
  writeFileSync(statePath, JSON.stringify(state, null, 2));
  writeFileSync(join(repo, "CURRENT.md"), currentMd(WS_NAME, state.invocationLog));
}

function appendEvent(ctx: Ctx, event: Json) {
  if (ctx.version === "0.1.57") return; // 0.1.57 kept no events.jsonl
  appendFileSync(join(ctx.runDir, "events.jsonl"), `${JSON.stringify({ id: cliId("event"), createdAt: nowIso(), ...event })}\n`);
}

/** run.json (atomically, as the CLI does) and — 0.1.59+ — each worker's `.longtable-worker/state.json` when its worktree exists. */
function writeRun(ctx: Ctx) {
  ctx.run.updatedAt = nowIso();
  const tmp = join(ctx.runDir, `run.json.${process.pid}.${Date.now()}.tmp`);
  writeJson(tmp, ctx.run);
  execFileSync("mv", [tmp, join(ctx.runDir, "run.json")]);
  if (ctx.version === "0.1.57") return;
  for (const w of ctx.run.workers as Json[]) {
    if (!existsSync(dirname(w.taskStatePath)) || !existsSync(w.worktreePath)) continue;
    writeJson(w.taskStatePath, { workerId: w.id, status: w.status, executionState: w.executionState, paneId: w.paneId, runtime: w.runtime, worktreePath: w.worktreePath, worktreeBranch: w.worktreeBranch, worktreeCommit: w.worktreeCommit, cleanupStatus: w.cleanupStatus, failureReason: w.failureReason, error: w.error, updatedAt: w.updatedAt });
  }
}

function runtimePaths(ctx: Ctx, workerId: string) {
  if (ctx.version === "0.1.57") {
    const d = ctx.runDir;
    return { taskPath: join(d, "tasks", `${workerId}.md`), resultPath: join(d, "results", `${workerId}.json`), logPath: join(d, "logs", `${workerId}.log`), launcherPath: join(d, "launchers", `${workerId}.sh`), exitCodePath: join(d, "results", `${workerId}.exit.json`) };
  }
  const wt = join(ctx.runDir, "worktrees", workerId);
  const rt = join(wt, ".longtable-worker");
  return { taskPath: join(rt, "task.md"), resultPath: join(rt, "result.json"), logPath: join(rt, "worker.log"), launcherPath: join(rt, "launch.sh"), exitCodePath: join(rt, "result.exit.json"), worktreePath: wt, worktreeBranch: `longtable/panel/${ctx.runId}/${workerId}`, mailboxPath: join(rt, "mailbox.jsonl"), taskStatePath: join(rt, "state.json") };
}

/** createPanelWorkerRun: the run folder and a planned run.json. */
function createRun(ctx: Ctx, ids: { invocationId: string; planId: string }, prompt: string, mode: string) {
  const d = ctx.runDir;
  const now = nowIso();
  const v57 = ctx.version === "0.1.57";
  mkdirSync(d, { recursive: true });
  for (const sub of v57 ? ["tasks", "results", "logs", "launchers"] : ["worktrees"]) mkdirSync(join(d, sub), { recursive: true });
  const workers = ctx.members.map((m, i) => {
    const id = `worker-${i + 1}-${m.role}`;
    return { id, role: m.role, label: m.label, required: true, status: "pending", ...runtimePaths(ctx, id),
      ...(v57 ? {} : { cleanupStatus: "not_started", executionState: "not_started" }), updatedAt: now, diagnostics: [] as string[] };
  });
  ctx.run = {
    schemaVersion: 1, id: ctx.runId, createdAt: now, updatedAt: now, invocationId: ids.invocationId, planId: ids.planId, provider: "codex",
    prompt, mode, visibility: "always_visible", requestedSurface: "native_workers", fallbackSurface: "sequential_fallback", status: "planned",
    workingDirectory: ctx.repo, runDirectory: d, taskDirectory: join(d, "tasks"), resultDirectory: join(d, "results"), logDirectory: join(d, "logs"), launcherDirectory: join(d, "launchers"),
    ...(v57 ? {} : { worktreeDirectory: join(d, "worktrees"), mailboxDirectory: join(d, "mailbox"), eventLogPath: join(d, "events.jsonl") }),
    outputSchemaPath: join(d, "panel-worker-output.schema.json"), stopFilePath: join(d, "stop-requested"), aggregateResultPath: join(d, "panel-result.json"),
    ...(v57 ? {} : { bridgeStatus: "not_requested", sequentialFallbackAvailable: true }),
    workers, diagnostics: ["tmux:available", "codex:available"],
  };
  writeJson(join(d, "schema.json"), RUN_SCHEMA);
  writeJson(ctx.run.outputSchemaPath, OUTPUT_SCHEMA);
  appendEvent(ctx, { type: "run_created", message: "LongTable native worker bridge run created." });
  if (v57) for (const w of workers) writeFileSync(w.taskPath, taskText({ version: ctx.version, member: w, invocationId: ids.invocationId, planId: ids.planId, prompt, resultPath: w.resultPath, logPath: w.logPath }));
  writeRun(ctx);
}

/** launchPanelWorkerRun: provision (0.1.59+: worktree + leader patch), task, launcher, a tmux pane, the launcher's first writes. */
function launchRun(ctx: Ctx) {
  const now = nowIso();
  const v57 = ctx.version === "0.1.57";
  const patch = v57 ? Buffer.alloc(0) : git(ctx.repo, ["diff", "--binary", "HEAD"]);
  ctx.carried = v57 ? [] : gitText(ctx.repo, "diff", "--name-only", "HEAD").split("\n").filter(Boolean);
  ctx.run.workers = (ctx.run.workers as Json[]).map((w, i) => {
    const diagnostics: string[] = [];
    let base: string | undefined;
    if (!v57) {
      mkdirSync(dirname(w.worktreePath), { recursive: true });
      git(ctx.repo, ["worktree", "add", w.worktreePath, "-b", w.worktreeBranch, "HEAD"]);
      base = gitText(w.worktreePath, "rev-parse", "HEAD");
      diagnostics.push("Writable git worktree provisioned for LongTable native worker.");
      if (patch.length > 0) {
        git(w.worktreePath, ["apply", "--whitespace=nowarn", "-"], patch);
        diagnostics.push("Leader tracked workspace changes were applied to the worker worktree before launch.");
      }
      mkdirSync(dirname(w.mailboxPath), { recursive: true });
      appendFileSync(w.mailboxPath, "");
      appendEvent(ctx, { workerId: w.id, type: "worktree_provisioned", message: `Worker worktree provisioned at ${w.worktreePath}.`, path: w.worktreePath });
      writeFileSync(w.taskPath, taskText({ version: ctx.version, member: { role: w.role, label: w.label }, invocationId: ctx.run.invocationId, planId: ctx.run.planId, prompt: ctx.run.prompt, resultPath: w.resultPath, logPath: w.logPath, worktreePath: w.worktreePath, mailboxPath: w.mailboxPath, taskStatePath: w.taskStatePath }));
    }
    writeFileSync(w.launcherPath, launcherText({ version: ctx.version, runId: ctx.runId, workerId: w.id, member: { role: w.role, label: w.label }, cwd: v57 ? ctx.repo : w.worktreePath, stopFilePath: ctx.run.stopFilePath, outputSchemaPath: ctx.run.outputSchemaPath, taskPath: w.taskPath, resultPath: w.resultPath, logPath: w.logPath, exitCodePath: w.exitCodePath }));
    chmodSync(w.launcherPath, 0o755);
    const paneId = `%${41 + i}`;
    // The pane started the launcher: its log line, (0.1.59+) its marker, and codex's stdout redirection.
    writeFileSync(w.logPath, `started_at=${shellDate()}\n`);
    if (!v57) writeFileSync(join(dirname(w.resultPath), `${w.id}.json`), `${JSON.stringify({ workerId: w.id, runId: ctx.runId, startedAt: shellDate() })}\n`);
    writeFileSync(`${w.resultPath}.stdout`, "");
    if (v57) {
      return { ...w, status: "running", paneId, startedAt: now, updatedAt: now, diagnostics: ["Launched with tmux/codex read-only native worker command; launcher persists the structured final output file."] };
    }
    appendEvent(ctx, { workerId: w.id, type: "worker_launched", message: `Worker launched in tmux split pane ${paneId}.`, path: w.worktreePath });
    return { ...w, worktreeCommit: base, cleanupStatus: "retained", executionState: "running", status: "running", paneId,
      runtime: { transport: "tmux", paneId, paneTarget: "%0", splitCommand: "split-window", retainPane: true, launchedAt: now },
      startedAt: now, updatedAt: now, diagnostics: [...diagnostics, "Launched in a retained current-window tmux split pane with Codex workspace-write scoped to the worker worktree."] };
  });
  ctx.run.status = "running";
  if (!v57) ctx.run.bridgeStatus = "running";
  writeRun(ctx);
}

/**
 * A worker's launcher finishing (its agent's edits, result, exit file; 0.1.59+: the `git add -A`
 * commit and result.json.commit). Like the real launcher, it never touches run.json: a run stays
 * "running" on disk until something (the CLI's `panel status`, `--wait`) refreshes it.
 */
export function finishCliWorker(fixture: Pick<CliRunFixture, "version" | "runJsonPath">, workerId: string, outcome: CliWorkerOutcome = {}): { commit?: string } {
  const run = readJson(fixture.runJsonPath);
  const w = (run.workers as Json[]).find((x) => x.id === workerId);
  if (!w) throw new Error(`run ${run.id} has no worker ${workerId}`);
  const cwd = fixture.version === "0.1.57" ? undefined : w.worktreePath as string;
  for (const [path, content] of Object.entries(cwd ? outcome.files ?? {} : {})) {
    const target = resolve(cwd!, path);
    if (!target.startsWith(`${cwd}/`)) throw new Error(`fixture file ${path} is outside the worktree`);
    if (content === null) {
      rmSync(target, { force: true });
    } else {
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, content);
    }
  }
  const code = outcome.exitCode ?? 0;
  writeJson(w.resultPath, resultJson({ role: w.role, label: w.label }, outcome));
  if (code === 0) rmSync(`${w.resultPath}.stdout`, { force: true }); // a failed codex printed nothing: the empty stdout file stays
  writeFileSync(w.exitCodePath, `{"exitCode":${code},"completedAt":"${shellDate()}"}\n`);
  appendFileSync(w.logPath, `exit_code=${code}\n`);
  if (!cwd) return {};
  if (gitText(cwd, "status", "--porcelain")) {
    git(cwd, ["add", "-A"]);
    git(cwd, ["-c", "user.name=LongTable Panel Worker", "-c", "user.email=longtable-panel-worker@example.invalid", "-c", "commit.gpgsign=false", "commit", "-q", "-m", `longtable panel worker ${workerId}`]);
  }
  const commit = gitText(cwd, "rev-parse", "HEAD");
  writeFileSync(`${w.resultPath}.commit`, `${commit}\n`);
  return { commit };
}

const statusFromWorkers = (version: CliVersion, statuses: string[]) =>
  statuses.every((s) => s === "completed") ? "completed"
    : statuses.includes("running") ? "running"
      : statuses.includes("failed") ? (version === "0.1.57" ? "resumable" : "failed")
        : statuses.includes("blocked") ? "blocked" : "running";

/** refreshPanelWorkerRun (what `panel status` and `--wait` do): results → worker states, run status, panel-result.json. */
function refreshRun(ctx: Ctx, invocationId: string) {
  const now = nowIso();
  const v57 = ctx.version === "0.1.57";
  const members: Json[] = [];
  ctx.run.workers = (ctx.run.workers as Json[]).map((w) => {
    if (!existsSync(w.resultPath)) return w;
    const r = readJson(w.resultPath);
    members.push({ role: w.role, label: w.label, status: r.status, summary: r.summary, claims: r.claims, objections: r.objections, openQuestions: r.openQuestions, evidenceRefs: r.evidenceRefs, error: r.error });
    const status = r.status === "error" ? "failed" : r.status === "blocked" ? "blocked" : "completed";
    const base = { ...w, status, ...(status === "failed" ? {} : { completedAt: now }), updatedAt: now, error: r.error };
    if (v57) return base;
    const commitFile = `${w.resultPath}.commit`;
    return { ...base, executionState: status === "failed" ? "launch_failed" : "result_ready", worktreeCommit: existsSync(commitFile) ? readFileSync(commitFile, "utf8").trim() : w.worktreeCommit,
      ...(status === "failed" ? { failureReason: r.error } : {}) };
  });
  const status = statusFromWorkers(ctx.version, ctx.run.workers.map((w: Json) => w.status));
  ctx.run.status = status;
  if (!v57) {
    ctx.run.bridgeStatus = status;
    const failed = ctx.run.workers.find((w: Json) => w.status === "failed");
    if (failed) ctx.run.bridgeFailureReason = failed.error;
  }
  if (status === "completed" || status === "blocked") {
    writeJson(ctx.run.aggregateResultPath, { id: cliId("panel_result"), planId: ctx.run.planId, createdAt: now, updatedAt: now, provider: "codex", surface: "native_workers", status, interactionDepth: "independent", memberResults: members, linkedQuestionRecordIds: [], linkedDecisionRecordIds: [] });
  }
  writeRun(ctx);
  if (status === "completed" || status === "blocked") recordPanelResult(ctx.repo, invocationId, status, members);
}

/** 0.1.59+ `panel shutdown`: stop file, panes killed, worktrees removed (branches kept), run "stopped"/"shutdown". */
function shutdownRun(ctx: Ctx) {
  const now = nowIso();
  writeFileSync(ctx.run.stopFilePath, `${now}\n`);
  ctx.run.workers = (ctx.run.workers as Json[]).map((w) => {
    git(ctx.repo, ["worktree", "remove", "--force", w.worktreePath]);
    return { ...w, status: w.status === "completed" ? "completed" : "stopped", executionState: "shutdown", shutdownRequestedAt: now, cleanupStatus: "removed",
      runtime: { ...w.runtime, shutdownAt: now }, updatedAt: now, diagnostics: [...w.diagnostics, "Shutdown requested through LongTable panel runtime."] };
  });
  Object.assign(ctx.run, { status: "stopped", bridgeStatus: "shutdown" });
  appendEvent(ctx, { type: "shutdown_requested", message: "Shutdown requested; panes killed and worker worktrees removed when possible." });
  writeRun(ctx);
}

/** 0.1.57 had no shutdown: `panel stop` on a running run (stop file, panes killed, run "stop_requested"). */
function stopRun57(ctx: Ctx) {
  const now = nowIso();
  writeFileSync(ctx.run.stopFilePath, `${now}\n`);
  ctx.run.workers = (ctx.run.workers as Json[]).map((w) => w.status === "completed" ? w
    : { ...w, status: "stopped", updatedAt: now, diagnostics: [...w.diagnostics, "Stop requested through LongTable panel runtime."] });
  ctx.run.status = "stop_requested";
  writeRun(ctx);
}

/** Create one CLI run of `kind` in `repo` (a git repo with at least one commit). */
export function createCliRun(repoPath: string, kind: CliRunKind, options: CliRunOptions = {}): CliRunFixture {
  if (!CLI_RUN_KINDS.includes(kind)) throw new Error(`unknown CLI run kind ${JSON.stringify(kind)}: use one of ${CLI_RUN_KINDS.join(", ")}`);
  const repo = resolve(repoPath);
  const version = options.version ?? "0.1.59";
  const members = options.members ?? DEFAULT_MEMBERS;
  const failRole = options.failRole ?? members[members.length - 1]!.role;
  const outcomes = members.map((m, i) => ({ ...(options.outcomes?.[m.role] ?? defaultOutcome(m, i)), ...(kind === "failed" && m.role === failRole ? { exitCode: 3, files: {} } : {}) }));
  ensureCliWorkspace(repo);
  const readme = join(repo, "README.md");
  const leaderEdit = options.leaderEdit ?? (gitText(repo, "ls-files", "README.md") ? { path: "README.md", content: `${readFileSync(readme, "utf8")}\nLeader edit, not committed yet.\n` } : false);
  if (leaderEdit) writeFileSync(join(repo, leaderEdit.path), leaderEdit.content);
  const prompt = projectPrompt(WS_NAME, options.prompt ?? "Review the study design and the sampling plan.");
  const mode = options.mode ?? "review";
  const ids = recordInvocation(repo, members, prompt, mode);
  const runId = cliId("panel_run");
  const ctx: Ctx = { version, repo, runId, runDir: join(repo, ".longtable", "panel-runs", runId), members, outcomes, run: {}, carried: [], notes: [] };
  const leaderHead = gitText(repo, "rev-parse", "HEAD");
  const leaderBranch = gitText(repo, "rev-parse", "--abbrev-ref", "HEAD");
  createRun(ctx, ids, prompt, mode);
  if (kind !== "planned") launchRun(ctx);
  if (kind === "completed" || kind === "failed" || (kind === "shutdown" && version !== "0.1.57")) {
    ctx.run.workers.forEach((w: Json, i: number) => finishCliWorker({ version, runJsonPath: join(ctx.runDir, "run.json") }, w.id, outcomes[i]));
    refreshRun(ctx, ids.invocationId);
  }
  if (kind === "shutdown") (version === "0.1.57" ? stopRun57 : shutdownRun)(ctx);
  if (kind === "running") ctx.notes.push("Workers are running in tmux panes of the user's default server; no result files yet. finishCliWorker() plays a launcher finishing without touching run.json.");
  if (version === "0.1.57") ctx.notes.push("0.1.57 workers ran read-only in the leader checkout: no worktrees, branches or commits; nothing to review or merge.");
  if (kind === "shutdown" && version === "0.1.57") ctx.notes.push("0.1.57 had no `panel shutdown`; this is `panel stop` on a running run (status stop_requested, workers stopped).");
  const workers: CliFixtureWorker[] = ctx.run.workers.map((w: Json, i: number) => {
    const hasBranch = version !== "0.1.57" && kind !== "planned";
    // After a result the CLI's worktreeCommit is the launcher's commit; before, it is the fork point.
    const commit = hasBranch && ["completed", "blocked", "failed"].includes(w.status) ? (w.worktreeCommit as string) : undefined;
    const forkPoint = !hasBranch ? undefined : gitText(repo, "rev-parse", commit ? `${commit}^` : w.worktreeBranch);
    return { id: w.id, role: w.role, label: w.label, status: w.status, ...(hasBranch ? { branch: w.worktreeBranch, worktreePath: w.worktreePath, forkPoint } : {}),
      ...(commit ? { commit } : {}), ownFiles: version === "0.1.57" || !commit ? [] : Object.keys(outcomes[i]!.files ?? {}).sort(),
      committedFiles: commit ? gitText(repo, "show", "--name-only", "--format=", commit).split("\n").filter(Boolean).sort() : [] };
  });
  const panes = kind === "planned" ? [] : ctx.run.workers.map((w: Json) => ({ workerId: w.id, paneId: w.paneId ?? w.runtime?.paneId }));
  return {
    version, kind, repo, runId, runDirectory: ctx.runDir, runJsonPath: join(ctx.runDir, "run.json"), invocationId: ids.invocationId, planId: ids.planId,
    leader: { head: leaderHead, branch: leaderBranch, carriedFiles: ctx.carried },
    workers,
    tmux: version === "0.1.57"
      ? { server: "the user's default tmux server", launch: "tmux new-window -d -P -F '#{pane_id}' -n lt-<first 12 chars of the worker id> 'bash <launchers/<id>.sh>' (outside tmux: new-session -d -s longtable-<runId>-<workerId>)", panes }
      : { server: "the user's default tmux server (the $TMUX of the terminal that ran longtable)", launch: "tmux split-window -d -P -F '#{pane_id}' -t $TMUX_PANE 'cd <worktree> && bash <worktree>/.longtable-worker/launch.sh'; then set-option -p -t <pane> remain-on-exit on", panes },
    notes: ctx.notes,
  };
}

// By hand: print the fixture as JSON.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const [repo, kind, ...rest] = process.argv.slice(2);
  const vi = rest.indexOf("--version");
  if (!repo || !kind) {
    console.error("usage: node --import tsx test/support/cli-runs.ts <git repo> <completed|planned|failed|shutdown|running> [--version 0.1.57|0.1.59]");
    process.exit(2);
  }
  console.log(JSON.stringify(createCliRun(repo, kind as CliRunKind, { version: (vi >= 0 ? rest[vi + 1] : undefined) as CliVersion | undefined }), null, 2));
}
