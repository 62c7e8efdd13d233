/**
 * Running the pinned real codex (node_modules/.bin/codex, @openai/codex 0.169.0) offline against
 * the scripted model server (model-server.ts):
 *
 *  - `makeCodexEnv(baseUrl)`: a temp CODEX_HOME, the codex options that point it at the server
 *    (a custom `model_provider` "mock", retries off) and switch off what would reach the network
 *    (the curated-plugins `git ls-remote https://github.com/openai/plugins.git`, analytics, update
 *    checks), plus proxy variables that send any stray HTTP(S) request to a closed local port.
 *  - `setProcessEnv(vars)`: sets process.env for a test and returns the function that restores it.
 *    launch.sh embeds LONGTABLE_CODEX_ARGS / LONGTABLE_AGENT_ENV / CODEX_HOME / MOCK_KEY at launch
 *    (server/bridge/agent.ts), so they must be in process.env while the panel launches workers.
 *  - `runCodex(args)`: one codex invocation with stdin from a file or /dev/null (never an open pipe).
 *  - `realCodexHarness(script)`: bridgeHarness (panel, throw-away tmux socket, temp repo,
 *    supervisor) with the real binary, the model server and the environment above.
 *
 * To run a whole server (e2e) against the model server, give it the same environment:
 * `codexEnv.panelEnv` plus LONGTABLE_CODEX_BIN=CODEX_BIN (see the report of issue 6).
 */
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { bridgeHarness, type BridgeHarness } from "./bridge";
import { startModelServer, type ModelScript, type ModelServer, type ModelServerOptions } from "./model-server";
import { removeDir, tempDir, tempDirOutsideTmp } from "./repo";

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The pinned codex: absolute, so launch.sh works whatever PATH tmux has. */
export const CODEX_BIN = join(PROJECT_ROOT, "node_modules", ".bin", "codex");
/** Must match package.json devDependencies["@openai/codex"]; codex-contract.test.ts checks both. */
export const PINNED_CODEX_VERSION = "0.169.0";
/**
 * The model name sent to the model server. A slug codex 0.169.0 knows: with an unknown name
 * (e.g. "mock-model") codex warns "Model metadata for `mock-model` not found" as an `error` item
 * in --json output, and does not offer the apply_patch tool at all.
 */
export const MOCK_MODEL = "gpt-5.5";
export const MOCK_KEY_NAME = "MOCK_KEY";
export const MOCK_KEY_VALUE = "sk-longtable-mock-key";
/** Any HTTP(S) request that is not for 127.0.0.1 goes here and is refused at once. */
export const DEAD_PROXY = "http://127.0.0.1:9";

export interface CodexEnvOptions {
  model?: string;
  /**
   * Keep /tmp and $TMPDIR out of the sandbox's writable roots (default true). codex's
   * workspace-write sandbox makes them writable by default, and the temp repos of tests live in
   * /tmp, so without this a command could write into the leader checkout.
   */
  excludeTmp?: boolean;
  /** The provider's stream_idle_timeout_ms (codex's default is minutes). */
  streamIdleTimeoutMs?: number;
  /** More codex options, after ours. */
  extraArgs?: string[];
}

export interface CodexEnv {
  /** The temp CODEX_HOME (sessions, rollouts, logs). */
  home: string;
  baseUrl: string;
  model: string;
  /** codex options (before any `resume`): -c model_provider…, -m, feature switches. */
  args: string[];
  /** Environment codex itself needs: CODEX_HOME, MOCK_KEY, proxy variables. */
  env: Record<string, string>;
  /** What a panel server's process.env needs so launch.sh runs codex like this: env + LONGTABLE_CODEX_ARGS + LONGTABLE_AGENT_ENV. */
  panelEnv: Record<string, string>;
  cleanup(): void;
}

/** `-c` value of the provider table (TOML inline table). */
export function providerToml(baseUrl: string, streamIdleTimeoutMs?: number): string {
  const fields = [
    `name="mock"`,
    `base_url=${JSON.stringify(baseUrl)}`,
    `wire_api="responses"`,
    `env_key=${JSON.stringify(MOCK_KEY_NAME)}`,
    "request_max_retries=0",
    "stream_max_retries=0",
  ];
  if (streamIdleTimeoutMs !== undefined) fields.push(`stream_idle_timeout_ms=${streamIdleTimeoutMs}`);
  return `{${fields.join(",")}}`;
}

export function makeCodexEnv(baseUrl: string, options: CodexEnvOptions = {}): CodexEnv {
  const home = tempDirOutsideTmp("ltp-codex-home-");
  const model = options.model ?? MOCK_MODEL;
  const args = [
    "-c", "model_provider=mock",
    "-c", `model_providers.mock=${providerToml(baseUrl, options.streamIdleTimeoutMs)}`,
    "-m", model,
    // 0.169.0 runs `git ls-remote https://github.com/openai/plugins.git HEAD` at every start otherwise.
    "-c", "features.plugins=false",
    "-c", "analytics.enabled=false",
    "-c", "check_for_update_on_startup=false",
    ...(options.excludeTmp === false
      ? []
      : ["-c", "sandbox_workspace_write.exclude_slash_tmp=true", "-c", "sandbox_workspace_write.exclude_tmpdir_env_var=true"]),
    ...(options.extraArgs ?? []),
  ];
  const env: Record<string, string> = {
    CODEX_HOME: home,
    [MOCK_KEY_NAME]: MOCK_KEY_VALUE,
    HTTPS_PROXY: DEAD_PROXY,
    HTTP_PROXY: DEAD_PROXY,
    ALL_PROXY: DEAD_PROXY,
    NO_PROXY: "127.0.0.1,localhost",
  };
  const panelEnv = {
    ...env,
    LONGTABLE_CODEX_ARGS: JSON.stringify(args),
    // CODEX_HOME, PATH, HOME and LANG are always embedded; these are the extra names.
    LONGTABLE_AGENT_ENV: [MOCK_KEY_NAME, "HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY"].join(","),
  };
  return { home, baseUrl, model, args, env, panelEnv, cleanup: () => removeDir(home) };
}

/** Set process.env values (undefined deletes); returns a function that puts the old values back. */
export function setProcessEnv(vars: Record<string, string | undefined>): () => void {
  const saved = new Map<string, string | undefined>();
  for (const [name, value] of Object.entries(vars)) {
    saved.set(name, process.env[name]);
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

export interface CodexRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSONL (lines that are not JSON are skipped). */
  events: Array<Record<string, unknown>>;
}

/**
 * Runs the codex binary once. stdin is `stdinFile` or /dev/null. Killed (by its pid) after
 * `timeoutMs`. The environment is process.env plus `env`.
 */
export function runCodex(
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string; stdinFile?: string; timeoutMs?: number; bin?: string } = {},
): Promise<CodexRun> {
  const stdinFd = openSync(options.stdinFile ?? "/dev/null", "r");
  return new Promise<CodexRun>((resolvePromise, reject) => {
    const child = spawn(options.bin ?? CODEX_BIN, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: [stdinFd, "pipe", "pipe"],
    });
    closeSync(stdinFd);
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr!.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, "SIGKILL");
    }, options.timeoutMs ?? 30_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const events = stdout.split("\n").flatMap((line) => {
        try {
          const v = JSON.parse(line) as unknown;
          return v && typeof v === "object" && !Array.isArray(v) ? [v as Record<string, unknown>] : [];
        } catch {
          return [];
        }
      });
      resolvePromise({ code, signal, stdout, stderr, events });
    });
  });
}

/** stderr without codex's environment warnings (e.g. "WARNING: proceeding, even though we could not create PATH aliases…"). */
export function significantStderr(stderr: string): string[] {
  return stderr.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !/^WARNING: /.test(l));
}

export interface RealCodexHarness extends BridgeHarness {
  model: ModelServer;
  codexEnv: CodexEnv;
}

/**
 * bridgeHarness with the real codex: starts the model server with `script`, makes a codex
 * environment for it, puts that in process.env (restored by cleanup) and points the panel's
 * codexBin at node_modules/.bin/codex.
 */
export async function realCodexHarness(
  script: ModelScript,
  options: { files?: Record<string, string>; codex?: CodexEnvOptions; server?: ModelServerOptions } = {},
): Promise<RealCodexHarness> {
  const model = await startModelServer(script, options.server);
  const codexEnv = makeCodexEnv(model.baseUrl, options.codex);
  const restoreEnv = setProcessEnv(codexEnv.panelEnv);
  let h: BridgeHarness;
  try {
    h = await bridgeHarness({}, options.files, { codexBin: CODEX_BIN });
  } catch (error) {
    restoreEnv();
    await model.close();
    codexEnv.cleanup();
    throw error;
  }
  const harnessCleanup = h.cleanup.bind(h);
  return {
    ...h,
    model,
    codexEnv,
    async cleanup() {
      try {
        await harnessCleanup();
      } finally {
        restoreEnv();
        await model.close();
        codexEnv.cleanup();
      }
    },
  };
}

/** Writes a file (making its folder) and returns its path. */
export function writeFileIn(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}
