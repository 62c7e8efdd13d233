import { spawnSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { checkSocketPath, checkSshHost, loginUrl, panelUrl, readServerInfo, removeServerInfo, startBanner, tunnelCommand, writeServerInfo, type Endpoint } from "@/server/http/banner";
import { printTunnel } from "@/server/http/print-tunnel";
import { removeDir, tempDir } from "../support/repo";

const TOKEN = "t0k3n-abcdefghijklmnopqrstuvwxyz012345";
const tcp: Endpoint = { kind: "tcp", host: "127.0.0.1", port: 41234 };
const sock: Endpoint = { kind: "socket", path: "/home/me/.longtable-panel/panel.sock", tunnelPort: 4500 };

describe("printed URL and tunnel lines", () => {
  it("uses <instance>.localhost on loopback, the bound host otherwise", () => {
    expect(panelUrl(tcp, "panel-abcd2345")).toBe("http://panel-abcd2345.localhost:41234/");
    expect(panelUrl({ kind: "tcp", host: "localhost", port: 9 }, "panel-x234")).toBe("http://panel-x234.localhost:9/");
    expect(panelUrl({ kind: "tcp", host: "::1", port: 9 }, "panel-x234")).toBe("http://[::1]:9/");
    expect(panelUrl({ kind: "tcp", host: "10.1.2.3", port: 9 }, "panel-x234")).toBe("http://10.1.2.3:9/");
    expect(panelUrl(sock, "panel-x234")).toBe("http://panel-x234.localhost:4500/");
    expect(loginUrl(tcp, "panel-x234", "a b")).toBe("http://panel-x234.localhost:41234/?token=a%20b");
  });

  it("forwards the same port to where the server listens", () => {
    expect(tunnelCommand(tcp, "me@ws")).toBe("ssh -N -L 41234:127.0.0.1:41234 me@ws");
    expect(tunnelCommand({ kind: "tcp", host: "0.0.0.0", port: 80 }, "ws")).toBe("ssh -N -L 80:127.0.0.1:80 ws");
    expect(tunnelCommand({ kind: "tcp", host: "::1", port: 80 }, "ws")).toBe("ssh -N -L 80:[::1]:80 ws");
    expect(tunnelCommand(sock, "ws")).toBe("ssh -N -L 4500:/home/me/.longtable-panel/panel.sock ws");
  });

  it("prints the token in exactly one line, the Open line", () => {
    for (const endpoint of [tcp, sock]) {
      const lines = startBanner({ endpoint, instanceName: "panel-abcd2345", token: TOKEN, tmuxSocket: "lt", dataDir: "/d", sshHost: "me@ws" });
      const withToken = lines.filter((l) => l.includes(TOKEN));
      expect(withToken).toHaveLength(1);
      expect(withToken[0]).toMatch(/^ {2}Open: {3}http:\/\/panel-abcd2345\.localhost:\d+\/\?token=/);
      expect(lines.join("\n")).toContain(`  Remote: ${tunnelCommand(endpoint, "me@ws")}   then`);
    }
  });

  it("checks ssh hosts and socket paths and says what to do", () => {
    expect(checkSshHost("me@workstation.example")).toBeUndefined();
    expect(checkSshHost("ws-alias")).toBeUndefined();
    expect(checkSshHost("-oProxyCommand=x")).toMatch(/starts with "-"/);
    expect(checkSshHost("ws; rm -rf ~")).toMatch(/characters ssh does not take/);
    expect(checkSocketPath("/run/user/1000/panel.sock")).toBeUndefined();
    expect(checkSocketPath("panel.sock")).toMatch(/absolute path/);
    expect(checkSocketPath("/tmp/a:b.sock")).toMatch(/must not contain ':'/);
    expect(checkSocketPath(`/tmp/${"x".repeat(120)}`)).toMatch(/under 100/);
  });
});

describe("--print-tunnel", () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach(removeDir));
  const run = (host: string, o: Partial<Parameters<typeof printTunnel>[1]> & { dataDir: string }) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = printTunnel(host, { defaultPort: 4400, ...o, out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out, err: err.join("\n") };
  };

  it("prints the running server's tunnel (the port --port 0 picked) and its URL, never the token", () => {
    const dataDir = tempDir("ltp-print-tunnel-");
    dirs.push(dataDir);
    writeServerInfo(dataDir, { pid: process.pid, instanceName: "panel-abcd2345", endpoint: { kind: "tcp", host: "127.0.0.1", port: 45123 }, url: "http://panel-abcd2345.localhost:45123/" });
    const r = run("me@ws", { dataDir });
    expect(r).toMatchObject({ code: 0, out: ["ssh -N -L 45123:127.0.0.1:45123 me@ws"] });
    expect(r.err).toContain("then open http://panel-abcd2345.localhost:45123/ on your machine");
    // Flags on the command line win over the running server.
    expect(run("ws", { dataDir, port: 4500 }).out).toEqual(["ssh -N -L 4500:127.0.0.1:4500 ws"]);
    expect(run("ws", { dataDir, socket: "/home/me/p.sock", port: 4600 }).out).toEqual(["ssh -N -L 4600:/home/me/p.sock ws"]);
    // The server removes its file when it stops; a file left by a killed server (its pid gone) is ignored.
    removeServerInfo(dataDir);
    expect(readServerInfo(dataDir)).toBeUndefined();
    const gone = spawnSync("true").pid!;
    writeServerInfo(dataDir, { pid: gone, instanceName: "panel-abcd2345", endpoint: { kind: "tcp", host: "127.0.0.1", port: 45123 }, url: "http://panel-abcd2345.localhost:45123/" });
    expect(readServerInfo(dataDir)).toBeUndefined();
    expect(run("ws", { dataDir }).out).toEqual(["ssh -N -L 4400:127.0.0.1:4400 ws"]);
  });

  it("with no running server: the flags' (or default) port, and it says so; bad input changes nothing and exits 2", () => {
    const dataDir = tempDir("ltp-print-tunnel-");
    dirs.push(dataDir);
    const r = run("ws", { dataDir });
    expect(r.out).toEqual(["ssh -N -L 4400:127.0.0.1:4400 ws"]);
    expect(r.err).toMatch(/no panel is running with the data dir .*: this is for port 4400/);
    expect(run("-oProxyCommand=sh", { dataDir })).toMatchObject({ code: 2, out: [] });
    expect(run("ws", { dataDir, port: 0 })).toMatchObject({ code: 2, out: [] });
    expect(run("ws", { dataDir, socket: "relative.sock" })).toMatchObject({ code: 2, out: [] });
  });
});
