// A cheap fingerprint of the sources a build depends on (paths, sizes, mtimes), so `npm start`
// rebuilds only when something changed.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const INPUTS = ["app", "server", "db", "next.config.ts", "tsconfig.json", "tsconfig.build.json", "package-lock.json"];

export function sourceFingerprint(root) {
  const h = createHash("sha256");
  const walk = (rel) => {
    const abs = join(root, rel);
    if (!existsSync(abs)) return;
    const st = statSync(abs);
    if (st.isDirectory()) {
      for (const name of readdirSync(abs).sort()) walk(join(rel, name));
    } else {
      h.update(`${rel}\0${st.size}\0${Math.floor(st.mtimeMs)}\n`);
    }
  };
  for (const input of INPUTS) walk(input);
  return h.digest("hex");
}
