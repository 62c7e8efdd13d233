import { describe, expect, it } from "vitest";
import { branchFor, newRunId, roleIdSchema, runIdSchema, workerIdFor, workerIdSchema, RUN_ID_PATTERN } from "@/server/core/ids";

const hostile = ["..", "../etc", "a/b", "a b", "x;rm -rf /", "$(id)", "`id`", "-rf", "a\nb", "panel_run_../x", "", "é"];

describe("ids", () => {
  it("new run ids match the strict pattern and are unique", () => {
    const ids = new Set(Array.from({ length: 200 }, () => newRunId()));
    expect(ids.size).toBe(200);
    for (const id of ids) expect(id).toMatch(RUN_ID_PATTERN);
  });

  it.each(hostile)("rejects %j as run, worker and role id", (value) => {
    expect(runIdSchema.safeParse(value).success).toBe(false);
    expect(workerIdSchema.safeParse(value).success).toBe(false);
    expect(roleIdSchema.safeParse(value).success).toBe(false);
  });

  it("builds worker ids and branches only from valid parts", () => {
    expect(workerIdFor(0, "reviewer")).toBe("worker-1-reviewer");
    expect(() => workerIdFor(0, "../x")).toThrow(/invalid worker id/);
    const runId = newRunId();
    expect(branchFor(runId, "worker-2-editor")).toBe(`longtable/panel/${runId}/worker-2-editor`);
    expect(() => branchFor("panel_run_x/../y", "worker-2-editor")).toThrow(/invalid run id/);
  });
});
