import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync, rmSync, realpathSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";

export function tempDir(prefix = "ltp-"): string {
  return realpathSync(mkdtempSync(join(tmpdir(), prefix)));
}

/**
 * A temp folder outside /tmp (in /var/tmp): codex 0.169 refuses to set up its own sandbox helper
 * when CODEX_HOME is under the temp dir, and then fails every command it runs in its sandbox.
 */
export function tempDirOutsideTmp(prefix = "ltp-"): string {
  const base = existsSync("/var/tmp") ? "/var/tmp" : homedir();
  return realpathSync(mkdtempSync(join(base, prefix)));
}

export function sh(cwd: string, cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { cwd, encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] });
}

/** A temp git repo with one commit on `main` (README.md, src/app.txt). */
export function makeRepo(files: Record<string, string> = { "README.md": "# demo\n", "src/app.txt": "one\ntwo\nthree\n" }): string {
  const dir = tempDir("ltp-repo-");
  sh(dir, "git", ["init", "-q", "-b", "main"]);
  sh(dir, "git", ["config", "user.name", "Test User"]);
  sh(dir, "git", ["config", "user.email", "test@example.invalid"]);
  sh(dir, "git", ["config", "commit.gpgsign", "false"]);
  for (const [path, content] of Object.entries(files)) {
    execFileSync("mkdir", ["-p", join(dir, path, "..")]);
    writeFileSync(join(dir, path), content);
  }
  sh(dir, "git", ["add", "-A"]);
  sh(dir, "git", ["commit", "-qm", "initial"]);
  return dir;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
