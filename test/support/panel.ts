import { configFromEnv, type PanelConfig } from "@/server/config";
import { closePanel, createPanel, type Panel } from "@/server/panel/panel";
import { createCaller } from "@/server/trpc/root";
import type { Role } from "@/server/trpc/init";
import { tempDir } from "./repo";

export function testConfig(overrides: Partial<PanelConfig> = {}): PanelConfig {
  return {
    ...configFromEnv({} as NodeJS.ProcessEnv),
    root: process.cwd(),
    dataDir: tempDir("ltp-data-"),
    tmuxSocket: `ltp-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    ...overrides,
  };
}

export function openTestPanel(overrides: Partial<PanelConfig> = {}): Panel {
  return createPanel(testConfig(overrides));
}

export function callerFor(panel: Panel, role: Role = "operator") {
  return createCaller({ panel, role });
}

export { closePanel };
