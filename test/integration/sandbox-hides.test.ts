/**
 * The panel's sandbox with real bubblewrap (bridge/sandbox.ts, ARCHITECTURE.md §6): a listening Unix
 * socket in a hidden folder (as /run/user) or covered with /dev/null (as the docker socket) cannot be
 * connected to from inside, though it can from outside and from inside a sandbox that does not hide
 * it; a writable folder that contains a hidden folder and the git dir does not bring them back.
 */
import { execFile } from "node:child_process";
import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bwrapArgs, localSystemHides, sandboxStatus, type SandboxSpec } from "@/server/bridge/sandbox";
import { removeDir, sh, tempDirOutsideTmp } from "../support/repo";

const CONNECT = `const s = require("node:net").connect(process.argv[1]);
s.on("connect", () => { process.stdout.write("connected"); process.exit(0); });
s.on("error", (e) => { process.stdout.write("refused:" + e.code); process.exit(3); });`;

function run(argv: string[], cwd = "/"): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { cwd, timeout: 20_000, encoding: "utf8" }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof (error as { code?: unknown }).code === "number" ? (error as { code: number }).code : 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

let bwrap = "";
const dirs: string[] = [];
const servers: Server[] = [];
const inSandbox = (spec: SandboxSpec, argv: string[]) => run([bwrap, ...bwrapArgs(spec), ...argv]);
const connectArgv = (path: string) => [process.execPath, "-e", CONNECT, path];

function listen(path: string): Promise<void> {
  const server = createServer((c) => c.end());
  servers.push(server);
  return new Promise((resolve, reject) => server.once("error", reject).listen(path, () => resolve()));
}

beforeAll(async () => {
  const status = await sandboxStatus("auto", true);
  expect(status.active, `bubblewrap should work on the test machine (${status.reason ?? ""})`).toBe(true);
  bwrap = status.bwrap!;
});

afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
  for (const d of dirs) removeDir(d);
});

function workspace() {
  // Outside /tmp: the sandbox's private /tmp would hide everything under it anyway.
  const base = tempDirOutsideTmp("ltp-sbx-");
  dirs.push(base);
  const wt = join(base, "wt");
  mkdirSync(wt);
  return { base, wt, spec: { worktree: wt, gitCommonDir: wt, hide: [] as string[], writable: [] as string[] } };
}

describe("sockets outside /tmp", () => {
  it("a listening socket in a hidden folder (as /run/user/<uid>/bus) is not connectable inside, though it is outside and unhidden", async () => {
    const { base, spec } = workspace();
    const runUser = join(base, "run-user");
    mkdirSync(join(runUser, "1000"), { recursive: true });
    const bus = join(runUser, "1000", "bus");
    await listen(bus);
    expect((await run(connectArgv(bus))).out).toBe("connected");
    // The control: the read-only root alone leaves it reachable (connect() works on a read-only mount).
    expect((await inSandbox(spec, connectArgv(bus))).out).toBe("connected");
    const hidden = await inSandbox({ ...spec, hide: [runUser] }, connectArgv(bus));
    expect(hidden.out).toBe("refused:ENOENT");
    expect(hidden.code).toBe(3);
  });

  it("a socket covered with /dev/null (as /run/docker.sock) is not connectable inside", async () => {
    const { base, spec } = workspace();
    const sock = join(base, "docker.sock");
    await listen(sock);
    expect((await inSandbox(spec, connectArgv(sock))).out).toBe("connected");
    const masked = await inSandbox({ ...spec, mask: [sock] }, connectArgv(sock));
    expect(masked.out).toMatch(/^refused:(ECONNREFUSED|ENOTSOCK)$/);
  });

  it("the real /run/user is among this machine's system hides, and a socket made there is not connectable inside", async () => {
    const { spec } = workspace();
    const system = localSystemHides();
    expect(system.hide.includes("/run/user")).toBe(existsSync("/run/user"));
    // A socket under the real /run/user, where this user may make one (its own /run/user/<uid>, or /run/user as root).
    const own = join("/run/user", String(process.getuid?.() ?? ""));
    const parent = [own, "/run/user"].find((d) => {
      try {
        accessSync(d, constants.W_OK);
        return true;
      } catch {
        return false;
      }
    });
    if (!parent) return; // no place to make one here; the folder test above covers the mechanism
    const folder = join(parent, `ltp-sandbox-test-${process.pid}`);
    mkdirSync(folder);
    dirs.push(folder);
    const sock = join(folder, "bus");
    await listen(sock);
    expect((await run(connectArgv(sock))).out).toBe("connected");
    expect((await inSandbox(spec, connectArgv(sock))).out).toBe("connected");
    expect((await inSandbox({ ...spec, hide: system.hide, mask: system.mask }, connectArgv(sock))).out).toBe("refused:ENOENT");
  });
});

describe("a writable folder containing hidden ones", () => {
  it("does not bring back a hidden folder (read and write fail) nor make the git dir writable; the worktree stays writable", async () => {
    const { base } = workspace();
    const home = join(base, "home");
    const panelDir = join(home, "panel");
    mkdirSync(panelDir, { recursive: true });
    writeFileSync(join(panelDir, "secret"), "s3cret\n");
    const repo = join(home, "repo");
    mkdirSync(repo);
    sh(repo, "git", ["init", "-q", "-b", "main"]);
    sh(repo, "git", ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "init"]);
    const runs = join(repo, ".longtable");
    const wt = join(runs, "panel-runs", "r1", "worktrees", "w1");
    sh(repo, "git", ["worktree", "add", "-q", "-b", "w1", wt]);
    const gitDir = join(repo, ".git");
    // The reviewer's case: the writable folder is a parent of the hidden data folder and of the git dir.
    // (Given as one of the panel's own writable folders: a user's would be refused before this.)
    const spec: SandboxSpec = { worktree: wt, gitCommonDir: gitDir, hide: [panelDir, runs], writable: [home] };
    const script = [
      `cat ${panelDir}/secret && echo READ-SECRET`,
      `echo x > ${panelDir}/planted && echo WROTE-PANEL`,
      `echo x >> ${gitDir}/config && echo WROTE-GITCONFIG`,
      `echo x > ${gitDir}/worktrees/w1/planted && echo WROTE-WTGITDIR`,
      `echo ok > ${wt}/inside && echo WROTE-WORKTREE`,
      `echo ok > ${home}/cache-file && echo WROTE-HOME`,
      `git -C ${wt} rev-parse --abbrev-ref HEAD`,
    ].join("; ");
    const r = await inSandbox(spec, ["bash", "-c", script]);
    expect(r.out).not.toContain("s3cret");
    expect(r.out).not.toContain("READ-SECRET");
    expect(r.out).not.toContain("WROTE-GITCONFIG");
    expect(r.out).not.toContain("WROTE-WTGITDIR");
    expect(r.out).toContain("WROTE-WORKTREE");
    expect(r.out).toContain("WROTE-HOME");
    expect(r.out).toMatch(/^w1$/m);
    // A write "into" the hidden folder landed in the sandbox's empty tmpfs, never in the real one.
    expect(existsSync(join(panelDir, "planted"))).toBe(false);
    expect(readFileSync(join(gitDir, "config"), "utf8")).not.toMatch(/^x$/m);
    expect(existsSync(join(gitDir, "worktrees", "w1", "planted"))).toBe(false);
    expect(readFileSync(join(wt, "inside"), "utf8")).toBe("ok\n");
    rmSync(join(home, "cache-file"));
  });

  it("refuses it as a user's extra writable folder, before anything runs", () => {
    const { base, wt } = workspace();
    const home = join(base, "home");
    expect(() => bwrapArgs({ worktree: wt, gitCommonDir: join(home, "repo", ".git"), hide: [join(home, "panel")], writable: [], userWritable: [home] })).toThrow(
      new RegExp(`the extra writable sandbox folder ${home} contains ${home}/panel \\(hidden from agents\\).*name a folder that neither contains nor sits inside it`),
    );
  });
});
