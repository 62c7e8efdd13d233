/**
 * The scripted fake codex every e2e run uses (see test/support/fake-codex.ts for the format).
 * Each default role: says what it does, shows a plan, runs a command, then WAITS for the run's
 * gate file (`<run dir>/gate-open`, see openGate) — up to about a minute, so runs nobody opens
 * still finish — then writes `notes/<role>.md`, runs a failing lint, and returns a valid result.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FakeCodexScript, FakeCodexStep } from "../../test/support/fake-codex";

export const ROLES = [
  { role: "reviewer", label: "Reviewer" },
  { role: "theory_critic", label: "Theory Critic" },
  { role: "methods_critic", label: "Methods Critic" },
  { role: "measurement_auditor", label: "Measurement Auditor" },
] as const;

export const summaryOf = (label: string) => `${label} finds the central claim plausible but under-documented.`;
export const notePathOf = (role: string) => `notes/${role}.md`;

/** The worktree is <run dir>/worktrees/<workerId>; the gate lives in the run directory. */
const WAIT_FOR_GATE = 'for i in $(seq 1 1200); do [ -f ../../gate-open ] && break; sleep 0.05; done; echo "gate passed after $i checks"';

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

function steps(role: string, label: string, i: number): FakeCodexStep[] {
  return [
    { message: `${label} is reading the task and the repository.` },
    {
      emit: {
        type: "item.completed",
        item: { id: "plan_1", type: "todo_list", items: [{ text: "Read src/app.txt", completed: true }, { text: `Write ${notePathOf(role)}`, completed: false }] },
      },
    },
    { command: "grep -n alpha src/app.txt", output: "1:alpha\n", exitCode: 0 },
    { shell: WAIT_FOR_GATE },
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

export function e2eFakeCodexScript(): FakeCodexScript {
  const script: FakeCodexScript = {};
  ROLES.forEach(({ role, label }, i) => {
    script[role] = steps(role, label, i + 1);
  });
  return script;
}

export const runDirOf = (repo: string, runId: string) => join(repo, ".longtable", "panel-runs", runId);

/** Let the run's workers past their wait. */
export function openGate(repo: string, runId: string) {
  writeFileSync(join(runDirOf(repo, runId), "gate-open"), `${new Date().toISOString()}\n`);
}
