/**
 * Making the panel's runs visible to the LongTable CLI (docs/cli-interop.md §5). The CLI reads runs
 * only inside a LongTable workspace (a folder with .longtable/project.json and
 * .longtable/current-session.json), and `longtable panel status` finds a run through its
 * invocation in `.longtable/state.json` (`invocationLog`). In a workspace, the panel appends a
 * minimal invocation record for each run it creates; outside one it changes nothing (turning the
 * user's repository into a workspace is `longtable start`'s job).
 *
 * The CLI rewrites state.json in place, without a lock: the append re-reads just before, writes a
 * temp file and renames it, then re-reads to confirm (once more if a CLI write raced it). Other
 * records are never touched, and no question is added (a pending required question would block
 * the user's next `longtable panel`).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { PanelRun } from "../core/records";
import { readJsonData } from "./run-files";
import { writeFileAtomicSync } from "./safe-fs.mjs";

export function isCliWorkspace(repo: string): boolean {
  return existsSync(join(repo, ".longtable", "project.json")) && existsSync(join(repo, ".longtable", "current-session.json"));
}

function invocationRecord(run: PanelRun) {
  const roles = run.workers.map((w) => w.role);
  const provider = run.workers.some((w) => w.agent === "claude") && !run.workers.some((w) => w.agent === "codex") ? "claude" : "codex";
  const mode = ["review", "critique", "draft", "commit"].includes(run.mode) ? run.mode : "review";
  return {
    id: run.invocationId,
    createdAt: run.createdAt,
    updatedAt: run.createdAt,
    status: "planned",
    provider,
    surface: "native_workers",
    interactionDepth: "independent",
    intent: {
      id: run.invocationId.replace(/^invocation_/, "intent_"),
      kind: "panel",
      mode,
      prompt: run.prompt,
      roles,
      provider,
      requestedSurface: "native_workers",
      visibility: "always_visible",
      checkpointSensitivity: "low",
      rationale: ["Started from LongTable Panel (the browser control panel)."],
    },
    panelResult: {
      id: run.id.replace(/^panel_run_/, "panel_result_"),
      planId: run.planId,
      createdAt: run.createdAt,
      updatedAt: run.createdAt,
      provider,
      surface: "native_workers",
      status: "planned",
      interactionDepth: "independent",
      memberResults: run.workers.map((w) => ({ role: w.role, label: w.label, status: "planned" })),
      linkedQuestionRecordIds: [],
      linkedDecisionRecordIds: [],
    },
  };
}

/**
 * Register the run in the workspace's invocation log. Returns what happened, in words, for the
 * run's diagnostics ("not a LongTable workspace" is not an error: there is nothing to do).
 */
export function registerWithCli(repo: string, run: PanelRun): { registered: boolean; note: string } {
  if (!isCliWorkspace(repo)) {
    return { registered: false, note: "Not a LongTable workspace: the LongTable CLI reads runs only inside one (`longtable start`), so `longtable panel status` will not list this run." };
  }
  const path = join(repo, ".longtable", "state.json");
  for (let attempt = 0; attempt < 3; attempt++) {
    const state = existsSync(path) ? readJsonData<Record<string, unknown>>(path) : {};
    if (!state || typeof state !== "object" || Array.isArray(state)) {
      return { registered: false, note: ".longtable/state.json is not a JSON object: the run was not added to the LongTable CLI's invocation log." };
    }
    const log = Array.isArray(state.invocationLog) ? state.invocationLog : [];
    if (log.some((r) => r && typeof r === "object" && (r as { id?: unknown }).id === run.invocationId)) {
      return { registered: true, note: `Registered in the LongTable CLI's invocation log as ${run.invocationId}.` };
    }
    writeFileAtomicSync(path, JSON.stringify({ ...state, invocationLog: [...log, invocationRecord(run)] }, null, 2));
  }
  return { registered: false, note: ".longtable/state.json kept changing while the panel wrote it: the run is not in the LongTable CLI's invocation log." };
}
