/**
 * The pieces of the repository config's workspace, each against real git and bash without tmux
 * (ARCHITECTURE.md §10): launch.sh's setup phase, the committed config read as data, the files
 * copied from the leader, and port allocation.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readCommittedFile, sha256Of } from "@/server/bridge/committed-file";
import { copyIgnoredFiles } from "@/server/bridge/copy-files";
import { worktreeGit } from "@/server/bridge/git";
import { allocatePorts, portIsFree } from "@/server/bridge/ports";
import { makeWorkerFixture, readJson, runLauncher, type WorkerFixture } from "../support/launcher-fixture";
import { makeRepo, removeDir, sh, tempDir } from "../support/repo";

const fixtures: WorkerFixture[] = [];
const dirs: string[] = [];
afterAll(() => {
  fixtures.forEach((f) => f.cleanup());
  dirs.forEach(removeDir);
});

const REVIEW = { role: "reviewer", label: "Reviewer", status: "completed", summary: "ok", claims: [], objections: [], openQuestions: [], evidenceRefs: [], error: "" };

async function fixture() {
  const f = await makeWorkerFixture({ script: { reviewer: [{ shell: "cat .marker > saw.txt" }, { result: REVIEW }] }, files: { "README.md": "# r\n", ".gitignore": "node_modules/\n.marker\n" } });
  fixtures.push(f);
  return f;
}

const setupOf = (f: WorkerFixture, command: string) => ({ command, exitPath: f.paths.setupExitPath, logPath: f.paths.setupLogPath, ignoredBeforePath: f.paths.setupIgnoredBeforePath, ignoredAfterPath: f.paths.setupIgnoredAfterPath });

describe("launch.sh setup phase", () => {
  it("runs the setup (any characters, quoted once) before the agent, records its exit and what it left ignored", async () => {
    const f = await fixture();
    const command = `mkdir -p node_modules/pkg && printf '%s' "it's \\"$(echo ok)\\"" > .marker && printf '%s' ' \`x\` $HOME' >> .marker && echo 'setup says hi'`;
    f.writeLauncher({ setup: setupOf(f, command) });
    const run = await runLauncher(f.paths.launcherPath);
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(f.worktree, ".marker"), "utf8")).toBe(`it's "ok" \`x\` $HOME`);
    expect(readJson<{ exitCode: number; finishedAt: string }>(f.paths.setupExitPath)).toMatchObject({ exitCode: 0, finishedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    const listed = (p: string) => readFileSync(p, "utf8").split("\0").filter(Boolean).sort();
    expect(listed(f.paths.setupIgnoredBeforePath)).toEqual([]);
    expect(listed(f.paths.setupIgnoredAfterPath)).toEqual([".marker", "node_modules/"]);
    expect(readFileSync(f.paths.setupLogPath, "utf8")).toBe("setup says hi\n");
    expect(readFileSync(f.paths.logPath, "utf8")).toMatch(/setup started\nsetup says hi\n.*setup exited with code 0\n.*running codex/s);
    // The agent ran after it: it saw the marker, and committed only its own file.
    expect(f.records()).toHaveLength(1);
    expect(readFileSync(join(f.worktree, "saw.txt"), "utf8")).toBe(`it's "ok" \`x\` $HOME`);
    expect(sh(f.worktree, "git", ["show", "--name-only", "--format=", "HEAD"]).trim()).toBe("saw.txt");
  });

  it("stops at a failing setup: its exit code, its output kept, no agent, no result", async () => {
    const f = await fixture();
    f.writeLauncher({ setup: setupOf(f, "echo 'step 1'; echo 'no database' >&2; exit 3") });
    const run = await runLauncher(f.paths.launcherPath);
    expect(run.code).toBe(3);
    expect(readJson<{ exitCode: number }>(f.paths.setupExitPath).exitCode).toBe(3);
    expect(readFileSync(f.paths.setupLogPath, "utf8")).toBe("step 1\nno database\n");
    expect(existsSync(f.paths.setupIgnoredAfterPath)).toBe(false);
    expect(f.records()).toHaveLength(0);
    expect(existsSync(f.paths.resultPath)).toBe(false);
    expect(run.stdout).toContain("setup failed (exit 3): the agent was not started");
  });

  it("runs setup with this shell's bash, never one a relative PATH entry of the config finds in the worktree (no sandbox here)", async () => {
    // An agent that runs no command of its own (its bash would be its own business, in its sandbox).
    const f = await makeWorkerFixture({ script: { reviewer: [{ result: REVIEW }] }, files: { "README.md": "# r\n", ".gitignore": "node_modules/\n.marker\n" } });
    fixtures.push(f);
    // What an agent could leave for the next turn's setup (a retry runs setup again).
    const planted = join(f.worktree, "node_modules", ".bin", "bash");
    mkdirSync(join(f.worktree, "node_modules", ".bin"), { recursive: true });
    writeFileSync(planted, `#!/bin/sh\ntouch '${join(f.worktree, "planted-bash-ran")}'\n`);
    chmodSync(planted, 0o755);
    // The panel's node from a folder without a bash (as with nvm): it goes first on the PATH.
    const nodeDir = tempDir("ltp-node-dir-");
    dirs.push(nodeDir);
    symlinkSync(process.execPath, join(nodeDir, "node"));
    f.writeLauncher({ setup: setupOf(f, "echo \"setup on PATH=$PATH\" && touch .marker"), env: { PATH: "node_modules/.bin:/usr/bin:/bin" }, nodeBin: join(nodeDir, "node") });
    const run = await runLauncher(f.paths.launcherPath);
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(join(f.worktree, "planted-bash-ran"))).toBe(false);
    // The command itself got the config's PATH (the agent's environment), behind the panel's node.
    expect(readFileSync(f.paths.setupLogPath, "utf8")).toMatch(/^setup on PATH=.*:node_modules\/\.bin:\/usr\/bin:\/bin\n$/);
    expect(readJson<{ exitCode: number }>(f.paths.setupExitPath).exitCode).toBe(0);
  });

  it("never runs setup before a follow-up turn", async () => {
    const f = await fixture();
    writeFileSync(join(f.worktree, ".marker"), "from before\n");
    const messagePath = join(f.paths.runtimeDir, "followup-2.md");
    writeFileSync(messagePath, "more\n");
    f.writeLauncher({ resume: { threadId: "00000000-0000-0000-0000-000000000000", messagePath }, attempt: 2, setup: setupOf(f, "echo ran > .marker") });
    await runLauncher(f.paths.launcherPath);
    expect(readFileSync(join(f.worktree, ".marker"), "utf8")).toBe("from before\n");
    expect(existsSync(f.paths.setupExitPath)).toBe(false);
  });
});

describe("the committed config, read as data", () => {
  it("reads the file a commit holds, refuses a symlink and an oversized file, and ignores the working tree", async () => {
    const repo = makeRepo({ "README.md": "# r\n", ".longtable-panel.json": "{\"ports\": 1}\n" });
    dirs.push(repo);
    const head = () => sh(repo, "git", ["rev-parse", "HEAD"]).trim();
    const first = await readCommittedFile(repo, head(), ".longtable-panel.json", 1024);
    expect(first).toEqual({ kind: "file", bytes: Buffer.from("{\"ports\": 1}\n"), sha256: sha256Of("{\"ports\": 1}\n") });
    writeFileSync(join(repo, ".longtable-panel.json"), "{\"setup\": \"uncommitted\"}\n");
    expect(await readCommittedFile(repo, head(), ".longtable-panel.json", 1024)).toEqual(first);
    expect(await readCommittedFile(repo, head(), "missing.json", 1024)).toEqual({ kind: "missing" });
    expect(await readCommittedFile(repo, head(), ".longtable-panel.json", 5)).toMatchObject({ kind: "refused", reason: expect.stringContaining("larger than") });
    sh(repo, "git", ["rm", "-q", "-f", ".longtable-panel.json"]);
    symlinkSync("README.md", join(repo, ".longtable-panel.json"));
    sh(repo, "git", ["add", ".longtable-panel.json"]);
    sh(repo, "git", ["commit", "-qm", "link"]);
    expect(await readCommittedFile(repo, head(), ".longtable-panel.json", 1024)).toMatchObject({ kind: "refused", reason: expect.stringContaining("symbolic link") });
  });
});

describe("files copied from the leader", () => {
  it("copies ignored regular files only, never over anything in the worktree, within the caps", async () => {
    const repo = makeRepo({ "README.md": "# r\n", ".gitignore": ".env*\ndata/local/\nbig.bin\nlinked.env\n", ".env.tracked": "tracked\n" });
    dirs.push(repo);
    sh(repo, "git", ["add", "-f", ".env.tracked"]);
    sh(repo, "git", ["commit", "-qm", "tracked"]);
    const wtPath = join(tempDir("ltp-copy-"), "wt");
    dirs.push(wtPath);
    sh(repo, "git", ["worktree", "add", "-q", "-b", "w", wtPath]);
    const wt = (await worktreeGit(repo, wtPath))!;
    writeFileSync(join(repo, ".env"), "A=1\n");
    chmodSync(join(repo, ".env"), 0o600);
    writeFileSync(join(repo, ".env.prod"), "B=2\n");
    writeFileSync(join(repo, ".env.tracked"), "leader edit\n");
    mkdirSync(join(repo, "data/local/deep"), { recursive: true });
    writeFileSync(join(repo, "data/local/deep/x.csv"), "1,2\n");
    writeFileSync(join(repo, "big.bin"), Buffer.alloc(2048));
    writeFileSync(join(repo, "notignored.env.txt"), "n\n");
    symlinkSync("/etc/hostname", join(repo, "linked.env"));
    writeFileSync(join(wtPath, ".env.prod"), "already here\n");

    const report = await copyIgnoredFiles(repo, wt, [".env*", "data/local/**", "big.bin", "linked.env", "notignored.env.txt"], { maxFileBytes: 1024, maxTotalBytes: 1 << 20, maxFiles: 10 });
    expect(report.files.map((f) => f.path).sort()).toEqual([".env", "data/local/deep/x.csv"]);
    expect(readFileSync(join(wtPath, ".env"), "utf8")).toBe("A=1\n");
    expect((await import("node:fs")).statSync(join(wtPath, ".env")).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(wtPath, "data/local/deep/x.csv"), "utf8")).toBe("1,2\n");
    const skipped = Object.fromEntries(report.skipped.map((s) => [s.path, s.reason]));
    expect(skipped[".env.prod"]).toMatch(/already in the worktree/);
    expect(readFileSync(join(wtPath, ".env.prod"), "utf8")).toBe("already here\n");
    expect(skipped["big.bin"]).toMatch(/larger than/);
    expect(skipped["linked.env"]).toMatch(/symbolic link/);
    expect(skipped["notignored.env.txt"]).toMatch(/does not ignore it/);
    // A tracked file is never a copy candidate (git lists only untracked ones), and the worktree's stays as committed.
    expect(readFileSync(join(wtPath, ".env.tracked"), "utf8")).toBe("tracked\n");
    expect(existsSync(join(wtPath, "big.bin"))).toBe(false);
    expect(existsSync(join(wtPath, "linked.env"))).toBe(false);
  });

  it("refuses a folder on the way that is a symlink in the worktree", async () => {
    const repo = makeRepo({ "README.md": "# r\n", ".gitignore": "data/\n" });
    dirs.push(repo);
    const wtPath = join(tempDir("ltp-copy-"), "wt");
    const elsewhere = tempDir("ltp-elsewhere-");
    dirs.push(wtPath, elsewhere);
    sh(repo, "git", ["worktree", "add", "-q", "-b", "w", wtPath]);
    mkdirSync(join(repo, "data"));
    writeFileSync(join(repo, "data/x.txt"), "x\n");
    symlinkSync(elsewhere, join(wtPath, "data"));
    const report = await copyIgnoredFiles(repo, (await worktreeGit(repo, wtPath))!, ["data/**"]);
    expect(report.files).toEqual([]);
    expect(report.skipped).toEqual([{ path: "data/x.txt", reason: expect.stringContaining("symbolic link or a file") }]);
    expect(existsSync(join(elsewhere, "x.txt"))).toBe(false);
  });
});

describe("ports", () => {
  it("skips taken ports and ports something listens on; keeps a worker's previous ports when free", async () => {
    const lo = 43000 + Math.floor(Math.random() * 500) * 4;
    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(lo + 1, "127.0.0.1", () => r()));
    try {
      expect(await portIsFree(lo + 1)).toBe(false);
      expect(await allocatePorts(2, [lo, lo + 3], new Set([lo]))).toEqual([lo + 2, lo + 3]);
      expect(await allocatePorts(1, [lo, lo + 3], new Set(), [lo + 3])).toEqual([lo + 3]);
      await expect(allocatePorts(3, [lo, lo + 3], new Set([lo]))).rejects.toThrow(/only 2 of the 3 ports .* LONGTABLE_PORT_RANGE/);
    } finally {
      await new Promise<void>((r) => busy.close(() => r()));
    }
    expect(await portIsFree(lo + 1)).toBe(true);
  });
});
