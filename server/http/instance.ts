/**
 * The panel's instance name: a random DNS label made once per data dir and kept in
 * <data-dir>/instance-name. The printed URL uses `<name>.localhost`, which browsers resolve to
 * loopback: a cookie set there is host-only, so no other local service (another port on
 * 127.0.0.1 or localhost, on this machine or on the laptop end of a tunnel) ever receives it.
 * The session cookie is named after it too, so two panels never overwrite each other's cookie,
 * with or without a TCP port (--socket).
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const INSTANCE_FILE = "instance-name";
const NAME = /^[a-z][a-z0-9-]{2,40}[a-z0-9]$/;

export function isInstanceName(name: string): boolean {
  return NAME.test(name);
}

export function resolveInstanceName(dataDir: string): string {
  const file = join(dataDir, INSTANCE_FILE);
  if (existsSync(file)) {
    const name = readFileSync(file, "utf8").trim();
    if (!isInstanceName(name)) {
      throw new Error(`${file} holds ${JSON.stringify(name.slice(0, 60))}, not an instance name (lowercase letters, digits and -, 4-42 characters, starting with a letter): fix it, or delete the file and a new name is made at the next start`);
    }
    return name;
  }
  // base32 without padding: lowercase letters and digits only, valid in a host name.
  const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  const name = `panel-${[...randomBytes(8)].map((b) => alphabet[b & 31]).join("")}`;
  writeFileSync(file, `${name}\n`, { mode: 0o600 });
  return name;
}

/** The session cookie's name for this instance. */
export const sessionCookieName = (instanceName: string) => `ltp_session_${instanceName}`;
