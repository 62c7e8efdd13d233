#!/usr/bin/env node
// `npm test`: make sure tmux, Chromium, bubblewrap and OpenSSH are there (apt-get as root, else say how), then run
// every vitest test and every Playwright spec, and close with one "N passed, N failed" line.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureBuild } from "./build.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const chromium = process.env.LONGTABLE_CHROMIUM ?? "/usr/bin/chromium";
const has = (cmd) => spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;

const missing = [];
if (!has("tmux")) missing.push("tmux");
if (!existsSync(chromium)) missing.push("chromium");
if (!has("git")) missing.push("git");
if (!has("bwrap")) missing.push("bubblewrap");
if (!existsSync("/usr/sbin/sshd")) missing.push("openssh-server");
if (!has("ssh")) missing.push("openssh-client");
if (missing.length) {
  if (process.getuid?.() === 0 && has("apt-get")) {
    console.log(`Installing ${missing.join(", ")} with apt-get…`);
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
    const r = spawnSync("apt-get", ["install", "-y", "-qq", ...missing], { stdio: "inherit", env });
    if (r.status !== 0) process.exit(r.status ?? 1);
  } else {
    console.error(`Missing: ${missing.join(", ")}. Install them first, e.g.\n  sudo apt-get install -y ${missing.join(" ")}\n(or set LONGTABLE_CHROMIUM to a Chromium binary).`);
    process.exit(1);
  }
}

// Integration tests start the real server, so build first (skipped when the build is current).
if (!ensureBuild(root)) process.exit(1);

const results = join(root, "test-results");
mkdirSync(results, { recursive: true });
const bin = (name) => join(root, "node_modules", ".bin", name);
const only = process.argv[2]; // optional: "unit" or "e2e"
const totals = { passed: 0, failed: 0 };
let failedSuite = false;

function run(label, cmd, args, reportFile, count) {
  console.log(`\n=== ${label}`);
  rmSync(reportFile, { force: true });
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: { ...process.env, FORCE_COLOR: process.env.CI ? "0" : "1" } });
  if (r.status !== 0) failedSuite = true;
  if (existsSync(reportFile)) {
    const c = count(JSON.parse(readFileSync(reportFile, "utf8")));
    totals.passed += c.passed;
    totals.failed += c.failed;
  } else if (r.status !== 0) {
    totals.failed += 1;
  }
}

if (!only) {
  console.log("\n=== typecheck (tsc --noEmit, tests included)");
  const r = spawnSync(bin("tsc"), ["--noEmit", "-p", "."], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) {
    failedSuite = true;
    totals.failed += 1;
  }
}
if (only !== "e2e") {
  run("vitest (unit + integration)", bin("vitest"), ["run", "--reporter=default", "--reporter=json", `--outputFile=${join(results, "vitest.json")}`], join(results, "vitest.json"),
    (j) => ({ passed: j.numPassedTests ?? 0, failed: (j.numFailedTests ?? 0) + (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0) }));
}
if (only !== "unit") {
  run("playwright (e2e, system Chromium)", bin("playwright"), ["test"], join(results, "e2e.json"),
    (j) => ({ passed: j.stats?.expected ?? 0, failed: (j.stats?.unexpected ?? 0) + (j.stats?.flaky ?? 0) + (j.stats?.skipped ?? 0) }));
}
if (failedSuite && totals.failed === 0) totals.failed = 1;
console.log(`\nTests: ${totals.passed} passed, ${totals.failed} failed`);
process.exit(failedSuite ? 1 : 0);
