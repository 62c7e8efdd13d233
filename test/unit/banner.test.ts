import { describe, expect, it } from "vitest";
import { checkSocketPath, checkSshHost, loginUrl, panelUrl, startBanner, tunnelCommand, type Endpoint } from "@/server/http/banner";

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
