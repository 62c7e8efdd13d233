/**
 * `npx tsx scripts/screenshots.ts`: the README's screenshots of the run page and the review, at
 * desktop and phone size (docs/run-page.png, docs/review.png, docs/run-page-phone.png,
 * docs/review-phone.png). It starts the real server (built app) on a temp repo with a scripted
 * fake codex — two workers finish, two are still running — and drives the system Chromium.
 * Everything is bound to 127.0.0.1, on a throw-away tmux socket, and removed afterwards.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Page } from "@playwright/test";
import { apiOf, makeRepoWith, pollUntil, type RunRecord } from "../e2e/support/review-server";
import { startServer, stopServer } from "../e2e/support/server";
import { makeFakeCodex, type FakeCodexScript, type FakeCodexStep } from "../test/support/fake-codex";
import { chromiumPath } from "../playwright.config";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DOCS = join(ROOT, "docs");

const ANALYSIS = `import math
from statistics import mean, stdev


def cohens_d(a, b):
    """Cohen's d for two independent samples."""
    pooled = math.sqrt((stdev(a) ** 2 + stdev(b) ** 2) / 2)
    return (mean(a) - mean(b)) / pooled


def summarize(groups):
    rows = []
    for name, (a, b) in groups.items():
        rows.append((name, round(cohens_d(a, b), 3)))
    return rows
`;
const ANALYSIS_AFTER = ANALYSIS.replace(
  "    pooled = math.sqrt((stdev(a) ** 2 + stdev(b) ** 2) / 2)\n",
  "    na, nb = len(a), len(b)\n    pooled = math.sqrt(((na - 1) * stdev(a) ** 2 + (nb - 1) * stdev(b) ** 2) / (na + nb - 2))\n",
).replace("round(cohens_d(a, b), 3)))", "round(cohens_d(a, b), 2), len(a) + len(b)))");

const result = (role: string, label: string, summary: string) => ({
  role, label, status: "completed", summary, claims: [`${label}: the effect sizes are reported.`], objections: ["The pooled SD ignores group sizes."], openQuestions: [], evidenceRefs: ["src/analysis.py"], error: "",
});
const waitForGate = 'for i in $(seq 1 2400); do [ -f ../../gate-open ] && break; sleep 0.05; done';
const working = (label: string): FakeCodexStep[] => [
  { message: `${label} is reading the analysis and the draft.` },
  { command: "python -m pytest -q tests/", output: "4 passed in 0.12s\n", exitCode: 0 },
  { usage: { input_tokens: 5200, cached_input_tokens: 1200, output_tokens: 640 } },
];
const SCRIPT: FakeCodexScript = {
  reviewer: [
    ...working("Reviewer"),
    { write: { path: "src/analysis.py", content: ANALYSIS_AFTER } },
    { write: { path: "notes/review.md", content: "# Review\n\n- Pool the SD by group size.\n- Report n next to each d.\n" } },
    { result: result("reviewer", "Reviewer", "Pooled SD now weights the groups; n is reported with each d.") },
  ],
  methods_critic: [
    ...working("Methods Critic"),
    { write: { path: "notes/methods.md", content: "# Methods\n\nThe pooled SD must weight the group sizes.\n" } },
    { result: result("methods_critic", "Methods Critic", "The pooled SD must weight the group sizes.") },
  ],
  theory_critic: [...working("Theory Critic"), { command: "grep -n effect paper/intro.md", output: "3:effect sizes are small\n", exitCode: 0 }, { shell: waitForGate }, { result: result("theory_critic", "Theory Critic", "Done.") }],
  measurement_auditor: [...working("Measurement Auditor"), { command: "python src/analysis.py", output: "", exitCode: 0 }, { shell: waitForGate }, { result: result("measurement_auditor", "Measurement Auditor", "Done.") }],
};

async function shoot(page: Page, file: string, opts: { fullPage?: boolean; clipHeight?: number } = {}) {
  await page.evaluate(() => document.fonts.ready);
  const path = join(DOCS, file);
  if (opts.clipHeight) {
    const width = page.viewportSize()!.width;
    await page.screenshot({ path, fullPage: true, clip: { x: 0, y: 0, width, height: opts.clipHeight } });
  } else {
    await page.screenshot({ path, fullPage: opts.fullPage ?? false });
  }
  console.log(`wrote docs/${file}`);
}

async function main() {
  const work = realpathSync(mkdtempSync(join(tmpdir(), "ltp-shots-")));
  const codexBin = await makeFakeCodex(work, SCRIPT);
  const repo = makeRepoWith({ "README.md": "# effect sizes\n", "src/analysis.py": ANALYSIS, "paper/intro.md": "# Intro\n\nWe report\neffect sizes are small\n" });
  const server = await startServer({ repo, env: { LONGTABLE_CODEX_BIN: codexBin } });
  const browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox", "--disable-gpu"] });
  try {
    const api = apiOf(server);
    const run = await api.mutate<RunRecord>("runs.create", {
      repoPath: repo,
      prompt: "Check the effect-size code in src/analysis.py against the methods section, fix what is wrong, and write notes.",
      roles: ["reviewer", "theory_critic", "methods_critic", "measurement_auditor"],
      mode: "draft",
    });
    await api.mutate("runs.launch", { runId: run.id });
    await pollUntil(async () => {
      const r = await api.query<RunRecord>("runs.get", { runId: run.id });
      return r.workers.filter((w) => w.status === "completed").length === 2 && r.workers.filter((w) => w.status === "running").length === 2;
    }, "two workers done and two running", 90_000, 200);
    const login = `${server.printedURL.replace(/\/\/[^:/]+:/, "//127.0.0.1:")}?token=${encodeURIComponent(server.token)}`;
    const base = `http://127.0.0.1:${server.port}`;

    const sizes = [
      { suffix: "", options: { viewport: { width: 1280, height: 900 } } },
      { suffix: "-phone", options: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 } },
    ];
    for (const { suffix, options } of sizes) {
      const context = await browser.newContext(options);
      const page = await context.newPage();
      await page.goto(login);
      await page.goto(`${base}/runs/${run.id}`);
      await page.getByTestId("live-state").filter({ hasText: "live" }).waitFor();
      await page.locator('[data-testid="worker-card"][data-status="running"]').nth(1).waitFor();
      if (suffix) {
        // The phone: the run's header, actions and first cards.
        await page.locator("details.prompt-section").evaluate((d) => d.removeAttribute("open"));
        await shoot(page, `run-page${suffix}.png`, { clipHeight: 1500 });
      } else {
        await shoot(page, `run-page${suffix}.png`, { fullPage: true });
      }
      await page.goto(`${base}/runs/${run.id}/review/worker-1-reviewer?file=src/analysis.py`);
      await page.getByTestId("file-diff").locator('[data-testid="diff-line"]').first().waitFor();
      if (!suffix) await page.setViewportSize({ width: 1440, height: 900 });
      await shoot(page, `review${suffix}.png`);
      await context.close();
    }
    writeFileSync(join(repo, ".longtable", "panel-runs", run.id, "gate-open"), "");
  } finally {
    await browser.close();
    await stopServer(server.child.pid!);
    spawnSync("tmux", ["-L", server.tmuxSocket, "kill-server"], { stdio: "ignore" });
    for (const d of [work, repo, server.dataDir]) rmSync(d, { recursive: true, force: true });
  }
}

await main();
