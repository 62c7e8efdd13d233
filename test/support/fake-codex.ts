/**
 * makeFakeCodex(dir, script): writes `<dir>/fake-codex-script.json` and an executable wrapper
 * `<dir>/codex` that runs test/support/fake-codex.mjs with FAKE_CODEX_SCRIPT set (absolute node
 * and script paths, so it works whatever PATH a tmux server or launch.sh has). Returns the
 * wrapper's absolute path: use it as the codex binary.
 *
 * Script format (JSON), keyed by role id; the role is read from the task on stdin
 * (the line `Role: <label> (<role>)`):
 *
 *   {
 *     "reviewer": [ step, … ],                        // steps for every run of this role, or
 *     "tester": { "runs": [[step, …], [step, …]] },   // n-th run of the role uses runs[n] (last repeats)
 *     "*": [ … ],                                     // any role without its own entry
 *     "followup": [ … ] | { "<role>": [ … ] | {runs} }, // `exec … resume <thread_id> -` turns
 *     "_options": {
 *       "record": "/abs/file.jsonl",    // append {argv, cwd, stdin, env, pid} per invocation
 *       "recordEnv": ["NAME"],          // env values to include in the record
 *       "stateDir": "/abs/dir",         // thread ids and run counters (default <dir>/fake-codex-state)
 *       "login": { "loggedIn": false }  // `codex login status` fails
 *     }
 *   }
 *
 * Steps (one key each, run in order; paths relative to the -C directory):
 *   {write: {path, content}}  {delete: path}  {rename: [from, to]}   → a file_change item
 *   {command: "npm test", output?: "...", exitCode?: 0}              → command_execution items (not run)
 *   {shell: "git status"}                                            → runs it with bash, real output and exit code
 *   {message: "text"}                                                → agent_message item
 *   {result: {...} | "raw text"}                                     → an agent_message (JSON-stringified)
 *     Like codex, the turn's LAST agent message (result or message) is written to -o when the
 *     turn completes; a failed turn leaves -o as it was (created empty when missing).
 *   {bigOutput: bytes, to?: "result" | "stdout"}                     → a ~bytes result in -o, or a huge command output line
 *   {emit: {...}}   {stdout: "garbage"}   {stderr: "text"}           → raw output
 *   {usage: {input_tokens, cached_input_tokens, output_tokens}}     → this turn's usage; turn.completed reports the
 *                                                                      thread's running total (a resumed thread adds to it)
 *   {sleep: ms}   {hang: true}   {exit: code}   {fail: "message", exit?: code} (error + turn.failed events)
 * With --json, stdout is codex-like JSONL: thread.started {thread_id (a UUIDv7)}, turn.started,
 * item.started / item.completed, turn.completed {usage} (not emitted after exit/fail/hang).
 * Known differences from codex-cli 0.169.0 (see fake-codex.mjs): commands are reported as given,
 * not wrapped as `/bin/bash -lc '<cmd>'`; file changes have no item.started; usage has no
 * cache_write_input_tokens / reasoning_output_tokens; output-schema errors are worded differently.
 */
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { dirname, join, resolve } from "node:path";
import { shellQuote } from "../../server/bridge/launcher";

export type FakeCodexStep =
  | { write: { path: string; content: string } }
  | { delete: string }
  | { rename: [string, string] }
  | { command: string; output?: string; exitCode?: number }
  | { shell: string }
  | { message: string }
  | { result: unknown }
  | { bigOutput: number; to?: "result" | "stdout" }
  | { emit: unknown }
  | { stdout: string }
  | { stderr: string }
  | { usage: { input_tokens?: number; cached_input_tokens?: number; output_tokens?: number } }
  | { sleep: number }
  | { hang: true }
  | { exit: number }
  | { fail: string; exit?: number };

export type FakeCodexEntry = FakeCodexStep[] | { runs: FakeCodexStep[][] };

export interface FakeCodexOptions {
  record?: string;
  recordEnv?: string[];
  stateDir?: string;
  login?: { loggedIn: boolean };
}

export type FakeCodexScript = {
  _options?: FakeCodexOptions;
  followup?: FakeCodexEntry | Record<string, FakeCodexEntry>;
} & { [role: string]: FakeCodexEntry | Record<string, FakeCodexEntry> | FakeCodexOptions | undefined };

export interface FakeCodexRecord {
  argv: string[];
  cwd: string;
  stdin: string;
  env: Record<string, string | null>;
  pid: number;
}

// (not `new URL("./x.mjs", import.meta.url)`: Vite would import the file as a module)
export const FAKE_CODEX_MJS = join(dirname(fileURLToPath(import.meta.url)), "fake-codex.mjs");

export async function makeFakeCodex(dir: string, script: FakeCodexScript): Promise<string> {
  const root = resolve(dir);
  await mkdir(root, { recursive: true });
  const scriptPath = join(root, "fake-codex-script.json");
  const wrapperPath = join(root, "codex");
  await writeFile(scriptPath, `${JSON.stringify(script, null, 2)}\n`);
  await writeFile(
    wrapperPath,
    [
      "#!/bin/sh",
      `FAKE_CODEX_SCRIPT=${shellQuote(scriptPath)}`,
      "export FAKE_CODEX_SCRIPT",
      `exec ${shellQuote(process.execPath)} ${shellQuote(FAKE_CODEX_MJS)} "$@"`,
      "",
    ].join("\n"),
  );
  await chmod(wrapperPath, 0o755);
  return wrapperPath;
}
