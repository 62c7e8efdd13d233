import { afterEach, describe, expect, it } from "vitest";
import { MAX_SESSIONS, SshConnection } from "@/server/bridge/ssh/connection";
import { writeHostSshConfig } from "@/server/bridge/ssh/config";
import { isUnreachable } from "@/server/bridge/transport/types";
import { removeDir, tempDir } from "../support/repo";
import { startSshd, type TestSshd } from "../support/sshd";
import { waitFor } from "../support/wait";

let sshd: TestSshd | undefined;
let conn: SshConnection | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await conn?.close();
  await sshd?.stop();
  dirs.splice(0).forEach(removeDir);
  conn = undefined;
  sshd = undefined;
});

async function connect(maxSessions?: number) {
  sshd = await startSshd({ maxSessions });
  const dataDir = tempDir("ltp-ssh-conn-");
  dirs.push(dataDir);
  const now = new Date().toISOString();
  const files = writeHostSshConfig(dataDir, { id: "box", destination: sshd.alias, clonePath: "/srv/clone", tmuxSocket: "x", nodeBin: "node", agentBins: {}, sshConfig: sshd.configFile, sshOptions: [], sandboxWritable: [], createdAt: now, updatedAt: now });
  const states: string[] = [];
  conn = new SshConnection({ hostId: "box", destination: sshd.alias, configFile: files.configFile, controlPath: files.controlPath, onState: (s) => states.push(s) });
  await conn.connect();
  return { states, dataDir };
}

describe("the shared SSH connection (ssh/connection.ts)", () => {
  it("passes every argument through quoting literally, as one argv element each, over one master", async () => {
    const { states } = await connect();
    const args = ["it's", "$(touch pwned)", "`id`", "a b", "x;y", "new\nline", "-n", "*", "#{pane_id}", "\\", ""];
    const r = await conn!.exec(["node", "-e", "process.stdout.write(JSON.stringify(process.argv.slice(1)))", ...args]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout.toString("utf8"))).toEqual(args);
    expect(states).toEqual(["connecting", "up"]);
    expect(sshd!.log().match(/Accepted publickey/g)).toHaveLength(1);
    expect(conn!.masterPid).toBeGreaterThan(0);
    // The command's own exit code comes back; it is not an outage.
    expect((await conn!.exec(["sh", "-c", "exit 7"])).code).toBe(7);
  }, 180_000);

  it(`keeps at most ${MAX_SESSIONS} sessions at once, so a host's MaxSessions (sshd's default is 10) is never exceeded`, async () => {
    await connect(MAX_SESSIONS + 1);
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => conn!.exec(["sh", "-c", `sleep 0.2; echo ${i}`])));
    expect(results.map((r) => [r.code, r.stdout.toString("utf8").trim()])).toEqual(Array.from({ length: 24 }, (_, i) => [0, String(i)]));
    // One TCP connection: ssh falls back to a connection of its own when the master refuses a session.
    expect(sshd!.log().match(/Accepted publickey/g)).toHaveLength(1);
  }, 180_000);

  it("a dropped master makes steps fail at once as unreachable, then it reconnects by itself", async () => {
    const { states } = await connect();
    const pid = conn!.masterPid!;
    await sshd!.pause();
    process.kill(pid, "SIGTERM");
    const error = await waitFor(() => conn!.exec(["true"]).then(() => undefined, (e: unknown) => e), "a step to fail once the master is gone", 10_000);
    expect(isUnreachable(error)).toBe(true);
    expect(conn!.state).toBe("unreachable");
    await sshd!.resume();
    await waitFor(() => conn!.state === "up", "the connection to come back by itself", 30_000, 100);
    expect(conn!.masterPid).not.toBe(pid);
    expect((await conn!.exec(["echo", "back"])).stdout.toString("utf8")).toBe("back\n");
    expect(states.filter((s) => s === "up")).toHaveLength(2);
  }, 180_000);
});
