/**
 * An SSH host as a machine to run steps on (ARCHITECTURE.md §3 "Transports"): its facts (home,
 * PATH, node), the panel's scripts installed in its panel folder (ssh/bundle.ts), the panel's
 * operations there (`node host-ops.mjs <op>`, JSON in and out), executables found on its PATH,
 * and the bubblewrap trial there. Every command goes through the host's shared connection.
 */
import { isAbsolute, join } from "node:path";
import { availableAgents } from "../../agents/registry";
import type { HostSettings } from "../../core/hosts";
import { bwrapArgs, type SandboxMode, type SandboxStatus } from "../sandbox";
import { BOOTSTRAP, INFO, bundlePayload, scriptBundle } from "./bundle";
import type { SshConnection } from "./connection";

export interface HostInfo {
  home: string;
  path: string;
  lang?: string;
  lcAll?: string;
  term?: string;
  node: string;
  /** The agents' own environment names (passEnv) as set there. */
  vars: Record<string, string>;
  /** node's absolute path there. */
  nodeBin: string;
  /** The panel's folder there, and its scripts of this version. */
  panelDir: string;
  scriptsDir: string;
  /** Which of bridge/sandbox.ts's SYSTEM_HIDDEN_DIRS / SYSTEM_SOCKETS exist there (real paths). */
  systemHide: string[];
  systemMask: string[];
}

export class RemoteMachine {
  private info?: Promise<HostInfo>;
  private bins = new Map<string, Promise<string | undefined>>();
  private sandboxProbe?: Promise<Omit<SandboxStatus, "mode">>;

  constructor(readonly host: HostSettings, readonly conn: SshConnection, private readonly projectRoot: string) {}

  /** The host's facts, with the panel's scripts installed there (once per connection object; again after a failure). */
  facts(): Promise<HostInfo> {
    if (!this.info) {
      this.info = this.load();
      this.info.catch(() => (this.info = undefined));
    }
    return this.info;
  }

  private async load(): Promise<HostInfo> {
    const names = [...new Set(availableAgents().flatMap((a) => a.passEnv ?? []))];
    const r = await this.conn.exec([this.host.nodeBin, "-e", INFO, ...names], { timeoutMs: 30_000 });
    if (r.code !== 0) throw new Error(`node did not run on ${this.host.id} (${this.host.nodeBin}): ${r.stderr.trim().split("\n").pop() || `exit ${r.code}`}; install node 20+ there or set the host's node binary`);
    const raw = JSON.parse(r.stdout.toString("utf8")) as { home: string; path: string; lang?: string; lcAll?: string; term?: string; node: string; execPath: string; vars?: Record<string, string>; systemHide?: unknown; systemMask?: unknown };
    if (!isAbsolute(raw.home || "x") && !this.host.panelDir) throw new Error(`${this.host.id} has no HOME: set the host's panel folder`);
    const panelDir = this.host.panelDir ?? join(raw.home, ".longtable-panel-host");
    const bundle = scriptBundle(this.projectRoot);
    const scriptsDir = join(panelDir, "scripts", bundle.hash);
    const installed = await this.conn.exec([raw.execPath, "-e", BOOTSTRAP, scriptsDir], { input: bundlePayload(bundle), timeoutMs: 60_000 });
    if (installed.code !== 0) throw new Error(`copying the panel's worker scripts to ${this.host.id}:${scriptsDir} failed: ${installed.stderr.trim().split("\n").pop() || `exit ${installed.code}`}`);
    const paths = (v: unknown) => (Array.isArray(v) ? v.filter((p): p is string => typeof p === "string" && isAbsolute(p) && !p.includes("\0")) : []);
    return { home: raw.home, path: raw.path, lang: raw.lang, lcAll: raw.lcAll, term: raw.term, node: raw.node, vars: raw.vars ?? {}, nodeBin: raw.execPath, panelDir, scriptsDir, systemHide: paths(raw.systemHide), systemMask: paths(raw.systemMask) };
  }

  /** One of the panel's operations there (host-ops.mjs); its answer, or an Error with its message. */
  async op<T>(name: string, request: unknown, timeoutMs = 120_000): Promise<T> {
    const info = await this.facts();
    const r = await this.conn.exec([info.nodeBin, join(info.scriptsDir, "server", "bridge", "host-ops.mjs"), name], { input: JSON.stringify(request), timeoutMs });
    let answer: { ok?: T; error?: string };
    try {
      answer = JSON.parse(r.stdout.toString("utf8"));
    } catch {
      throw new Error(`${name} on ${this.host.id} failed: ${r.stderr.trim().split("\n").pop() || `exit ${r.code}`}`);
    }
    if (answer.error !== undefined) throw new Error(`${name} on ${this.host.id}: ${answer.error}`);
    return answer.ok as T;
  }

  /** A command name or path as an absolute executable path there (`command -v`, the name is an argument). */
  resolveBin(setting: string): Promise<string | undefined> {
    let p = this.bins.get(setting);
    if (!p) {
      p = this.conn.exec(["sh", "-c", 'command -v -- "$1"', "sh", setting], { timeoutMs: 15_000 }).then((r) => {
        const found = r.stdout.toString("utf8").trim().split("\n")[0] ?? "";
        return r.code === 0 && isAbsolute(found) ? found : undefined;
      });
      p.then((v) => v === undefined && this.bins.delete(setting), () => this.bins.delete(setting));
      this.bins.set(setting, p);
    }
    return p;
  }

  /** The panel's sandbox there: the same bubblewrap trial as on this machine (bridge/sandbox.ts), run on the host. */
  async sandbox(mode: SandboxMode, fresh = false): Promise<SandboxStatus> {
    if (mode === "off") return { active: false, mode, reason: "LONGTABLE_SANDBOX=off: agents run in their own sandbox only" };
    if (!this.sandboxProbe || fresh) {
      this.sandboxProbe = this.probeSandbox();
      this.sandboxProbe.catch(() => (this.sandboxProbe = undefined));
    }
    return { ...(await this.sandboxProbe), mode };
  }

  private async probeSandbox(): Promise<Omit<SandboxStatus, "mode">> {
    const install = `apt-get install -y bubblewrap (on ${this.host.id})`;
    const bwrap = await this.resolveBin("bwrap");
    if (!bwrap) return { active: false, reason: `bubblewrap (bwrap) is not installed on ${this.host.id}`, fix: install };
    const version = (await this.conn.exec([bwrap, "--version"])).stdout.toString("utf8").trim().replace(/^bubblewrap\s*/, "");
    const made = await this.conn.exec(["mktemp", "-d", "/tmp/ltp-sandbox-trial-XXXXXXXX"]);
    const dir = made.stdout.toString("utf8").trim();
    if (made.code !== 0 || !isAbsolute(dir)) return { active: false, bwrap, version, reason: `no temp folder on ${this.host.id} for the sandbox trial` };
    try {
      const wt = join(dir, "wt");
      await this.conn.exec(["sh", "-c", 'mkdir -p "$1/wt" && echo s > "$1/secret"', "sh", dir]);
      // A write in the worktree works, a write to the (read-only) root fails, the data dir is hidden.
      const script = 'echo ok > ./inside && ! (echo x > /.ltp-sandbox-trial) 2>/dev/null && [ ! -e "$1/secret" ]';
      // With the host's system hides: a mount bubblewrap refuses there fails the trial, not every launch.
      const info = await this.facts().catch(() => undefined);
      const r = await this.conn.exec([bwrap, ...bwrapArgs({ worktree: wt, gitCommonDir: wt, hide: [dir, ...(info?.systemHide ?? [])], mask: info?.systemMask, writable: [] }), "sh", "-c", script, "trial", dir]);
      if (r.code !== 0) {
        const out = `${r.stdout.toString("utf8")}${r.stderr}`.trim().split("\n")[0] || `exit ${r.code}`;
        return { active: false, bwrap, version, reason: `bubblewrap is installed on ${this.host.id} but a trial run failed: ${out}`, fix: "allow unprivileged user namespaces there (sysctl kernel.unprivileged_userns_clone=1), or set LONGTABLE_SANDBOX=off to rely on the agents' own sandboxes" };
      }
      return { active: true, bwrap, version };
    } finally {
      await this.conn.exec(["rm", "-rf", "--", dir]).catch(() => undefined);
    }
  }
}
