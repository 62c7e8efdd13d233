/**
 * The contract with the pinned codex binary (node_modules/.bin/codex): its version, and that every
 * option the launcher passes (codexExecArgs) and every option the real-codex tests pass
 * (codex-env.ts) is still in `codex exec --help`. When one of these fails, codex was upgraded or
 * the pin changed: read the message, run the real-codex tests, and upgrade deliberately.
 * Also: system.doctor against the real binary with a temp CODEX_HOME.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { codexExecArgs } from "@/server/agents/codex";
import { FAKE_CODEX_MJS } from "../support/fake-codex.ts";
import {
  CODEX_BIN, PINNED_CODEX_VERSION, PROJECT_ROOT, makeCodexEnv, runCodex, setProcessEnv, significantStderr, writeFileIn,
} from "../support/codex-env";
import { callerFor, closePanel, openTestPanel } from "../support/panel";
import { removeDir, tempDir, tempDirOutsideTmp } from "../support/repo";

const UPGRADE_NOTE =
  "The pinned codex changed. Upgrade deliberately: run test/integration/real-codex*.test.ts against it, check " +
  "`codex exec --help` / `codex exec resume --help` against server/bridge/launcher.ts codexExecArgs, bring " +
  "test/support/fake-codex.mjs in line, then update PINNED_CODEX_VERSION in test/support/codex-env.ts.";

/** Long and short option names in a clap help text, and the [possible values: …] of each. */
function helpOptions(help: string): Map<string, string[]> {
  const options = new Map<string, string[]>();
  let current: string[] = [];
  for (const line of help.split("\n")) {
    const m = /^\s{2,}(?:(-[A-Za-z]), )?(--[a-z][a-z0-9-]*)|^\s{2,}(-[A-Za-z])\b/.exec(line);
    if (m) {
      current = [m[1], m[2], m[3]].filter((x): x is string => Boolean(x));
      for (const name of current) options.set(name, []);
      continue;
    }
    const values = /\[possible values: ([^\]]+)\]/.exec(line);
    if (values) for (const name of current) options.set(name, values[1]!.split(",").map((v) => v.trim()));
  }
  return options;
}

/** Commands listed under "Commands:" in a clap help text. */
function helpCommands(help: string): string[] {
  const section = /\nCommands:\n([\s\S]*?)\n\n/.exec(help)?.[1] ?? "";
  return section.split("\n").map((l) => /^\s+([a-z][a-z0-9-]*)\s/.exec(l)?.[1]).filter((x): x is string => Boolean(x));
}

/** The options (and their values) of an argv, up to a subcommand or a positional. */
function optionsIn(argv: readonly string[], valued: Set<string>): Array<{ flag: string; value?: string }> {
  const out: Array<{ flag: string; value?: string }> = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("-") || a === "-") break;
    if (valued.has(a)) {
      out.push({ flag: a, value: argv[i + 1] });
      i++;
    } else out.push({ flag: a });
  }
  return out;
}

const VALUED = new Set(["-s", "--sandbox", "-C", "--cd", "--output-schema", "-o", "--output-last-message", "-c", "--config", "-m", "--model", "--color", "-p", "--profile"]);

let restore: (() => void) | undefined;
const cleanups: Array<() => void | Promise<void>> = [];
/** Every codex run here gets a temp CODEX_HOME (outside /tmp, where codex refuses to set up its sandbox): without one codex writes helper files under ~/.codex. */
let home: string;
beforeEach(() => {
  home = tempDirOutsideTmp("ltp-codex-home-");
  cleanups.push(() => removeDir(home));
});
const codexRun = (args: string[], options: Parameters<typeof runCodex>[1] = {}) => runCodex(args, { ...options, env: { CODEX_HOME: home, ...options.env } });
afterEach(async () => {
  restore?.();
  restore = undefined;
  for (const c of cleanups.splice(0)) await c();
});

describe("codex contract (pinned binary)", () => {
  it(`is exactly codex-cli ${PINNED_CODEX_VERSION}, the version package.json pins and the fake claims`, async () => {
    const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as { devDependencies?: Record<string, string> };
    expect(pkg.devDependencies?.["@openai/codex"], `package.json pins @openai/codex ${pkg.devDependencies?.["@openai/codex"]}, the tests expect ${PINNED_CODEX_VERSION}. ${UPGRADE_NOTE}`).toBe(PINNED_CODEX_VERSION);
    const real = await codexRun(["--version"]);
    expect(real.code, `codex --version failed: ${real.stderr}`).toBe(0);
    expect(real.stdout.trim(), `node_modules/.bin/codex --version is not codex-cli ${PINNED_CODEX_VERSION}. ${UPGRADE_NOTE}`).toBe(`codex-cli ${PINNED_CODEX_VERSION}`);
    const fakeVersion = await runCodexFake(["--version"]);
    expect(fakeVersion, "test/support/fake-codex.mjs claims another version than the real codex").toBe(real.stdout.trim());
  });

  it("still accepts every option codexExecArgs passes, before and after `resume`", async () => {
    const exec = await codexRun(["exec", "--help"]);
    const resume = await codexRun(["exec", "resume", "--help"]);
    expect(exec.code, exec.stderr).toBe(0);
    expect(resume.code, resume.stderr).toBe(0);
    const execOptions = helpOptions(exec.stdout);
    const resumeOptions = helpOptions(resume.stdout);
    expect(execOptions.size, "could not read any option from `codex exec --help`: did its format change?").toBeGreaterThan(20);

    const paths = { worktreePath: "/wt", outputSchemaPath: "/wt/schema.json", lastMessagePath: "/wt/last.json" };
    const fresh = codexExecArgs(paths);
    const followUp = codexExecArgs({ ...paths, resumeThreadId: "01a21213-e7a1-7c91-8607-a7cc4824372a" });
    expect(fresh[0]).toBe("exec");
    expect(fresh.at(-1), "the prompt comes from stdin").toBe("-");

    const check = (argv: readonly string[], known: Map<string, string[]>, where: string) => {
      for (const { flag, value } of optionsIn(argv, VALUED)) {
        expect(known.has(flag), `codex ${where} no longer has ${flag} (server/bridge/launcher.ts codexExecArgs passes it). ${UPGRADE_NOTE}`).toBe(true);
        const allowed = known.get(flag)!;
        if (value !== undefined && allowed.length > 0) {
          expect(allowed, `codex ${where} ${flag} no longer accepts ${JSON.stringify(value)} (possible values: ${allowed.join(", ")}). ${UPGRADE_NOTE}`).toContain(value);
        }
      }
    };
    check(fresh.slice(1), execOptions, "exec");
    const r = followUp.indexOf("resume");
    expect(r, "a follow-up resumes the thread").toBeGreaterThan(0);
    check(followUp.slice(1, r), execOptions, "exec");
    expect(helpCommands(exec.stdout), `codex exec has no \`resume\` subcommand any more. ${UPGRADE_NOTE}`).toContain("resume");
    // After `resume`: <thread_id> then "-" (PROMPT read from stdin), and whatever options follow must be resume's.
    expect(followUp.slice(r + 1)).toEqual(["01a21213-e7a1-7c91-8607-a7cc4824372a", "-"]);
    expect(resume.stdout, `codex exec resume no longer takes [SESSION_ID] [PROMPT]. ${UPGRADE_NOTE}`).toMatch(/Usage: codex exec resume \[OPTIONS\] \[SESSION_ID\] \[PROMPT\]/);
    expect(resume.stdout, `codex exec resume no longer reads the prompt from stdin with "-". ${UPGRADE_NOTE}`).toMatch(/If `-` is used, read from stdin/);
    check(followUp.slice(r + 1).filter((a) => a.startsWith("-") && a !== "-"), resumeOptions, "exec resume");

    // The options the real-codex tests (and an e2e against the model server) pass via LONGTABLE_CODEX_ARGS.
    const env = makeCodexEnv("http://127.0.0.1:1/v1");
    cleanups.push(env.cleanup);
    check(env.args, execOptions, "exec");
  });

  it("rejects -s / -C after `resume` (why the launcher keeps every option before it)", async () => {
    const env = makeCodexEnv("http://127.0.0.1:1/v1");
    cleanups.push(env.cleanup);
    for (const flag of [["-s", "workspace-write"], ["-C", "/tmp"]]) {
      const r = await codexRun(["exec", "--skip-git-repo-check", "resume", "01a21213-e7a1-7c91-8607-a7cc4824372a", ...flag, "-"], { env: env.env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`unexpected argument '${flag[0]}' found`);
    }
  });

  it("system.doctor reports the real codex's version and login status with a temp CODEX_HOME", async () => {
    restore = setProcessEnv({ CODEX_HOME: home, OPENAI_API_KEY: undefined, CODEX_API_KEY: undefined });
    const panel = openTestPanel({ agentBins: { codex: CODEX_BIN, claude: "claude", command: "longtable-agent" } });
    cleanups.push(async () => {
      await closePanel(panel);
      removeDir(panel.config.dataDir);
    });
    const api = callerFor(panel, "viewer");

    const before = await api.system.doctor();
    const codex = before.checks.find((c) => c.name === "codex");
    expect(codex).toMatchObject({ ok: true, version: PINNED_CODEX_VERSION });
    expect(before.missing).not.toContain("codex");
    expect(before.codex).toMatchObject({ bin: CODEX_BIN, loggedIn: false, loginStatus: "Not logged in" });
    expect(before.codex.loginFix).toContain("login");

    // `codex login --with-api-key` only stores the key (offline); then doctor sees a login.
    const keyFile = writeFileIn(home, "key.txt", "sk-test-doctor-secret-98765\n");
    const login = await codexRun(["login", "--with-api-key"], { stdinFile: keyFile });
    expect(login.code, login.stderr).toBe(0);
    const after = await api.system.doctor();
    expect(after.codex.loggedIn).toBe(true);
    expect(after.codex.loginStatus).toMatch(/^API key configured - sk-test-\*+/);
    expect(after.codex.loginStatus).not.toContain("doctor-secret"); // codex masks the key
    expect(after.codex.loginFix).toBeUndefined();
    expect(significantStderr(login.stderr).join("\n")).toContain("API key saved");
  });

  it("system.doctor says whether agents are sandboxed: the panel's bubblewrap, or else codex's own, found broken by a trial command with the fix", async () => {
    const panelWith = (sandbox: "auto" | "off") => {
      const panel = openTestPanel({ sandbox, agentBins: { codex: CODEX_BIN, claude: "claude", command: "longtable-agent" } });
      cleanups.push(async () => {
        await closePanel(panel);
        removeDir(panel.config.dataDir);
      });
      return callerFor(panel);
    };
    const on = await panelWith("auto").system.doctor();
    expect(on.sandbox).toMatchObject({ kind: "bubblewrap", active: true });
    expect(on.checks.find((c) => c.name === "bubblewrap")).toMatchObject({ ok: true });

    // Without the panel's sandbox, codex uses its own — which cannot work with CODEX_HOME under
    // /tmp when a system bubblewrap is installed (openai/codex#24341): the doctor finds out.
    const tmpHome = tempDir("ltp-codex-home-tmp-");
    cleanups.push(() => removeDir(tmpHome));
    restore = setProcessEnv({ CODEX_HOME: tmpHome });
    const broken = await panelWith("off").system.doctor();
    expect(broken.sandbox).toMatchObject({ kind: "agent", active: false });
    expect(broken.sandbox.detail).toMatch(/codex's fails: .*(codex-linux-sandbox|bwrap)/);
    expect(broken.sandbox.fix).toMatch(/CODEX_HOME .*outside \/tmp/);
    restore();
    restore = setProcessEnv({ CODEX_HOME: home });
    const works = await panelWith("off").system.doctor();
    expect(works.sandbox).toMatchObject({ kind: "agent", active: true });
    expect(works.sandbox.detail).toMatch(/codex's works/);
  });
});

async function runCodexFake(args: string[]): Promise<string> {
  const r = await runCodex([FAKE_CODEX_MJS, ...args], { bin: process.execPath });
  return r.stdout.trim();
}
