/**
 * The ssh config the panel writes for each host, in its data dir (`<data-dir>/hosts/<id>/ssh_config`,
 * mode 0600), used with `ssh -F`: the panel's own options first (ssh keeps the first value it
 * reads), then the host's extra options, then an `Include` of the user's config (or the file the
 * host names), so a destination resolves exactly as `ssh <destination>` would — aliases, keys,
 * jump hosts. BatchMode: the panel never waits for a password prompt.
 */
import { createHash } from "node:crypto";
import { mkdirSync, lstatSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { HOST_ID_PATTERN, SSH_OPTION_PATTERN, SSH_OPTIONS_RESERVED, type HostSettings } from "../../core/hosts";
import { writeFileAtomicSync } from "../safe-fs.mjs";

/** A value written into an ssh config line: double-quoted; quotes and newlines cannot be written at all. */
function configValue(value: string, what: string): string {
  if (/["\r\n\0]/.test(value)) throw new Error(`${what} cannot contain quotes or newlines`);
  return `"${value}"`;
}

/** Problems with a host's ssh options (empty when they are fine). */
export function sshOptionProblems(options: readonly string[]): string[] {
  const out: string[] = [];
  for (const o of options) {
    if (!SSH_OPTION_PATTERN.test(o)) out.push(`${JSON.stringify(o)} is not an ssh option of the form Key=value`);
    else if (SSH_OPTIONS_RESERVED.includes(o.split("=")[0]!.toLowerCase())) out.push(`${o.split("=")[0]} is set by the panel (connection sharing, commands); leave it out`);
  }
  return out;
}

export interface HostSshFiles {
  configFile: string;
  controlPath: string;
}

/**
 * A unix socket path has at most ~104 bytes, and ssh adds a random suffix while it creates one:
 * keep the control socket short — in the data dir when that is short enough, else in a private
 * 0700 folder of this user under the temp dir.
 */
function controlPathFor(dataDir: string, hostId: string): string {
  const name = createHash("sha256").update(`${dataDir}\0${hostId}`).digest("hex").slice(0, 12);
  const inData = join(dataDir, "ssh", name);
  if (inData.length <= 80) {
    mkdirSync(join(dataDir, "ssh"), { recursive: true, mode: 0o700 });
    return inData;
  }
  const dir = join(tmpdir(), `ltp-ssh-${process.getuid?.() ?? "u"}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory() || (process.getuid && st.uid !== process.getuid()) || (st.mode & 0o077) !== 0) {
    throw new Error(`${dir} is not a private folder of this user; use a shorter --data-dir`);
  }
  return join(dir, name);
}

/** Write the host's ssh config (idempotent) and say where its control socket goes. */
export function writeHostSshConfig(dataDir: string, host: HostSettings): HostSshFiles {
  if (!HOST_ID_PATTERN.test(host.id)) throw new Error(`invalid host id ${JSON.stringify(host.id)}`);
  const problems = sshOptionProblems(host.sshOptions);
  if (problems.length) throw new Error(problems.join("; "));
  const dir = join(dataDir, "hosts", host.id);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const include = host.sshConfig ?? join(homedir(), ".ssh", "config");
  if (!isAbsolute(include)) throw new Error("the host's ssh config must be an absolute path");
  const lines = [
    `# Written by LongTable Panel for host ${host.id}; rewritten whenever the host changes.`,
    "BatchMode yes",
    "ServerAliveInterval 5",
    "ServerAliveCountMax 3",
    "ConnectTimeout 15",
    ...host.sshOptions.map((o) => {
      const [key, ...rest] = o.split("=");
      return `${key} ${configValue(rest.join("="), key!)}`;
    }),
    `Include ${configValue(include, "the ssh config path")}`,
    "",
  ];
  const configFile = join(dir, "ssh_config");
  writeFileAtomicSync(configFile, lines.join("\n"), { mode: 0o600 });
  return { configFile, controlPath: controlPathFor(dataDir, host.id) };
}
