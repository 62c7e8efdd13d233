import { defineConfig } from "@playwright/test";

/** Playwright drives the system Chromium (no browser download); override with LONGTABLE_CHROMIUM. */
export const chromiumPath = process.env.LONGTABLE_CHROMIUM ?? "/usr/bin/chromium";

export default defineConfig({
  testDir: "./e2e",
  testMatch: /.*\.spec\.ts$/,
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: true,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  globalSetup: "./e2e/support/global-setup.ts",
  globalTeardown: "./e2e/support/global-teardown.ts",
  reporter: [["list"], ["json", { outputFile: "test-results/e2e.json" }]],
  // Every spec on a desktop viewport; the live run, the review, a run found on disk and the pages of
  // phone-pages.spec.ts (hosts, settings, doctor, the merge queue, the new-run form) also on a
  // phone (390×844, touch): e2e/support/phone.ts holds what those specs do differently there.
  projects: [
    { name: "desktop" },
    {
      name: "phone",
      testMatch: /(live-run|review-merge|found-on-disk|phone-pages)\.spec\.ts$/,
      use: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
    },
  ],
  use: {
    headless: true,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: chromiumPath,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"],
    },
  },
});
