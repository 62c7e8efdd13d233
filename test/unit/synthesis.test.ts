import { describe, expect, it } from "vitest";
import { synthesize, synthesisMarkdown } from "@/server/panel/results/synthesis";

const m = (role: string, label: string, x: Partial<{ claims: string[]; objections: string[]; openQuestions: string[] }>) => ({
  workerId: `worker-1-${role}`, role, label, status: "completed", summary: `${label} summary`, claims: [], objections: [], openQuestions: [], evidenceRefs: [], ...x,
});

describe("synthesis", () => {
  it("groups overlapping objections across roles and marks disagreements", () => {
    const s = synthesize([
      m("reviewer", "Reviewer", { claims: ["The sampling strategy is adequate for the main claim"], objections: ["Effect sizes are not reported for the main regression"] }),
      m("methods_critic", "Methods Critic", { objections: ["The sampling strategy is inadequate for the main claim", "Main regression effect sizes missing"], openQuestions: ["Was the survey pre-registered?"] }),
      m("theory_critic", "Theory Critic", { openQuestions: ["Was the survey pre-registered anywhere?"] }),
    ]);
    const effect = s.objectionGroups.find((g) => g.items.length === 2);
    expect(effect?.roles.sort()).toEqual(["methods_critic", "reviewer"]);
    expect(s.questionGroups[0]!.roles.sort()).toEqual(["methods_critic", "theory_critic"]);
    expect(s.disagreements).toHaveLength(1);
    expect(s.disagreements[0]!.a.role).toBe("reviewer");
    expect(s.disagreements[0]!.b.role).toBe("methods_critic");
    const md = synthesisMarkdown({ id: "panel_run_x", prompt: "P", mode: "review", status: "completed" }, s);
    expect(md).toContain("## Reviewer (reviewer) — completed");
    expect(md).toContain("### Disagreements");
  });

  it("does not group unrelated points", () => {
    const s = synthesize([m("a", "A", { objections: ["Citation style is inconsistent"] }), m("b", "B", { objections: ["Figure 3 axis lacks units"] })]);
    expect(s.objectionGroups).toHaveLength(2);
    expect(s.disagreements).toHaveLength(0);
  });
});
