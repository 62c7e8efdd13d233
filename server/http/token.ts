import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The operator token: LONGTABLE_PANEL_TOKEN, else <data-dir>/token (created 0600 on first start). */
export function resolveToken(dataDir: string, fromEnv?: string): { token: string; source: "env" | "file" | "new" } {
  if (fromEnv) return { token: fromEnv, source: "env" };
  const file = join(dataDir, "token");
  if (existsSync(file)) {
    const token = readFileSync(file, "utf8").trim();
    if (token.length >= 16) {
      chmodSync(file, 0o600);
      return { token, source: "file" };
    }
  }
  const token = randomBytes(24).toString("base64url");
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { token, source: "new" };
}
