// Build the dashboard when no build of the current sources exists (shared by `npm start` and `npm test`).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sourceFingerprint } from "./fingerprint.mjs";

export function ensureBuild(root, { force = false, env = process.env } = {}) {
  const stamp = join(root, ".next", "longtable-fingerprint");
  const want = sourceFingerprint(root);
  const have = existsSync(join(root, ".next", "BUILD_ID")) && existsSync(stamp) ? readFileSync(stamp, "utf8").trim() : "";
  if (!force && have === want) return true;
  console.log(have ? "Sources changed since the last build; building the dashboard…" : "No build found; building the dashboard once (about a minute)…");
  const nextBin = join(root, "node_modules", "next", "dist", "bin", "next");
  const b = spawnSync(process.execPath, [nextBin, "build"], { cwd: root, stdio: "inherit", env: { ...env, NEXT_TELEMETRY_DISABLED: "1" } });
  if (b.status !== 0) return false;
  writeFileSync(stamp, `${want}\n`);
  return true;
}
