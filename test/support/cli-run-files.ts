/**
 * Text and JSON builders for the LongTable CLI fixtures (see cli-runs.ts and docs/cli-interop.md).
 * Our own code: it produces files in the shape the CLI writes (field names, file names, the
 * order of steps), read from the CLI's public source; nothing here is the CLI's code.
 */
import { randomBytes } from "node:crypto";

export type CliVersion = "0.1.57" | "0.1.59";

export interface CliMember {
  role: string;
  label: string;
}

/** What a worker's agent "did": the result it printed, its exit code and the files it wrote. */
export interface CliWorkerOutcome {
  status?: "completed" | "blocked" | "error";
  summary?: string;
  claims?: string[];
  objections?: string[];
  openQuestions?: string[];
  evidenceRefs?: string[];
  error?: string;
  /** Non-zero: the agent failed and printed nothing; the launcher writes an error result. */
  exitCode?: number;
  /** Files the agent writes in its worktree (null deletes); 0.1.59+ only (0.1.57 workers were read-only). */
  files?: Record<string, string | null>;
}

export const DEFAULT_MEMBERS: CliMember[] = [
  { role: "reviewer", label: "Reviewer" },
  { role: "methods_critic", label: "Methods Critic" },
];

/** The CLI's persona table decides the plan's checkpoint sensitivity (high ones make the follow-up question required). */
const HIGH_SENSITIVITY = new Set(["theory_critic", "methods_critic", "measurement_auditor", "ethics_reviewer"]);
export const sensitivityOf = (members: readonly CliMember[]) =>
  members.some((m) => HIGH_SENSITIVITY.has(m.role)) ? "high" : "medium";

/** Ids as the CLI makes them: `<prefix>_<Date.now() base36>_<6 base36 chars>`. */
export function cliId(prefix: string, now = Date.now()): string {
  const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
  const tail = [...randomBytes(6)].map((b) => alphabet[b % 36]).join("");
  return `${prefix}_${now.toString(36)}_${tail}`;
}

/** `date -u +%Y-%m-%dT%H:%M:%SZ`, the launcher's timestamps (second precision). */
export const shellDate = (d = new Date()) => `${d.toISOString().slice(0, 19)}Z`;

export const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

export const OUTPUT_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: ["role", "label", "status", "summary", "claims", "objections", "openQuestions", "evidenceRefs", "error"],
  properties: {
    role: { type: "string" },
    label: { type: "string" },
    status: { enum: ["completed", "blocked", "error"] },
    summary: { type: "string" },
    claims: { type: "array", items: { type: "string" } },
    objections: { type: "array", items: { type: "string" } },
    openQuestions: { type: "array", items: { type: "string" } },
    evidenceRefs: { type: "array", items: { type: "string" } },
    error: { type: "string" },
  },
};

export const RUN_SCHEMA = {
  schemaVersion: 1,
  kind: "longtable.panelWorkerRun",
  note: "Durable worker state stores task/status/result metadata, not hidden reasoning or raw tool traces.",
};

/** The prompt the CLI stores when the repo is a LongTable workspace: a project-context preamble, a blank line, the user's text. */
export function projectPrompt(projectName: string, text: string): string {
  return [
    "LongTable project context",
    `project: ${projectName}`,
    "current session goal: Check the study design before data collection.",
    "current blocker: The sampling plan is not settled.",
    "research object: study_design",
    "gap/tacit risk: suspected_tacit_assumptions",
    "protected decision: method",
    "requested perspectives: auto",
    "disagreement preference: always_visible",
    "",
    text,
  ].join("\n");
}

export interface TaskInput {
  version: CliVersion;
  member: CliMember;
  invocationId: string;
  planId: string;
  prompt: string;
  resultPath: string;
  logPath: string;
  worktreePath?: string;
  mailboxPath?: string;
  taskStatePath?: string;
}

/** task.md: the worker's instructions (no trailing newline, like the CLI's). */
export function taskText(t: TaskInput): string {
  const lines = [
    "LongTable native panel worker",
    "",
    `Role: ${t.member.label} (${t.member.role})`,
    `Invocation: ${t.invocationId}`,
    `Panel plan: ${t.planId}`,
    "",
    "Instructions:",
    t.version === "0.1.57"
      ? "- Work read-only unless the researcher explicitly asked for drafting."
      : "- Work inside the assigned writable worker worktree; do not mutate the leader checkout directly.",
    "- Do not expose or persist hidden reasoning, private tool traces, or chain-of-thought.",
    "- Persist only the structured final role output to the result path below.",
    "- Return JSON matching this shape:",
    '  {"role":"...","label":"...","status":"completed","summary":"...","claims":[],"objections":[],"openQuestions":[],"evidenceRefs":[],"error":""}',
    "",
    `Result path: ${t.resultPath}`,
    `Log path: ${t.logPath}`,
  ];
  if (t.version !== "0.1.57") {
    lines.push(
      t.worktreePath ? `Writable worker worktree: ${t.worktreePath}` : "",
      t.mailboxPath ? `Worker mailbox: ${t.mailboxPath}` : "",
      t.taskStatePath ? `Worker task lifecycle state: ${t.taskStatePath}` : "",
    );
  }
  lines.push("", "Research object:", t.prompt);
  return lines.join("\n");
}

export interface LauncherInput {
  version: CliVersion;
  runId: string;
  workerId: string;
  member: CliMember;
  cwd: string;
  stopFilePath: string;
  outputSchemaPath: string;
  taskPath: string;
  resultPath: string;
  logPath: string;
  exitCodePath: string;
}

/**
 * launch.sh (0.1.59+, in the worktree) or launchers/<id>.sh (0.1.57): the same steps in the same
 * order as the CLI's launcher (log start, marker, stop-file check, codex exec with the output
 * schema, keep only the schema's fields, exit file, error result, then — 0.1.59+ — commit
 * everything with `git add -A` and record HEAD). Written here in our own words.
 */
export function launcherText(l: LauncherInput): string {
  const q = quote;
  const stdout = `${l.resultPath}.stdout`;
  const wt = l.version === "0.1.57" ? undefined : l.cwd;
  const keepFields =
    "const fs=require('fs');const [src,dst]=process.argv.slice(1);const o=JSON.parse(fs.readFileSync(src,'utf8').trim());" +
    "const list=(v)=>Array.isArray(v)?v.filter((x)=>typeof x==='string'):[];const text=(v)=>typeof v==='string'?v:'';" +
    "const status=['completed','blocked','error'].includes(o.status)?o.status:'error';" +
    "fs.writeFileSync(dst,JSON.stringify({role:text(o.role),label:text(o.label),status,summary:text(o.summary),claims:list(o.claims),objections:list(o.objections),openQuestions:list(o.openQuestions),evidenceRefs:list(o.evidenceRefs),error:text(o.error)},null,2)+'\\n');";
  const copyAsIs = "const fs=require('fs');const [src,dst]=process.argv.slice(1);fs.writeFileSync(dst,JSON.stringify(JSON.parse(fs.readFileSync(src,'utf8').trim()),null,2)+'\\n');";
  const errorResult =
    "const fs=require('fs');const [dst,role,label,code]=process.argv.slice(1);" +
    "fs.writeFileSync(dst,JSON.stringify({role,label,status:'error',summary:'',claims:[],objections:[],openQuestions:[],evidenceRefs:[],error:'codex exec exited '+code},null,2)+'\\n');";
  const lines = [
    "#!/usr/bin/env bash",
    "set +e",
    `printf 'started_at=%s\\n' "$(date -u +'%Y-%m-%dT%H:%M:%SZ')" > ${q(l.logPath)}`,
  ];
  if (wt) {
    const marker = `${wt}/.longtable-worker/${l.workerId}.json`;
    lines.push(
      `mkdir -p ${q(`${wt}/.longtable-worker`)}`,
      `printf '{"workerId":"%s","runId":"%s","startedAt":"%s"}\\n' ${q(l.workerId)} ${q(l.runId)} "$(date -u +'%Y-%m-%dT%H:%M:%SZ')" > ${q(marker)}`,
    );
  }
  lines.push(
    `if [ -f ${q(l.stopFilePath)} ]; then`,
    `  printf 'stop_requested_before_launch\\n' >> ${q(l.logPath)}`,
    "  exit 0",
    "fi",
    `codex exec -s ${wt ? "workspace-write" : "read-only"} -C ${q(l.cwd)} --skip-git-repo-check --output-schema ${q(l.outputSchemaPath)} - < ${q(l.taskPath)} > ${q(stdout)} 2>/dev/null`,
    "code=$?",
    `if [ -s ${q(stdout)} ]; then`,
    `  node -e ${q(wt ? keepFields : copyAsIs)} ${q(stdout)} ${q(l.resultPath)}`,
    "  parse_code=$?",
    `  rm -f ${q(stdout)}`,
    '  if [ "$parse_code" -ne 0 ]; then code=1; fi',
    "fi",
    `printf '{"exitCode":%s,"completedAt":"%s"}\\n' "$code" "$(date -u +'%Y-%m-%dT%H:%M:%SZ')" > ${q(l.exitCodePath)}`,
    `printf 'exit_code=%s\\n' "$code" >> ${q(l.logPath)}`,
    `if [ "$code" -ne 0 ] && [ ! -s ${q(l.resultPath)} ]; then`,
    `  node -e ${q(errorResult)} ${q(l.resultPath)} ${q(l.member.role)} ${q(l.member.label)} "$code"`,
    "fi",
  );
  if (wt) {
    const status = "/tmp/longtable-worker-status.$$";
    lines.push(
      `if git -C ${q(wt)} status --porcelain >${status} 2>/dev/null && [ -s ${status} ]; then`,
      `  git -C ${q(wt)} add -A >/dev/null 2>&1`,
      `  git -C ${q(wt)} -c user.name='LongTable Panel Worker' -c user.email='longtable-panel-worker@example.invalid' commit -m ${q(`longtable panel worker ${l.workerId}`)} >/dev/null 2>&1`,
      "fi",
      `rm -f ${status}`,
      `git -C ${q(wt)} rev-parse HEAD > ${q(`${l.resultPath}.commit`)} 2>/dev/null`,
    );
  }
  lines.push("exit $code", "");
  return lines.join("\n");
}

/** The result file the launcher leaves: the schema's nine fields (0.1.59+ keeps only these). */
export function resultJson(member: CliMember, o: CliWorkerOutcome) {
  if (o.exitCode && o.exitCode !== 0) {
    return { role: member.role, label: member.label, status: "error", summary: "", claims: [], objections: [], openQuestions: [], evidenceRefs: [], error: `codex exec exited ${o.exitCode}` };
  }
  return {
    role: member.role,
    label: member.label,
    status: o.status ?? "completed",
    summary: o.summary ?? `${member.label} reviewed the design.`,
    claims: o.claims ?? [],
    objections: o.objections ?? [],
    openQuestions: o.openQuestions ?? [],
    evidenceRefs: o.evidenceRefs ?? [],
    error: o.error ?? "",
  };
}

/** Default outcomes: two members who disagree about the same point (the synthesis must mark it). */
export function defaultOutcome(member: CliMember, index: number): CliWorkerOutcome {
  if (index === 0) {
    return {
      summary: `${member.label}: the design holds up.`,
      claims: ["The sample size is adequate for the main analysis."],
      objections: [],
      openQuestions: ["Which covariates are pre-registered?"],
      evidenceRefs: ["README.md"],
      files: { [`${member.role}-notes.md`]: `# ${member.label} notes\n\nThe sample size is adequate for the main analysis.\n` },
    };
  }
  return {
    summary: `${member.label}: the sampling plan needs work.`,
    claims: ["Randomisation is described clearly."],
    objections: ["The sample size is not adequate for the main analysis."],
    openQuestions: [],
    evidenceRefs: ["README.md"],
    files: { [`${member.role}-notes.md`]: `# ${member.label} notes\n\nThe sample size is not adequate for the main analysis.\n` },
  };
}

/** .longtable/project.json and current-session.json as `longtable start` writes them (our values). */
export function workspaceFiles(repo: string, name: string, now: string) {
  const project = {
    schemaVersion: 1,
    product: "LongTable",
    projectName: name,
    projectPath: repo,
    createdAt: now,
    contractVersion: "workspace-v2",
    locale: "en",
    globalSetupSummary: { field: "unspecified", careerStage: "unspecified", experienceLevel: "advanced", checkpointIntensity: "balanced", defaultPanelPreference: "show_on_conflict" },
  };
  const session = {
    schemaVersion: 1,
    id: `${name.toLowerCase().replace(/[^a-z0-9]+/g, "-")}-${Date.parse(now)}`,
    createdAt: now,
    lastUpdatedAt: now,
    projectName: name,
    projectPath: repo,
    currentGoal: "Check the study design before data collection.",
    currentBlocker: "The sampling plan is not settled.",
    researchObject: "study_design",
    gapRisk: "suspected_tacit_assumptions",
    protectedDecision: "method",
    nextAction: "Settle the sampling plan.",
    openQuestions: ["Is the sample large enough for the main analysis?"],
    requestedPerspectives: ["auto"],
    disagreementPreference: "always_visible",
    activeModes: ["explore"],
    resumeHint: "Continue checking the study design.",
    locale: "en",
  };
  const state = {
    explicitState: { projectName: name, disagreementPreference: "always_visible", requestedPerspectives: ["auto"] },
    workingState: { currentGoal: session.currentGoal, currentBlocker: session.currentBlocker },
    inferredHypotheses: [],
    openTensions: [session.currentBlocker],
    decisionLog: [],
    invocationLog: [],
    questionLog: [],
    artifactRecords: [],
    narrativeTraces: [],
  };
  return { project, session, state };
}

/** CURRENT.md, which the CLI regenerates after every state change (a tracked file in most workspaces). */
export function currentMd(name: string, invocations: ReadonlyArray<{ intent: { kind: string; mode: string; roles: string[] }; surface: string; status: string }>): string {
  const recent = invocations.slice(-3).reverse().map((r) => `- ${r.intent.kind}/${r.intent.mode} via ${r.surface}: ${r.intent.roles.join(", ")} (${r.status})`);
  return ["# CURRENT", "", `Project: ${name}`, "", "This file is regenerated from `.longtable/current-session.json` and `.longtable/state.json`.", "",
    "## Recent Invocations", ...(recent.length ? recent : ["- none yet"]), ""].join("\n");
}
