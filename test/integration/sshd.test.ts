import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { createServer, connect, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { forwardArgs, freePort, openTunnel, portAccepts, runSsh, startSshd, type TestSshd } from "../support/sshd";

/** An echo server on a TCP port or a Unix socket. */
function echoServer(listen: (s: Server, done: () => void) => void): Promise<Server> {
  const s = createServer((c) => c.pipe(c));
  return new Promise((resolve) => listen(s, () => resolve(s)));
}

/** Send `text` through 127.0.0.1:port and read it back. */
function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect(port, "127.0.0.1");
    let got = "";
    c.on("data", (d) => {
      got += d.toString();
      if (got.length >= text.length) {
        c.destroy();
        resolve(got);
      }
    });
    c.on("error", reject);
    c.write(text);
  });
}

let sshd: TestSshd | undefined;
const cleanup: Array<() => unknown> = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
  await sshd?.stop();
});

describe("test sshd (test/support/sshd.ts)", () => {
  it("runs a command and forwards TCP and Unix-socket ports; a killed tunnel restarts on the same port", async () => {
    sshd = await startSshd({ names: ["ltp-extra-name"] });
    // Only this server, with only this key: a command runs as the test user.
    const who = runSsh(sshd, [sshd.alias, "echo", "hello-from-sshd"]);
    expect(who.stderr).toBe("");
    expect(who.stdout.trim()).toBe("hello-from-sshd");
    expect(runSsh(sshd, ["ltp-extra-name", "true"]).status).toBe(0);

    const tcp = await echoServer((s, done) => s.listen(0, "127.0.0.1", done));
    cleanup.push(() => new Promise((r) => tcp.close(r)));
    const dir = realpathSync(mkdtempSync(join(tmpdir(), "ltp-sshd-sock-")));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const sockPath = join(dir, "echo.sock");
    const unix = await echoServer((s, done) => s.listen(sockPath, done));
    cleanup.push(() => new Promise((r) => unix.close(r)));

    const tcpPort = await freePort();
    const t1 = await openTunnel(sshd, forwardArgs(sshd, tcpPort, `127.0.0.1:${(tcp.address() as { port: number }).port}`), tcpPort);
    cleanup.push(() => t1.stop());
    expect(await roundTrip(tcpPort, "over tcp")).toBe("over tcp");

    const sockPort = await freePort();
    const t2 = await openTunnel(sshd, forwardArgs(sshd, sockPort, sockPath), sockPort);
    cleanup.push(() => t2.stop());
    expect(await roundTrip(sockPort, "over a socket")).toBe("over a socket");

    const pid = t1.pid();
    await t1.kill();
    expect(await portAccepts(tcpPort)).toBe(false);
    await t1.restart();
    expect(t1.pid()).not.toBe(pid);
    expect(await roundTrip(tcpPort, "again")).toBe("again");
  });

  it("a forward that cannot be set up ends ssh (ExitOnForwardFailure); openTunnel says why", async () => {
    const taken = await echoServer((s, done) => s.listen(0, "127.0.0.1", done));
    cleanup.push(() => new Promise((r) => taken.close(r)));
    const port = (taken.address() as { port: number }).port;
    // ssh itself (ExitOnForwardFailure from the config) exits instead of running without its forward.
    const r = runSsh(sshd!, forwardArgs(sshd!, port, "127.0.0.1:9"));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/Could not request local forwarding|Address already in use/);
    // openTunnel says so before starting ssh.
    await expect(openTunnel(sshd!, forwardArgs(sshd!, port, "127.0.0.1:9"), port)).rejects.toThrow(/already in use/);
  });
});
