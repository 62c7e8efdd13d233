import { afterAll, describe, expect, it } from "vitest";
import { startServer } from "@/server/main";
import { closeSessionStore, openSessionStore } from "@/server/http/sessions";
import { callerFor, closePanel, openTestPanel, testConfig } from "../support/panel";
import { removeDir } from "../support/repo";

const TOKEN = "t".repeat(40);
const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

describe("sign out everywhere (system.signOutEverywhere)", () => {
  it("is for operators only; it ends every session of the panel", async () => {
    const panel = openTestPanel();
    dirs.push(panel.config.dataDir);
    const store = openSessionStore(panel.config.dataDir, { token: TOKEN });
    try {
      const ids = [store.create("operator"), store.create("viewer")];
      await expect(callerFor(panel, "viewer").system.signOutEverywhere()).rejects.toMatchObject({ code: "FORBIDDEN" });
      expect(ids.map((id) => store.roleFor(id))).toEqual(["operator", "viewer"]);
      expect(await callerFor(panel, "operator").system.signOutEverywhere()).toEqual({ signedOut: 2 });
      expect(ids.map((id) => store.roleFor(id))).toEqual([undefined, undefined]);
    } finally {
      closeSessionStore(store, panel.config.dataDir);
      await closePanel(panel);
    }
  });
});

describe("server start: tokens", () => {
  it("refuses a configured token shorter than 32 characters, or a viewer token equal to it, before it listens", async () => {
    for (const [overrides, message] of [
      [{ token: "short-token" }, /LONGTABLE_PANEL_TOKEN is 11 characters long; use at least 32/],
      [{ token: TOKEN, viewerToken: "v".repeat(12) }, /LONGTABLE_PANEL_VIEWER_TOKEN is 12 characters long/],
      [{ token: TOKEN, viewerToken: TOKEN }, /same as the operator token/],
    ] as const) {
      const config = testConfig({ port: 0, ...overrides });
      dirs.push(config.dataDir);
      await expect(startServer({ config, log: () => undefined })).rejects.toThrow(message);
    }
  });
});
