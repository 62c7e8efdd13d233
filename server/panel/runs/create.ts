/** runs.create: a new run folder with its record, through the door. */
import { registerWithCli } from "../../bridge/cli-workspace";
import { currentBranch, ensureExcludes, headCommit } from "../../bridge/git";
import { runLayout, workerLayout } from "../../bridge/layout";
import { ensureDir, writeJsonAtomic } from "../../bridge/run-files";
import type { AgentId } from "../../core/enums";
import { PanelError } from "../../core/errors";
import { newRunId } from "../../core/ids";
import { PANEL_WORKER_OUTPUT_SCHEMA, RUN_SCHEMA_DESCRIPTOR } from "../../core/records";
import { createThroughDoor } from "../door";
import { createRunRecord, type MemberInput, type RecordPaths } from "../machine";
import type { Panel } from "../panel";
import { listHosts } from "../hosts/store";
import { addRepo } from "../repos";
import { resolveRoles } from "../roles/catalog";
import { markOwned } from "./ownership";
import { getRun, type RunView } from "./queries";
import type { CreateRunInput } from "./schemas";

/** The paths a new record carries, derived from the repo and the ids (server/bridge/layout.ts). */
export function recordPaths(repoPath: string, runId: string): RecordPaths {
  const l = runLayout(repoPath, runId);
  return {
    run: {
      runDirectory: l.runDirectory,
      worktreeDirectory: l.worktreeDirectory,
      eventLogPath: l.eventLogPath,
      outputSchemaPath: l.outputSchemaPath,
      stopFilePath: l.stopFilePath,
      aggregateResultPath: l.aggregateResultPath,
      ...l.cliDirectories,
    },
    worker: (workerId) => {
      const w = workerLayout(repoPath, runId, workerId);
      return {
        taskPath: w.taskPath, resultPath: w.resultPath, logPath: w.logPath, launcherPath: w.launcherPath, exitCodePath: w.exitCodePath,
        mailboxPath: w.mailboxPath, taskStatePath: w.taskStatePath, worktreePath: w.worktreePath, worktreeBranch: w.worktreeBranch,
      };
    },
  };
}

/**
 * Where each member's worker runs: its own choice ("local" or a registered host), else — with
 * placement "spread" — round-robin over this machine and every registered host, else here.
 */
export function placeMembers(panel: Panel, chosen: ReadonlyArray<string | undefined>, placement?: "local" | "spread"): Array<string | undefined> {
  const registered = listHosts(panel).map((h) => h.id);
  for (const h of chosen) {
    if (h && h !== "local" && !registered.includes(h)) throw new PanelError("BAD_REQUEST", `host ${h} is not registered: add it on the Hosts page first, or place the member on this machine; nothing was created`);
  }
  const spread: Array<string | undefined> = [undefined, ...registered];
  let next = 0;
  return chosen.map((h) => (h === "local" ? undefined : h ?? (placement === "spread" ? spread[next++ % spread.length] : undefined)));
}

export async function createRun(panel: Panel, input: CreateRunInput): Promise<RunView> {
  const wanted = input.members ?? (input.roles ?? []).map((role) => ({ role, agent: undefined as AgentId | undefined, model: undefined as string | undefined }));
  const hosts = placeMembers(panel, wanted.map((m) => ("host" in m ? m.host : undefined)), input.placement);
  const repo = await addRepo(panel, input.repoPath);
  const roles = resolveRoles(panel, wanted.map((m) => m.role));
  const members: MemberInput[] = wanted.map((m, i) => ({ role: roles[i]!, agent: m.agent ?? roles[i]!.defaultAgent, ...(m.model ? { model: m.model } : {}), ...(hosts[i] ? { host: hosts[i] } : {}) }));
  const leaderHead = await headCommit(repo.path);
  if (!leaderHead) {
    throw new PanelError("PRECONDITION_FAILED", `${repo.path} has no commits yet: make a first commit, then create the run`);
  }
  const now = new Date().toISOString();
  const runId = newRunId(Date.parse(now));
  const created = createRunRecord({
    runId,
    repoPath: repo.path,
    prompt: input.prompt,
    mode: input.mode,
    members,
    targetBranch: await currentBranch(repo.path),
    leaderHead,
    now,
    paths: recordPaths(repo.path, runId),
  });
  // The LongTable CLI can read it too: its invocation log (in a LongTable workspace only).
  const cli = registerWithCli(repo.path, created.run);
  const run = { ...created.run, diagnostics: [...created.run.diagnostics, cli.note] };
  const { events } = created;
  await ensureExcludes(repo.path);
  await ensureDir(run.runDirectory);
  await writeJsonAtomic(runLayout(repo.path, runId).descriptorPath, RUN_SCHEMA_DESCRIPTOR);
  await writeJsonAtomic(run.outputSchemaPath, PANEL_WORKER_OUTPUT_SCHEMA);
  markOwned(panel, run.id, repo.path);
  await createThroughDoor(panel, repo.id, run, events);
  return getRun(panel, run.id);
}
