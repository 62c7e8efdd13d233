import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Tokens shorter than this are refused: the token is the only thing between a local user and the operator. */
export const MIN_TOKEN_LENGTH = 32;

/** A configured token that is too short or not printable: a message that says what to do, or undefined. */
export function tokenProblem(token: string, what: string): string | undefined {
  if (token.length < MIN_TOKEN_LENGTH) {
    return `${what} is ${token.length} characters long; use at least ${MIN_TOKEN_LENGTH} (e.g. \`openssl rand -base64 32\`)`;
  }
  if (!/^[\x21-\x7e]+$/.test(token)) return `${what} must be printable ASCII without spaces`;
  return undefined;
}

/**
 * The operator token: LONGTABLE_PANEL_TOKEN, else <data-dir>/token (created 0600 on first
 * start, 32 random characters). A token that is too short is refused, not replaced: scripts
 * that use it would otherwise stop working without a word.
 */
export function resolveToken(dataDir: string, fromEnv?: string): { token: string; source: "env" | "file" | "new" } {
  if (fromEnv !== undefined) {
    const problem = tokenProblem(fromEnv, "LONGTABLE_PANEL_TOKEN");
    if (problem) throw new Error(problem);
    return { token: fromEnv, source: "env" };
  }
  const file = join(dataDir, "token");
  if (existsSync(file)) {
    const token = readFileSync(file, "utf8").trim();
    const problem = tokenProblem(token, `the token in ${file}`);
    if (problem) throw new Error(`${problem}; or delete the file and a new token is made at the next start`);
    chmodSync(file, 0o600);
    return { token, source: "file" };
  }
  const token = randomBytes(24).toString("base64url");
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { token, source: "new" };
}

/** The viewer token, when set: long enough and not the operator token. */
export function checkViewerToken(viewerToken: string | undefined, operatorToken: string): void {
  if (viewerToken === undefined) return;
  const problem = tokenProblem(viewerToken, "LONGTABLE_PANEL_VIEWER_TOKEN");
  if (problem) throw new Error(problem);
  if (viewerToken === operatorToken) throw new Error("LONGTABLE_PANEL_VIEWER_TOKEN is the same as the operator token: give viewers a different one");
}
