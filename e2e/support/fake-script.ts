/**
 * The scripted fake codex every e2e run uses (see test/support/fake-codex.ts for the format).
 * Each default role: says what it does, shows a plan, runs a command, then WAITS for the run's
 * gate file (see openGate) — up to about a minute, so runs nobody opens still finish — then writes
 * `notes/<role>.md`, runs a failing lint, and returns a valid result.
 *
 * Gates live in the fake codex's own folder (`<dir>/gates/<runId>/<name>`): agents run in the
 * panel's sandbox, where the run folder is hidden and only the worktree and the folders of
 * LONGTABLE_SANDBOX_WRITABLE (the e2e servers pass the fake's folder) are visible.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { FakeCodexScript, FakeCodexStep } from "../../test/support/fake-codex";

export const ROLES = [
  { role: "reviewer", label: "Reviewer" },
  { role: "theory_critic", label: "Theory Critic" },
  { role: "methods_critic", label: "Methods Critic" },
  { role: "measurement_auditor", label: "Measurement Auditor" },
] as const;

export const summaryOf = (label: string) => `${label} finds the central claim plausible but under-documented.`;
export const notePathOf = (role: string) => `notes/${role}.md`;

/** The gates folder of a fake codex binary made by makeFakeCodex. */
export const gatesDirOf = (codexBin: string) => join(dirname(codexBin), "gates");

/**
 * A shell step that waits (up to tries × 50 ms) for the gate `name` of the worker's run; the run id
 * is the name of the folder two levels above the worktree (<run dir>/worktrees/<workerId>).
 */
export function waitForGate(gatesDir: string, name = "gate-open", tries = 1200, mustOpen = false): string {
  const dir = gatesDir.replace(/'/g, "'\\''");
  const gate = `'${dir}'/"$(basename "$(dirname "$(dirname "$PWD")")")"/${name}`;
  return `for i in $(seq 1 ${tries}); do [ -f ${gate} ] && break; sleep 0.05; done; ${mustOpen ? `test -f ${gate}` : 'echo "gate passed after $i checks"'}`;
}

/** Open the gate `name` of a run. */
export function openGateIn(gatesDir: string, runId: string, name = "gate-open") {
  mkdirSync(join(gatesDir, runId), { recursive: true });
  writeFileSync(join(gatesDir, runId, name), `${new Date().toISOString()}\n`);
}

const OBJECTIONS: Record<string, string[]> = {
  reviewer: ["The sample size is not justified for the main claim."],
  theory_critic: ["Key concepts are never defined."],
  methods_critic: ["The sample size is not justified.", "No robustness checks are reported."],
  measurement_auditor: ["Units of the alpha measure are missing."],
};
const CLAIMS: Record<string, string[]> = {
  reviewer: ["The writing is clear."],
  theory_critic: ["The sample size is justified by the main power analysis."],
  methods_critic: ["The design is a sensible first step."],
  measurement_auditor: ["Every figure traces to src/app.txt."],
};
const QUESTIONS: Record<string, string[]> = {
  reviewer: ["What is the intended venue?"],
  theory_critic: ["Which prior theory does this extend?"],
  methods_critic: ["What is the intended venue for the study?"],
  measurement_auditor: [],
};

function steps(role: string, label: string, i: number, gatesDir: string): FakeCodexStep[] {
  return [
    { message: `${label} is reading the task and the repository.` },
    {
      emit: {
        type: "item.completed",
        item: { id: "plan_1", type: "todo_list", items: [{ text: "Read src/app.txt", completed: true }, { text: `Write ${notePathOf(role)}`, completed: false }] },
      },
    },
    { command: "grep -n alpha src/app.txt", output: "1:alpha\n", exitCode: 0 },
    { shell: waitForGate(gatesDir) },
    { write: { path: notePathOf(role), content: `# ${label} notes\n\n${summaryOf(label)}\n` } },
    { command: "npm run lint", output: "lint: 1 problem (notes need a citation)\n", exitCode: 1 },
    { usage: { input_tokens: 1000 + i * 111, cached_input_tokens: 100 * i, output_tokens: 200 + i * 10 } },
    {
      result: {
        role,
        label,
        status: "completed",
        summary: summaryOf(label),
        claims: CLAIMS[role] ?? [],
        objections: OBJECTIONS[role] ?? [],
        openQuestions: QUESTIONS[role] ?? [],
        evidenceRefs: [notePathOf(role)],
        error: "",
      },
    },
  ];
}

export function e2eFakeCodexScript(gatesDir: string): FakeCodexScript {
  const script: FakeCodexScript = {};
  ROLES.forEach(({ role, label }, i) => {
    script[role] = steps(role, label, i + 1, gatesDir);
  });
  return script;
}

export const runDirOf = (repo: string, runId: string) => join(repo, ".longtable", "panel-runs", runId);

/** Let the run's workers past their wait (the shared e2e server's fake codex: LTP_CODEX_BIN). */
export function openGate(_repo: string, runId: string) {
  openGateIn(gatesDirOf(process.env.LTP_CODEX_BIN!), runId);
}
