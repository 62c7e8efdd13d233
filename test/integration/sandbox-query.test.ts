/**
 * system.sandbox: the cheap question the run page asks (is the panel's sandbox around the agents?),
 * answered from the cached bubblewrap trial; a viewer may ask it.
 */
import { afterEach, describe, expect, it } from "vitest";
import { sandboxStatus } from "@/server/bridge/sandbox";
import { removeDir } from "../support/repo";
import { callerFor, closePanel, openTestPanel } from "../support/panel";

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function panelWith(sandbox: "auto" | "off") {
  const panel = openTestPanel({ sandbox });
  cleanups.push(() => removeDir(panel.config.dataDir), () => closePanel(panel));
  return panel;
}

describe("system.sandbox", () => {
  it("says the sandbox is off, and why, when LONGTABLE_SANDBOX=off — to a viewer too", async () => {
    const viewer = callerFor(panelWith("off"), "viewer");
    const s = await viewer.system.sandbox();
    expect(s).toMatchObject({ active: false, mode: "off" });
    expect(s.reason).toMatch(/LONGTABLE_SANDBOX=off/);
  });

  it("in auto mode, answers what the trial found (bubblewrap works here: active)", async () => {
    const s = await callerFor(panelWith("auto"), "viewer").system.sandbox();
    const trial = await sandboxStatus("auto");
    expect(s.active).toBe(trial.active);
    expect(s.active, `bubblewrap should work on the test machine (${s.reason ?? ""})`).toBe(true);
    expect(s.bwrap).toMatch(/bwrap$/);
  });
});
