/**
 * Remote viewing through a real SSH tunnel (issue 16): a throw-away sshd on 127.0.0.1
 * (test/support/sshd.ts) and `ssh -N -L` as the server's start banner prints it. The browser
 * reaches the panel ONLY through the tunnel's local port, for a panel on a TCP port (`--port 0`)
 * and for one on a Unix socket (`--socket`). Operator: logs in with the printed URL, creates and
 * launches a run, watches it live, loses the tunnel mid-run (ssh killed) and gets it back (ssh
 * started again): the timeline equals events.jsonl exactly; then reviews and merges. Viewer: the
 * same, read-only. Then: a page on another local port gets no cookie that opens the panel, and
 * "sign out everywhere" ends every session.
 */
import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, realpathSync, rmSync, statSync } from "node:fs";
import { hostname, tmpdir, userInfo } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect as baseExpect, test, type Browser, type Page } from "@playwright/test";
import { makeFakeCodex } from "../test/support/fake-codex";
import { freePort, openTunnel, startSshd, type SshTunnel, type TestSshd } from "../test/support/sshd";
import { e2eFakeCodexScript, gatesDirOf, openGateIn } from "./support/fake-script";
import { apiOf, git, pollUntil, stopOwnServer } from "./support/review-server";
import { startServer, type RunningServer } from "./support/server";
import { eventsOnDisk, runOnDisk, timelineRows } from "./support/timeline";

const expect = baseExpect.configure({ timeout: 30_000 });
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

let sshd: TestSshd;
let codexBin: string;
const servers: RunningServer[] = [];
const tunnels: SshTunnel[] = [];
const dirs: string[] = [];

/** The Open and Remote lines of a start banner. */
function printedLines(server: RunningServer) {
  const banner = server.banner();
  const open = /Open:\s+(http:\/\/\S+\?token=\S+)/.exec(banner)?.[1];
  const remote = /Remote:\s+(ssh .+?)\s{3}then open/.exec(banner)?.[1];
  if (!open || !remote) throw new Error(`no Open/Remote line in the banner:\n${banner}`);
  return { open, remote };
}

/** `longtable-panel --print-tunnel <host>` for a data dir: stdout (the command) and stderr (the hint). */
function printTunnel(dataDir: string, host: string) {
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "longtable-panel.mjs"), "--print-tunnel", host, "--data-dir", dataDir], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}

interface Remote {
  server: RunningServer;
  tunnel: SshTunnel;
  /** The panel through the tunnel, as the printed URL names it (http://<instance>.localhost:<tunnel port>). */
  base: string;
  /** The start URL as printed, with the tunnel's port. */
  loginURL: string;
}

/**
 * Start a panel (TCP with --port 0, or a Unix socket), check the banner's lines, and open the
 * tunnel by running the printed `ssh` line. On one machine the panel already holds its TCP port,
 * so for TCP the tunnel's local port is rewritten to a free one; the socket's line runs as printed.
 */
async function remotePanel(kind: "tcp" | "socket"): Promise<Remote> {
  let server: RunningServer;
  const sshHost = `${userInfo().username}@${hostname()}`;
  if (kind === "tcp") {
    server = await startServer({ env: { LONGTABLE_CODEX_BIN: codexBin, LONGTABLE_SANDBOX_WRITABLE: dirname(codexBin) } });
  } else {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), "ltp-e2e-sock-")));
    dirs.push(dir);
    const socket = join(dir, "panel.sock");
    server = await startServer({ socket, tunnelPort: await freePort(), env: { LONGTABLE_CODEX_BIN: codexBin, LONGTABLE_SANDBOX_WRITABLE: dirname(codexBin) } });
    expect(statSync(socket).isSocket()).toBe(true);
    expect(statSync(socket).mode & 0o777).toBe(0o600);
  }
  servers.push(server);
  const { open, remote } = printedLines(server);
  const url = new URL(open);
  expect(url.hostname).toMatch(/^panel-[a-z2-7]{8}\.localhost$/);
  expect(url.searchParams.get("token")).toBe(server.token);
  // The token is printed once: in the Open line, nowhere else.
  expect(server.banner().split(server.token).length - 1).toBe(1);

  const argv = remote.split(/\s+/).slice(1);
  let localPort: number;
  if (kind === "tcp") {
    // The port `--port 0` picked, on both sides, to where the server listens; this user at this machine.
    expect(remote).toBe(`ssh -N -L ${server.port}:127.0.0.1:${server.port} ${sshHost}`);
    expect(Number(url.port)).toBe(server.port);
    localPort = await freePort();
    argv[2] = argv[2]!.replace(/^\d+:/, `${localPort}:`);
  } else {
    expect(remote).toMatch(new RegExp(`^ssh -N -L ${server.port}:/\\S+/panel\\.sock ${sshHost.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`));
    expect(Number(url.port)).toBe(server.port);
    localPort = server.port;
  }
  // --print-tunnel prints the same command for a named host (the port read from the running server).
  const printed = printTunnel(server.dataDir, sshd.alias);
  expect(printed.status).toBe(0);
  expect(printed.stdout).toBe(remote.replace(sshHost, sshd.alias));
  expect(printed.stderr).toContain(`then open http://${url.host}/`);
  expect(printed.stdout + printed.stderr).not.toContain(server.token);

  // The printed line, run as printed (the test's -F config maps this machine's name to the test sshd).
  const tunnel = await openTunnel(sshd, argv, localPort);
  tunnels.push(tunnel);
  const base = `http://${url.hostname}:${localPort}`;
  return { server, tunnel, base, loginURL: `${base}/?token=${encodeURIComponent(server.token)}` };
}

const card = (page: Page, role: string) => page.locator(`[data-testid="worker-card"][data-worker-id$="-${role}"]`);

/** Operator and viewer through the tunnel: create, launch, watch, lose the tunnel, catch up exactly, review and merge. */
async function operatorAndViewer(browser: Browser, r: Remote) {
  const { server, tunnel, base } = r;
  const op = await browser.newContext();
  const page = await op.newPage();
  await page.goto(r.loginURL);
  expect(new URL(page.url()).search).toBe(""); // the token left the address bar
  await expect(page.getByTestId("runs-live-state")).toHaveText("live");

  await page.goto(`${base}/runs/new`);
  await page.getByLabel("Prompt").fill("Review src/app.txt and write notes (through the tunnel).");
  await page.getByRole("button", { name: "None" }).click();
  for (const label of ["Reviewer", "Methods Critic"]) await page.getByLabel(label, { exact: true }).check();
  await page.getByRole("button", { name: "Create run" }).click();
  await page.waitForURL(/\/runs\/panel_run_[a-z0-9]+_[a-z0-9]+$/);
  const runId = new URL(page.url()).pathname.split("/").pop()!;
  await expect(page.getByTestId("live-state")).toHaveText("live");
  await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
  await page.getByTestId("action-launch").click();
  for (const role of ["reviewer", "methods_critic"]) await expect(card(page, role).getByTestId("worker-status")).toHaveText("running");

  // The viewer watches the same run, read-only.
  const vc = await browser.newContext();
  const viewer = await vc.newPage();
  await viewer.goto(`${base}/?token=${encodeURIComponent(server.viewerToken)}`);
  await expect(viewer.getByTestId("read-only-badge")).toBeVisible();
  await viewer.goto(`${base}/runs/${runId}`);
  await expect(viewer.getByTestId("live-state")).toHaveText("live");
  await expect(viewer.locator('[data-testid="worker-card"][data-status="running"]')).toHaveCount(2);
  await expect(viewer.getByTestId("run-actions")).toHaveCount(0);
  await viewer.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
  await expect(page.locator('[data-testid="timeline-row"][data-type="worker_launched"]')).toHaveCount(2);
  const before = await timelineRows(page);

  // The tunnel goes down mid-run (ssh killed): both pages notice.
  await tunnel.kill();
  await expect(page.getByTestId("live-state")).toHaveText("reconnecting…");
  await expect(viewer.getByTestId("live-state")).toHaveText("reconnecting…");
  // Meanwhile the workers finish.
  openGateIn(gatesDirOf(codexBin), runId);
  await pollUntil(() => runOnDisk(server.repo, runId).status === "completed", `run ${runId} to complete`, 60_000, 200);
  const onDisk = eventsOnDisk(server.repo, runId);
  expect(onDisk.length).toBeGreaterThan(before.length);
  expect((await timelineRows(page)).length).toBe(before.length); // nothing arrived while the tunnel was down

  // ssh again, on the same local port: the pages reconnect and catch up, each event exactly once.
  await tunnel.restart();
  for (const p of [page, viewer]) {
    await expect(p.getByTestId("live-state")).toHaveText("live");
    await expect(p.getByTestId("timeline-row")).toHaveCount(onDisk.length);
    const rows = await timelineRows(p);
    expect(rows.map((x) => x.id)).toEqual(onDisk.map((e) => e.id));
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.seq).toBeGreaterThan(rows[i - 1]!.seq);
    await expect(p.locator('[data-testid="worker-card"][data-status="completed"]')).toHaveCount(2);
    await expect(p.getByTestId("run-status")).toHaveText("completed");
    expect(await p.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
  }
  expect((await timelineRows(page)).slice(0, before.length)).toEqual(before);

  // Review and merge the reviewer's notes, through the tunnel.
  await page.goto(`${base}/runs/${runId}/review/worker-1-reviewer`);
  await expect(page.locator('[data-testid="file-row"][data-path="notes/reviewer.md"]')).toBeVisible();
  await page.getByTestId("review-tab-merge").click();
  await expect(page.getByTestId("merge-verdict")).toHaveAttribute("data-verdict", "clean");
  await page.getByTestId("merge-submit").click();
  await expect(page.getByTestId("merge-result")).toBeVisible();
  expect(git(server.repo, "show", "main:notes/reviewer.md")).toContain("Reviewer notes");

  // The viewer sees the merge and has no merge action.
  await viewer.goto(`${base}/runs/${runId}/review/worker-2-methods_critic?tab=merge`);
  await expect(viewer.getByTestId("merge-verdict")).toHaveAttribute("data-verdict", "clean");
  await expect(viewer.getByTestId("merge-read-only")).toBeVisible();
  await expect(viewer.getByTestId("merge-submit")).toHaveCount(0);
  await viewer.goto(`${base}/runs/${runId}/review`);
  await expect(viewer.locator('[data-testid="review-worker-row"][data-worker-id="worker-1-reviewer"]').getByTestId("row-merged")).toBeVisible();
  return { op, vc, page, viewer, runId };
}

/** The TCP ports a process listens on (its socket inodes matched against /proc/net/tcp{,6} LISTEN rows). */
function listeningTcpPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      /* closed meanwhile */
    }
  }
  const ports: number[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] === "0A" && inodes.has(f[9]!)) ports.push(parseInt(f[1]!.split(":")[1]!, 16));
    }
  }
  return ports;
}

/** A small page on another local port that records the Cookie header of every request. */
async function cookieRecorder(): Promise<{ port: number; cookies: string[]; close(): Promise<void> }> {
  const cookies: string[] = [];
  const s: Server = createServer((req, res) => {
    cookies.push(req.headers.cookie ?? ""); // the page and the favicon requests alike
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<!doctype html><title>another local service</title><p>hello</p>");
  });
  await new Promise<void>((done) => s.listen(0, "127.0.0.1", done));
  return { port: (s.address() as { port: number }).port, cookies, close: () => new Promise((done) => s.close(() => done())) };
}

test.describe("remote viewing through a real SSH tunnel", () => {
  test.describe.configure({ mode: "serial" });
  test.setTimeout(240_000);

  test.beforeAll(async () => {
    sshd = await startSshd({ names: [hostname()] });
    const dir = realpathSync(mkdtempSync(join(tmpdir(), "ltp-e2e-tunnel-codex-")));
    dirs.push(dir);
    codexBin = await makeFakeCodex(dir, e2eFakeCodexScript(gatesDirOf(join(dir, "codex"))));
  });

  test.afterAll(async () => {
    for (const t of tunnels) await t.stop();
    for (const s of servers) await stopOwnServer(s);
    await sshd?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test("TCP port (--port 0): operator and viewer through the tunnel, reconnect after ssh is killed, review and merge; no cookie for other local services; sign out everywhere", async ({ browser }) => {
    const r = await remotePanel("tcp");
    const { op, vc, page, viewer, runId } = await operatorAndViewer(browser, r);

    // Another local web service the browser visits (127.0.0.1 / localhost / another *.localhost,
    // on another port) receives no cookie that opens the panel.
    const rec = await cookieRecorder();
    const other = await op.newPage();
    for (const host of ["127.0.0.1", "localhost", "other-app.localhost"]) {
      await other.goto(`http://${host}:${rec.port}/`);
      await expect(other.locator("p")).toHaveText("hello");
    }
    await rec.close();
    expect(rec.cookies.length).toBeGreaterThanOrEqual(3);
    const panelApi = `${r.base.replace(/\/\/[^:]+:/, "//127.0.0.1:")}/api/trpc/system.whoami`;
    for (const header of rec.cookies) {
      expect(header).not.toContain(r.server.token);
      for (const pair of header.split(";").map((c) => c.trim()).filter(Boolean)) {
        expect((await fetch(panelApi, { headers: { cookie: pair } })).status, pair).toBe(401);
      }
    }
    // …while the browser does hold a session cookie (for the panel's own host) that opens it.
    const own = (await op.cookies()).filter((c) => c.name.startsWith("ltp_session_"));
    expect(own).toHaveLength(1);
    expect(own[0]!.domain).toBe(new URL(r.base).hostname);
    expect(own[0]!.value).not.toBe(r.server.token);
    expect((await fetch(panelApi, { headers: { cookie: `${own[0]!.name}=${own[0]!.value}` } })).status).toBe(200);

    // Sign out everywhere: this browser and the viewer's are signed out (the viewer's live stream
    // is cut at once); the token (bearer) still works.
    await viewer.goto(`${r.base}/runs/${runId}`);
    await expect(viewer.getByTestId("live-state")).toHaveText("live");
    await page.goto(r.base);
    await page.getByTestId("sign-out-everywhere").click();
    await expect(page.getByTestId("sign-out-dialog")).toBeVisible();
    await page.getByTestId("sign-out-confirm").click();
    await expect(page.locator("body")).toContainText("session has ended");
    await expect(viewer.getByTestId("live-state")).not.toHaveText("live"); // its open stream was cut
    await viewer.reload();
    await expect(viewer.locator("body")).toContainText("open the start URL");
    expect((await fetch(panelApi, { headers: { cookie: `${own[0]!.name}=${own[0]!.value}` } })).status).toBe(401);
    expect((await apiOf({ baseURL: r.base.replace(/\/\/[^:]+:/, "//127.0.0.1:"), token: r.server.token }).query<{ role: string }>("system.whoami", undefined)).role).toBe("operator");
    // The start URL signs in again.
    await page.goto(r.loginURL);
    await expect(page.getByTestId("runs-live-state")).toHaveText("live");
    await op.close();
    await vc.close();
  });

  test("Unix socket (--socket, mode 0600): the same through `ssh -L <port>:<socket>`", async ({ browser }) => {
    const r = await remotePanel("socket");
    // Nothing listens on TCP for it but the tunnel.
    expect(listeningTcpPorts(r.server.child.pid!)).toEqual([]);
    const { op, vc } = await operatorAndViewer(browser, r);
    await op.close();
    await vc.close();
  });
});
