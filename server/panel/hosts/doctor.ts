/**
 * hosts.check: the doctor for one host, over its shared SSH connection — the connection itself,
 * node (it runs the finish step), git and the clone, tmux, bubblewrap (the same trial as here),
 * each agent's binary (and codex's login), and the disk space where the clone is.
 */
import { availableAgents } from "../../agents/registry";
import { firstLine, statusLine } from "../../agents/probe";
import { isUnreachable } from "../../bridge/transport/types";
import type { Panel } from "../panel";
import { hostStatus, hostTransport } from "./registry";
import { getHost } from "./store";

export interface HostCheck {
  name: string;
  ok: boolean;
  version?: string;
  detail?: string;
  fix?: string;
}

/** Below this much free space where the clone is, the check warns (worktrees and builds need room). */
const MIN_FREE_KB = 1024 * 1024;

export async function checkHost(panel: Panel, id: string) {
  const host = getHost(panel, id);
  const tr = hostTransport(panel, id);
  const checks: HostCheck[] = [];
  const sshFix = `check that \`ssh ${host.destination} true\` works without a prompt (a key in ssh-agent or IdentityFile, the host key known)${host.sshConfig ? ` with -F ${host.sshConfig}` : ""}`;
  try {
    await tr.conn.connect();
    checks.push({ name: "ssh", ok: true, detail: `one shared connection to ${host.destination} (ControlMaster pid ${tr.conn.masterPid ?? "?"})` });
  } catch (error) {
    checks.push({ name: "ssh", ok: false, detail: (error as Error).message, fix: sshFix });
    return { host, status: hostStatus(panel, id), checks, ok: false };
  }
  const exec = (argv: string[]) => tr.conn.exec(argv, { timeoutMs: 20_000 }).then((r) => ({ ok: r.code === 0, out: `${r.stdout.toString("utf8")}\n${r.stderr}`.trim() }));
  try {
    try {
      const info = await tr.machine.facts();
      checks.push({ name: "node", ok: true, version: info.node.replace(/^v/, ""), detail: `${info.nodeBin}; the panel's worker scripts are in ${info.scriptsDir}` });
    } catch (error) {
      if (isUnreachable(error)) throw error;
      checks.push({ name: "node", ok: false, detail: (error as Error).message, fix: `install node 20+ on ${id}, or set the host's node binary to its absolute path` });
    }
    const git = await exec(["git", "--version"]);
    checks.push({ name: "git", ok: git.ok, version: git.ok ? firstLine(git.out).replace(/^git version /, "") : undefined, fix: git.ok ? undefined : `install git on ${id}` });
    const clone = await exec(["git", "-C", host.clonePath, "rev-parse", "--show-toplevel"]);
    checks.push({
      name: "clone",
      ok: clone.ok,
      detail: clone.ok ? `${firstLine(clone.out)} is a git work tree` : `${host.clonePath}: ${firstLine(clone.out)}`,
      fix: clone.ok ? undefined : `clone the repository there: ssh ${host.destination} git clone <url> ${host.clonePath}`,
    });
    const tmux = await exec(["tmux", "-V"]);
    checks.push({ name: "tmux", ok: tmux.ok, version: tmux.ok ? firstLine(tmux.out).replace(/^tmux /, "") : undefined, fix: tmux.ok ? undefined : `install tmux on ${id}` });
    const sandbox = await tr.sandbox(panel.config.sandbox, true);
    checks.push({ name: "bubblewrap", ok: sandbox.active, version: sandbox.version, detail: sandbox.active ? "agents there run in the panel's sandbox" : sandbox.reason, fix: sandbox.active ? undefined : sandbox.fix });
    for (const agent of availableAgents()) {
      const setting = host.agentBins[agent.id] || agent.binSetting.fallback;
      const bin = await tr.resolveBin(setting);
      if (!bin) {
        checks.push({ name: agent.id, ok: false, detail: `${setting} was not found on ${id}`, fix: `install ${agent.label} there, or set the host's ${agent.id} binary` });
        continue;
      }
      const version = await exec([bin, "--version"]);
      const login = agent.id === "codex" ? await exec([bin, "login", "status"]) : undefined;
      const loggedIn = !login || (login.ok && !/not logged in/i.test(login.out));
      checks.push({
        name: agent.id,
        ok: version.ok && loggedIn,
        version: version.ok ? statusLine(version.out).replace(/^codex(-cli)?\s*/, "") : undefined,
        detail: `${bin}${login ? `; ${statusLine(login.out) || "login status unknown"}` : ""}`,
        fix: !version.ok ? `${bin} did not run on ${id}` : loggedIn ? undefined : `log in there: ssh -t ${host.destination} ${bin} login`,
      });
    }
    const df = await tr.machine.op<{ availableKb: number | null }>("df", { path: host.clonePath }).catch(() => ({ availableKb: null }));
    checks.push({
      name: "disk",
      ok: df.availableKb !== null && df.availableKb >= MIN_FREE_KB,
      detail: df.availableKb === null ? "free space unknown" : `${(df.availableKb / 1024 / 1024).toFixed(1)} GB free where the clone is`,
      fix: df.availableKb !== null && df.availableKb < MIN_FREE_KB ? `free some space on ${id}: every worker has a worktree there` : undefined,
    });
  } catch (error) {
    if (!isUnreachable(error)) throw error;
    checks.push({ name: "ssh", ok: false, detail: (error as Error).message, fix: sshFix });
  }
  return { host, status: hostStatus(panel, id), checks, ok: checks.every((c) => c.ok || c.name === "bubblewrap") };
}
