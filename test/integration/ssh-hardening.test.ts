/**
 * What a host sends is bounded and checked (ARCHITECTURE.md §3 "Transports", §6), through the
 * test sshd: a fetched worker branch with a malformed object is refused (fsck); a command that
 * prints more than its cap is stopped, not buffered; host-ops reads an event stream from an offset
 * in bounded chunks, and a result sync brings all of a stream larger than one chunk.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ExecOutputTooLargeError, SshConnection } from "@/server/bridge/ssh/connection";
import { writeHostSshConfig } from "@/server/bridge/ssh/config";
import { fetchWorkerBranch } from "@/server/bridge/ssh/git-sync";
import { SshTransport } from "@/server/bridge/ssh/transport";
import { workerLayout } from "@/server/bridge/layout";
import { branchFor } from "@/server/core/ids";
import type { PanelRun, PanelWorker } from "@/server/core/records";
import { hostInputSchema } from "@/server/panel/hosts/schemas";
import { makeRepo, removeDir, sh, tempDir } from "../support/repo";
import { startTestHost, type TestHost } from "../support/remote-host";

const RUN = "panel_run_mabc123_k3j9x2q1";
const WORKER = "worker-1-impl";
const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

let host: TestHost;
let repo: string;
let conn: SshConnection;

async function setup() {
  if (conn) return;
  repo = makeRepo();
  cleanups.push(() => removeDir(repo));
  host = await startTestHost(repo);
  cleanups.push(() => host.cleanup());
  const dataDir = tempDir("ltp-ssh-hard-");
  cleanups.push(() => removeDir(dataDir));
  const now = new Date().toISOString();
  const files = writeHostSshConfig(dataDir, { ...hostInputSchema.parse(host.input()), createdAt: now, updatedAt: now });
  conn = new SshConnection({ hostId: "box", destination: host.sshd.alias, configFile: files.configFile, controlPath: files.controlPath });
  cleanups.push(() => conn.close());
  await conn.connect();
}

describe("hardening of what a host sends", () => {
  it("fetches a worker branch with fsck on: a good commit comes, a malformed one is refused", async () => {
    await setup();
    const branch = branchFor(RUN, WORKER);
    sh(host.clone, "git", ["checkout", "-q", "-b", branch]);
    writeFileSync(join(host.clone, "new.txt"), "ok\n");
    sh(host.clone, "git", ["add", "new.txt"]);
    sh(host.clone, "git", ["-c", "user.name=w", "-c", "user.email=w@w", "commit", "-q", "-m", "good"]);
    const good = sh(host.clone, "git", ["rev-parse", "HEAD"]).trim();
    expect(await fetchWorkerBranch(conn, repo, host.sshd.alias, host.clone, RUN, WORKER)).toBe(good);

    // A commit object git itself would never write (a date that is not a number), on top.
    const tree = sh(host.clone, "git", ["rev-parse", "HEAD^{tree}"]).trim();
    const bad = sh(host.clone, "git", ["hash-object", "-t", "commit", "-w", "--literally", "--stdin"], `tree ${tree}\nparent ${good}\nauthor A <a@a> notadate +0000\ncommitter A <a@a> notadate +0000\n\nbad\n`).trim();
    sh(host.clone, "git", ["update-ref", `refs/heads/${branch}`, bad]);
    await expect(fetchWorkerBranch(conn, repo, host.sshd.alias, host.clone, RUN, WORKER)).rejects.toThrow(/fetching .* from the host failed: .*(badDate|bad date|fsck|invalid)/i);
    expect(sh(repo, "git", ["rev-parse", `refs/heads/${branch}`]).trim()).toBe(good);
    expect(spawnSync("git", ["-C", repo, "cat-file", "-e", bad]).status).not.toBe(0);
  }, 180_000);

  it("stops a command that prints more than its cap instead of buffering it; under the cap the output comes whole", async () => {
    await setup();
    const print = (n: number) => ["node", "-e", `process.stdout.write(Buffer.alloc(${n}, 120))`];
    expect((await conn.exec(print(100_000), { maxOutputBytes: 200_000 })).stdout.length).toBe(100_000);
    const error = await conn.exec(print(3_000_000), { maxOutputBytes: 1_000_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExecOutputTooLargeError);
    expect((error as Error).message).toMatch(/node on box printed more than 1000000 bytes/);
    // The connection is still usable.
    expect((await conn.exec(["echo", "fine"])).stdout.toString().trim()).toBe("fine");
  }, 180_000);
});

describe("host-ops read", () => {
  const hostOps = join(process.cwd(), "server", "bridge", "host-ops.mjs");
  const read = (files: unknown[]) => {
    const r = spawnSync(process.execPath, [hostOps, "read"], { input: JSON.stringify({ files }), encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    return (JSON.parse(r.stdout) as { ok: { files: Array<{ b64: string | null; size: number | null }> } }).ok.files;
  };

  it("reads from an offset at most `max` bytes with the file's size (never the bytes before the offset); a whole file over `max` is null", () => {
    const dir = tempDir("ltp-hostops-read-");
    cleanups.push(() => removeDir(dir));
    const file = join(dir, "events.jsonl");
    const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => `{"n":${i}}\n`).join(""));
    writeFileSync(file, data);
    const [chunk, rest, whole, tooBig, missing] = read([
      { path: file, offset: 1000, max: 4096 },
      { path: file, offset: data.length - 10, max: 4096 },
      { path: file },
      { path: file, max: 100 },
      { path: join(dir, "none") },
    ]);
    expect(Buffer.from(chunk!.b64!, "base64").equals(data.subarray(1000, 1000 + 4096))).toBe(true);
    expect(chunk!.size).toBe(data.length);
    expect(Buffer.from(rest!.b64!, "base64").equals(data.subarray(data.length - 10))).toBe(true);
    expect(Buffer.from(whole!.b64!, "base64").equals(data)).toBe(true);
    expect(tooBig).toMatchObject({ b64: null, size: data.length });
    expect(missing).toMatchObject({ b64: null, size: null });
  });
});

describe("a result sync", () => {
  it("brings the whole rest of an event stream larger than one read, from where the local mirror is, then the result", async () => {
    await setup();
    const remote = workerLayout(host.clone, RUN, WORKER);
    mkdirSync(remote.runtimeDir, { recursive: true });
    // 20 MiB of events: more than two 8 MiB reads.
    const line = `${JSON.stringify({ type: "item", text: "x".repeat(1000) })}\n`;
    const events = Buffer.from(line.repeat(Math.ceil((20 * 1024 * 1024) / line.length)));
    writeFileSync(remote.agentEventsPath, events);
    const result = JSON.stringify({ status: "completed", summary: "done" });
    writeFileSync(remote.resultPath, result);
    writeFileSync(remote.exitCodePath, "0\n");
    const local = workerLayout(repo, RUN, WORKER);
    mkdirSync(dirname(local.agentEventsPath), { recursive: true });
    writeFileSync(local.agentEventsPath, events.subarray(0, 12_345)); // what the live tail had brought

    const dataDir = tempDir("ltp-ssh-sync-");
    cleanups.push(() => removeDir(dataDir));
    const now = new Date().toISOString();
    const tr = new SshTransport({ host: { ...hostInputSchema.parse(host.input()), createdAt: now, updatedAt: now }, projectRoot: process.cwd(), dataDir });
    cleanups.push(() => tr.close());
    await tr.syncResult({ id: RUN, workingDirectory: repo } as PanelRun, { id: WORKER, attempt: 1, status: "running" } as PanelWorker);
    const mirrored = readFileSync(local.agentEventsPath);
    expect(mirrored.length).toBe(events.length);
    expect(mirrored.equals(events)).toBe(true);
    expect(readFileSync(local.resultPath, "utf8")).toBe(result);
    expect(execFileSync("git", ["-C", repo, "status", "--porcelain"], { encoding: "utf8" })).not.toMatch(/agent-events/);
  }, 180_000);
});
