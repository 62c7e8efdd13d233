/**
 * The LongTable CLI's side of the run format, as a check: what the CLI (0.1.59 … 0.1.72, read
 * from its source and confirmed against a build of 0.1.72) needs from a run.json and from the
 * workspace so that `longtable panel status --run <id>` reads the run fully and exits 0.
 * Our own code; docs/cli-interop.md explains each rule.
 *
 * The CLI does not validate: it casts run.json to its PanelWorkerRun type, fills a few paths
 * (normalizePanelWorkerRun), refreshes the workers from their result files and writes run.json
 * back. So "problems" are of four kinds:
 *   crash   – the CLI throws (status exits 1);
 *   missing – a field its type requires is absent (it prints/passes `undefined`, or fills a default);
 *   invalid – a value outside its enums, or a result it will turn into a failed worker;
 *   hazard  – readable, but the CLI would act wrongly on it (write elsewhere, test or kill a pane on
 *             the wrong tmux server).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

export type CliProblemKind = "crash" | "missing" | "invalid" | "hazard";
export interface CliProblem {
  path: string;
  kind: CliProblemKind;
  message: string;
}

export const CLI_ENUMS = {
  runStatus: ["planned", "running", "completed", "blocked", "failed", "degraded", "stop_requested", "stopped", "resumable"],
  workerStatus: ["pending", "running", "completed", "blocked", "failed", "stop_requested", "stopped"],
  executionState: ["not_started", "preflight_failed", "provisioning", "provisioned", "provision_failed", "launching", "launch_failed", "running", "result_ready", "stopping", "stopped", "shutdown", "cleanup_failed"],
  bridgeStatus: ["not_requested", "preflight_failed", "provisioning", "launching", "running", "completed", "blocked", "failed", "degraded", "stop_requested", "stopped", "shutdown"],
  cleanupStatus: ["not_started", "retained", "removed", "failed"],
  mode: ["explore", "review", "critique", "draft", "commit", "submit"],
  visibility: ["synthesis_only", "show_on_conflict", "always_visible"],
  provider: ["claude", "codex"],
} as const;

/** Values a panel-made run should carry for the fields only the CLI uses (see docs/cli-interop.md). */
export function cliFieldsForPanelRun(runDirectory: string) {
  return {
    visibility: "always_visible",
    requestedSurface: "native_workers",
    fallbackSurface: "sequential_fallback",
    taskDirectory: join(runDirectory, "tasks"),
    resultDirectory: join(runDirectory, "results"),
    logDirectory: join(runDirectory, "logs"),
    launcherDirectory: join(runDirectory, "launchers"),
    mailboxDirectory: join(runDirectory, "mailbox"),
  } as const;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === "string";
const isStrList = (v: unknown) => Array.isArray(v) && v.every(isStr);

const RUN_REQUIRED_STRINGS = ["id", "createdAt", "updatedAt", "invocationId", "planId", "prompt", "workingDirectory", "runDirectory", "taskDirectory", "resultDirectory", "logDirectory", "launcherDirectory", "outputSchemaPath", "stopFilePath", "aggregateResultPath"] as const;
const RUN_OPTIONAL_STRINGS = ["bridgeFailureReason", "worktreeDirectory", "mailboxDirectory", "eventLogPath"] as const;
const WORKER_REQUIRED_STRINGS = ["id", "role", "label", "taskPath", "resultPath", "logPath", "updatedAt"] as const;
const WORKER_OPTIONAL_STRINGS = ["launcherPath", "exitCodePath", "paneId", "worktreePath", "worktreeBranch", "worktreeCommit", "mailboxPath", "taskStatePath", "failureReason", "shutdownRequestedAt", "startedAt", "completedAt", "error"] as const;

/** The CLI moves unfinished workers of a stopped/failed/planned run to the worktree layout when it reads them. */
function cliMovesPaths(runStatus: unknown, workerStatus: unknown): boolean {
  if (workerStatus === "completed" || workerStatus === "blocked" || workerStatus === "running") return false;
  return ["planned", "failed", "stopped", "stop_requested", "resumable"].includes(String(runStatus));
}

function enumCheck(out: CliProblem[], path: string, value: unknown, allowed: readonly string[], required: boolean) {
  if (value === undefined) {
    if (required) out.push({ path, kind: "missing", message: `${path} is missing (the CLI's type requires one of ${allowed.join("|")})` });
  } else if (!allowed.includes(value as string)) {
    out.push({ path, kind: "invalid", message: `${path} is ${JSON.stringify(value)}, not one of ${allowed.join("|")}` });
  }
}

/**
 * What the CLI's reader would choke on, miss or misuse in a run.json. `runDirectory`: the folder
 * the record actually lives in (the CLI writes the record back to its `runDirectory` field).
 */
export function cliReadProblems(runJson: unknown, options: { runDirectory?: string } = {}): CliProblem[] {
  const out: CliProblem[] = [];
  if (!isObj(runJson)) return [{ path: "$", kind: "crash", message: "run.json is not a JSON object" }];
  const run = runJson;
  if (!Array.isArray(run.workers)) out.push({ path: "workers", kind: "crash", message: "workers is not an array (the CLI maps over it)" });
  if (!isStr(run.runDirectory)) out.push({ path: "runDirectory", kind: "crash", message: "runDirectory is missing: the CLI joins it to fill paths and to write run.json back" });
  for (const key of RUN_REQUIRED_STRINGS) {
    if (key === "runDirectory" || isStr(run[key])) continue;
    out.push({ path: key, kind: "missing", message: `${key} is ${run[key] === undefined ? "missing" : "not a string"} (required by the CLI's PanelWorkerRun)` });
  }
  for (const key of RUN_OPTIONAL_STRINGS) {
    if (run[key] !== undefined && !isStr(run[key])) out.push({ path: key, kind: "invalid", message: `${key} is not a string` });
  }
  if (run.schemaVersion !== 1) out.push({ path: "schemaVersion", kind: run.schemaVersion === undefined ? "missing" : "invalid", message: "schemaVersion must be 1" });
  if (run.requestedSurface !== "native_workers") out.push({ path: "requestedSurface", kind: run.requestedSurface === undefined ? "missing" : "invalid", message: 'requestedSurface must be "native_workers" (the CLI reports it as the execution surface)' });
  if (run.fallbackSurface !== "sequential_fallback") out.push({ path: "fallbackSurface", kind: run.fallbackSurface === undefined ? "missing" : "invalid", message: 'fallbackSurface must be "sequential_fallback"' });
  enumCheck(out, "status", run.status, CLI_ENUMS.runStatus, true);
  enumCheck(out, "mode", run.mode, CLI_ENUMS.mode, true);
  enumCheck(out, "visibility", run.visibility, CLI_ENUMS.visibility, true);
  enumCheck(out, "bridgeStatus", run.bridgeStatus, CLI_ENUMS.bridgeStatus, false);
  enumCheck(out, "provider", run.provider, CLI_ENUMS.provider, false);
  if (!isStrList(run.diagnostics)) out.push({ path: "diagnostics", kind: "missing", message: "diagnostics is not a string array (the CLI appends to it on resume/launch)" });
  if (run.sequentialFallbackAvailable !== undefined && typeof run.sequentialFallbackAvailable !== "boolean") {
    out.push({ path: "sequentialFallbackAvailable", kind: "invalid", message: "sequentialFallbackAvailable is not a boolean" });
  }
  if (options.runDirectory && isStr(run.runDirectory) && resolve(run.runDirectory) !== resolve(options.runDirectory)) {
    out.push({ path: "runDirectory", kind: "hazard", message: `runDirectory is ${run.runDirectory} but the record is in ${options.runDirectory}: the CLI writes run.json (and panel-result.json) to the recorded paths` });
  }
  const workers = Array.isArray(run.workers) ? run.workers : [];
  const willRecord = workers.length > 0 && workers.every((w) => isObj(w) && (w.status === "completed" || w.status === "blocked"));
  if (!isStr(run.aggregateResultPath) && (willRecord || run.status === "completed" || run.status === "blocked")) {
    out.push({ path: "aggregateResultPath", kind: "crash", message: "aggregateResultPath is missing on a completed run: the CLI writes panel-result.json there on every refresh" });
  }
  workers.forEach((w, i) => workerProblems(out, run, w, `workers[${i}]`));
  return out;
}

function workerProblems(out: CliProblem[], run: Obj, w: unknown, at: string) {
  if (!isObj(w)) {
    out.push({ path: at, kind: "crash", message: `${at} is not an object` });
    return;
  }
  if (!isStr(w.id) && !isStr(w.worktreePath)) out.push({ path: `${at}.id`, kind: "crash", message: `${at}.id is missing: the CLI derives the worktree path from it` });
  for (const key of WORKER_REQUIRED_STRINGS) {
    if (!isStr(w[key]) && !(key === "id" && !isStr(w.worktreePath))) out.push({ path: `${at}.${key}`, kind: "missing", message: `${at}.${key} is missing (required by the CLI's PanelWorkerRecord)` });
  }
  for (const key of WORKER_OPTIONAL_STRINGS) {
    if (w[key] !== undefined && !isStr(w[key])) out.push({ path: `${at}.${key}`, kind: "invalid", message: `${at}.${key} is not a string` });
  }
  if (typeof w.required !== "boolean") out.push({ path: `${at}.required`, kind: "missing", message: `${at}.required is not a boolean` });
  if (!isStrList(w.diagnostics)) out.push({ path: `${at}.diagnostics`, kind: "missing", message: `${at}.diagnostics is not a string array (the CLI defaults it to [])` });
  enumCheck(out, `${at}.status`, w.status, CLI_ENUMS.workerStatus, true);
  enumCheck(out, `${at}.executionState`, w.executionState, CLI_ENUMS.executionState, false);
  enumCheck(out, `${at}.cleanupStatus`, w.cleanupStatus, CLI_ENUMS.cleanupStatus, false);
  if (w.runtime !== undefined) {
    const bad = isObj(w.runtime) ? Object.entries(w.runtime).filter(([, v]) => v !== undefined && v !== null && typeof v !== "string" && typeof v !== "boolean").map(([k]) => k) : ["(not an object)"];
    if (bad.length) out.push({ path: `${at}.runtime`, kind: "invalid", message: `${at}.runtime values must be strings or booleans (${bad.join(", ")})` });
  }
  if (!isStr(w.taskStatePath) && !cliMovesPaths(run.status, w.status) && !isStr(run.taskDirectory)) {
    out.push({ path: `${at}.taskStatePath`, kind: "crash", message: `${at}.taskStatePath and taskDirectory are both missing: the CLI joins taskDirectory to fill it` });
  }
  const socket = isObj(w.runtime) ? w.runtime.socket : undefined;
  if (isStr(w.paneId) && isStr(socket)) {
    const running = w.status === "running" || w.status === "stop_requested";
    out.push({
      path: `${at}.paneId`, kind: "hazard",
      message: `${at}.paneId ${w.paneId} lives on tmux socket ${socket}, but the CLI uses the default tmux server: ` +
        `${running ? "`panel status` marks the worker failed when no such pane is there, and " : ""}` +
        "`panel stop`/`shutdown` kill whatever pane has that id on the user's server (keep the pane only under runtime)",
    });
  }
}

/** The first folder from `start` up that holds .longtable/project.json and .longtable/current-session.json. */
export function cliWorkspaceRoot(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, ".longtable", "project.json")) && existsSync(join(dir, ".longtable", "current-session.json"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function readJson(path: string): { value?: unknown; error?: string } {
  try {
    return { value: JSON.parse(readFileSync(path, "utf8")) };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * What `longtable panel status --cwd <workspace> --run <runId>` needs beyond a readable run.json:
 * a LongTable workspace at `workspace` (or above it) holding the run, worker results the CLI
 * accepts, and — before it can record a completed/blocked run — the run's invocation in
 * .longtable/state.json (`invocationLog`).
 */
export function cliStatusProblems(workspace: string, runId: string): CliProblem[] {
  const root = cliWorkspaceRoot(workspace);
  if (!root) {
    return [{ path: "workspace", kind: "crash", message: `no .longtable/project.json + .longtable/current-session.json in ${workspace} or above: the CLI says "No LongTable workspace was found from the supplied cwd."` }];
  }
  const out: CliProblem[] = [];
  for (const f of ["project.json", "current-session.json"]) {
    if (!isObj(readJson(join(root, ".longtable", f)).value)) out.push({ path: `.longtable/${f}`, kind: "crash", message: `.longtable/${f} in ${root} is not a JSON object` });
  }
  const runPath = join(root, ".longtable", "panel-runs", runId, "run.json");
  const parsed = existsSync(runPath) ? readJson(runPath) : { error: "missing" };
  if (parsed.error) {
    return [...out, { path: "run.json", kind: "crash", message: `${runPath}: ${parsed.error === "missing" ? "not found (the CLI reads runs only from <workspace root>/.longtable/panel-runs/<id>/run.json)" : parsed.error}` }];
  }
  const run = parsed.value;
  out.push(...cliReadProblems(run, { runDirectory: dirname(runPath) }));
  if (!isObj(run) || !Array.isArray(run.workers)) return out;
  const statuses: string[] = [];
  run.workers.forEach((w, i) => statuses.push(resultProblems(out, run, w, `workers[${i}]`)));
  const willRecord = statuses.length > 0 && statuses.every((s) => s === "completed" || s === "blocked");
  out.push(...invocationProblems(root, run.invocationId, willRecord));
  return out;
}

/** Reads a worker's result as the CLI's refresh would; returns the worker status it would end with. */
function resultProblems(out: CliProblem[], run: Obj, w: unknown, at: string): string {
  if (!isObj(w)) return "failed";
  const status = String(w.status);
  let path = w.resultPath;
  if (cliMovesPaths(run.status, w.status)) {
    const wt = isStr(w.worktreePath) ? w.worktreePath : join(String(run.worktreeDirectory ?? join(String(run.runDirectory), "worktrees")), String(w.id));
    path = join(wt, ".longtable-worker", "result.json");
  }
  if (!isStr(path) || !existsSync(path)) return status;
  const r = readJson(path);
  if (!isObj(r.value)) {
    out.push({ path: `${at}.resultPath`, kind: "invalid", message: `${path} is not a JSON object: the CLI marks ${at} failed ("Worker result file could not be parsed.")` });
    return "failed";
  }
  const res = r.value;
  const mismatch = [isStr(res.role) && res.role !== w.role ? `role ${res.role} ≠ ${String(w.role)}` : "", isStr(res.label) && res.label !== w.label ? `label ${res.label} ≠ ${String(w.label)}` : ""].filter(Boolean);
  if (mismatch.length) {
    out.push({ path: `${at}.resultPath`, kind: "invalid", message: `${path}: ${mismatch.join("; ")}: the CLI marks ${at} failed` });
    return "failed";
  }
  return res.status === "error" ? "failed" : res.status === "blocked" ? "blocked" : "completed";
}

function invocationProblems(root: string, invocationId: unknown, willRecord: boolean): CliProblem[] {
  const statePath = join(root, ".longtable", "state.json");
  const state = existsSync(statePath) ? readJson(statePath) : { value: {} };
  if (state.error || !isObj(state.value)) return [{ path: ".longtable/state.json", kind: "crash", message: `.longtable/state.json is not a JSON object (${state.error ?? "wrong type"})` }];
  const log = Array.isArray(state.value.invocationLog) ? state.value.invocationLog : [];
  const inv = log.find((x) => isObj(x) && x.id === invocationId);
  if (!isObj(inv)) {
    return [{
      path: "state.json:invocationLog", kind: willRecord ? "crash" : "missing",
      message: `no invocation ${JSON.stringify(invocationId)} in ${statePath}: ${willRecord ? "" : "once the run completes, "}the CLI fails with "No panel invocation found for ${String(invocationId)}."`,
    }];
  }
  const out: CliProblem[] = [];
  const at = `state.json:invocationLog[${log.indexOf(inv)}]`;
  const intent = inv.intent;
  if (!isObj(intent) || !isStr(intent.kind) || !isStr(intent.mode) || !isStr(intent.prompt) || !isStrList(intent.roles)) {
    out.push({ path: `${at}.intent`, kind: "crash", message: `${at}.intent needs kind, mode, prompt (strings) and roles (string array): the CLI renders them into CURRENT.md and evidence` });
  }
  const pr = inv.panelResult;
  if (!isObj(pr)) {
    out.push({ path: `${at}.panelResult`, kind: "crash", message: `${at} has no panelResult: the CLI says "Invocation … does not have a panel result."` });
  } else if (!Array.isArray(pr.memberResults) || !isStrList(pr.linkedQuestionRecordIds) || !isStrList(pr.linkedDecisionRecordIds)) {
    out.push({ path: `${at}.panelResult`, kind: "crash", message: `${at}.panelResult needs memberResults, linkedQuestionRecordIds and linkedDecisionRecordIds arrays` });
  }
  if (!isStr(inv.status) || !isStr(inv.surface)) out.push({ path: at, kind: "missing", message: `${at} needs status and surface strings` });
  return out;
}
