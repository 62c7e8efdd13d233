import { readFileSync, existsSync } from "node:fs";
import { it } from "vitest";
import { realCodexHarness } from "../support/codex-env";
import { resultFor } from "../support/bridge";
it("scratch", async () => {
  const h = await realCodexHarness({ reviewer: [{ message: resultFor("reviewer", "Reviewer") }] });
  try {
    const run = await h.api.runs.create({ repoPath: h.repo, prompt: "x", roles: ["reviewer"], mode: "draft" });
    await h.api.runs.launch({ runId: run.id });
    await new Promise((r) => setTimeout(r, 6000));
    const r = await h.api.runs.get({ runId: run.id });
    const w = r.workers[0]!;
    console.log(JSON.stringify({ status: r.status, w: { status: w.status, ex: w.executionState, err: w.error } }));
    for (const f of [w.logPath]) console.log(f, existsSync(f) ? readFileSync(f, "utf8").slice(0, 3000) : "MISSING");
  } finally { await h.cleanup(); }
}, 30000);
