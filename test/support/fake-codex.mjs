#!/usr/bin/env node
/**
 * A scriptable stand-in for the OpenAI Codex CLI (`codex exec`), for tests. See fake-codex.ts for
 * the script format. The script file comes from $FAKE_CODEX_SCRIPT.
 *
 * Honours: --version, login status, exec [--json] [-s|--sandbox m] [-C|--cd dir]
 * [--skip-git-repo-check] [--output-schema f] [-o|--output-last-message f] [-m m] [-c k=v]
 * [--enable f] [--disable f] [--strict-config] [--color c] [--ephemeral] [PROMPT|-]
 * [resume <thread_id>|--last [PROMPT|-]].
 * Like codex-cli 0.169.0, -s, -C and --color are options of `exec` only: after `resume` they are
 * an error (exit 2); --json, -o, --output-schema, --skip-git-repo-check, --ephemeral, -m, -c,
 * --enable/--disable and --strict-config are accepted on both sides.
 *
 * Checked against the real codex-cli 0.169.0 (test/integration/real-codex.test.ts): thread ids are
 * UUIDv7; turn.completed usage is the thread's running total (a resumed thread adds to it); the
 * -o file gets the turn's last agent message when the turn completes, and after a failed turn it is
 * left as it was (created empty when missing); a failed turn prints `error` then `turn.failed` and
 * exits 1; without --json only the last agent message goes to stdout; with no PROMPT argument
 * (not even "-") it says "Reading prompt from stdin..." on stderr.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const VERSION = "codex-cli 0.169.0";
const SANDBOXES = ["read-only", "workspace-write", "danger-full-access"];

function fail(message, code = 1) {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function loadScript() {
  const path = process.env.FAKE_CODEX_SCRIPT;
  if (!path) fail("fake-codex: FAKE_CODEX_SCRIPT is not set");
  try {
    return { path, script: JSON.parse(readFileSync(path, "utf8")) };
  } catch (error) {
    fail(`fake-codex: cannot read script ${path}: ${error instanceof Error ? error.message : error}`);
  }
}

/** Parses `codex exec …` the way codex's clap definition does (for the flags we use). */
function parseExec(args) {
  const opts = { json: false, sandbox: undefined, cd: undefined, skipGitRepoCheck: false, outputSchema: undefined,
    lastMessage: undefined, prompt: undefined, resume: undefined };
  const takeValue = (i, flag) => {
    if (i + 1 >= args.length) fail(`error: a value is required for '${flag}' but none was supplied`, 2);
    return args[i + 1];
  };
  let inResume = false;
  const positionals = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    // Options accepted on both sides of `resume` (codex-cli 0.169.0 `exec --help` / `exec resume --help`).
    if (a === "--json" || a === "--experimental-json") { opts.json = true; continue; }
    if (a === "--skip-git-repo-check") { opts.skipGitRepoCheck = true; continue; }
    if (a === "--ephemeral" || a === "--strict-config" || a === "--ignore-user-config" || a === "--ignore-rules") continue;
    if (a === "-o" || a === "--output-last-message") { opts.lastMessage = takeValue(i, a); i++; continue; }
    if (a === "-m" || a === "--model") { takeValue(i, a); i++; continue; }
    if (a === "--output-schema") { opts.outputSchema = takeValue(i, a); i++; continue; }
    if (a === "-c" || a === "--config" || a === "--enable" || a === "--disable") { takeValue(i, a); i++; continue; }
    if (!inResume) {
      if (a === "-s" || a === "--sandbox") {
        opts.sandbox = takeValue(i, a); i++;
        if (!SANDBOXES.includes(opts.sandbox)) fail(`error: invalid value '${opts.sandbox}' for '--sandbox <SANDBOX_MODE>'`, 2);
        continue;
      }
      if (a === "-C" || a === "--cd") { opts.cd = takeValue(i, a); i++; continue; }
      if (a === "--color") { takeValue(i, a); i++; continue; }
      if (a === "resume" && positionals.length === 0) { inResume = true; opts.resume = { threadId: undefined, last: false }; continue; }
    } else if (a === "--last") { opts.resume.last = true; continue; } else if (a === "--all") continue;
    if (a.startsWith("-") && a !== "-") fail(`error: unexpected argument '${a}' found`, 2);
    positionals.push(a);
  }
  if (inResume) {
    if (opts.resume.last) {
      if (positionals.length > 1) fail(`error: unexpected argument '${positionals[1]}' found`, 2);
      opts.prompt = positionals[0];
    } else {
      if (positionals.length === 0) fail("error: resume needs a SESSION_ID or --last", 2);
      if (positionals.length > 2) fail(`error: unexpected argument '${positionals[2]}' found`, 2);
      opts.resume.threadId = positionals[0];
      opts.prompt = positionals[1];
    }
  } else {
    if (positionals.length > 1) fail(`error: unexpected argument '${positionals[1]}' found`, 2);
    opts.prompt = positionals[0];
  }
  return opts;
}

function readStdin() {
  try {
    return readFileSync(0, "utf8");
  } catch {
    return "";
  }
}

function insideGitRepo(dir) {
  try {
    execFileSync("git", ["-C", dir, "rev-parse", "--is-inside-work-tree"], { stdio: ["ignore", "pipe", "ignore"] });
    return true;
  } catch {
    return false;
  }
}

/** A UUIDv7 (time-ordered), the form codex 0.169.0 gives thread ids. */
function uuidv7() {
  const bytes = randomBytes(16);
  let ts = BigInt(Date.now());
  for (let i = 5; i >= 0; i--) {
    bytes[i] = Number(ts & 0xffn);
    ts >>= 8n;
  }
  bytes[6] = (bytes[6] & 0x0f) | 0x70;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const h = bytes.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.max(0, ms));
}

function pickSteps(entry, counter) {
  if (Array.isArray(entry)) return entry;
  if (entry && typeof entry === "object" && Array.isArray(entry.runs) && entry.runs.length > 0) {
    return entry.runs[Math.min(counter, entry.runs.length - 1)];
  }
  return undefined;
}

function nextCount(stateDir, key) {
  const file = join(stateDir, `count-${key.replace(/[^A-Za-z0-9_-]/g, "_")}`);
  const n = existsSync(file) ? Number(readFileSync(file, "utf8")) || 0 : 0;
  writeFileSync(file, String(n + 1));
  return n;
}

function main() {
  const argv = process.argv.slice(2);
  if (argv[0] === "--version" || argv[0] === "-V") {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const { path: scriptPath, script } = loadScript();
  const options = script._options ?? {};
  if (argv[0] === "login" && argv[1] === "status") {
    if (options.login?.loggedIn === false) {
      process.stderr.write("Not logged in\n");
      return 1;
    }
    process.stderr.write("API key configured - sk-fake***12345\nAuthentication is checked when you send a request.\n");
    return 0;
  }
  if (argv[0] !== "exec") fail(`fake-codex: unsupported command ${JSON.stringify(argv.join(" "))}`, 2);

  const opts = parseExec(argv.slice(1));
  if (opts.cd !== undefined) {
    try {
      process.chdir(opts.cd);
    } catch {
      fail("Error: No such file or directory (os error 2)");
    }
  }
  const cwd = process.cwd();
  if (!opts.skipGitRepoCheck && !insideGitRepo(cwd)) {
    fail("Not inside a trusted directory and --skip-git-repo-check was not specified.");
  }
  if (opts.outputSchema !== undefined) {
    try {
      JSON.parse(readFileSync(resolve(cwd, opts.outputSchema), "utf8"));
    } catch (error) {
      fail(`Error: failed to load output schema ${opts.outputSchema}: ${error instanceof Error ? error.message : error}`);
    }
  }
  let prompt = opts.prompt;
  if (prompt === undefined) process.stderr.write("Reading prompt from stdin...\n");
  if (prompt === undefined || prompt === "-") {
    prompt = readStdin();
    if (prompt.trim() === "") fail("No prompt provided via stdin.");
  }

  const stateDir = options.stateDir ?? join(dirname(scriptPath), "fake-codex-state");
  mkdirSync(join(stateDir, "threads"), { recursive: true });

  if (options.record) {
    const env = {};
    for (const name of options.recordEnv ?? []) env[name] = process.env[name] ?? null;
    appendFileSync(options.record, `${JSON.stringify({ argv, cwd, stdin: prompt, env, pid: process.pid })}\n`);
  }

  let threadId;
  let role;
  let steps;
  /** {role, cwd, usage?}: usage is the thread's running total so far. */
  let thread;
  if (opts.resume) {
    threadId = opts.resume.threadId;
    if (opts.resume.last) {
      const lastFile = join(stateDir, "last-thread");
      threadId = existsSync(lastFile) ? readFileSync(lastFile, "utf8").trim() : undefined;
    }
    const threadFile = threadId && /^[A-Za-z0-9._:-]+$/.test(threadId) ? join(stateDir, "threads", `${threadId}.json`) : undefined;
    if (!threadFile || !existsSync(threadFile)) {
      fail(`Error: thread/resume: thread/resume failed: no rollout found for thread id ${threadId ?? "(last)"} (code -32600)`);
    }
    thread = JSON.parse(readFileSync(threadFile, "utf8"));
    role = thread.role;
    const followup = script.followup;
    const entry = Array.isArray(followup) || followup?.runs ? followup : followup?.[role];
    steps = pickSteps(entry, nextCount(stateDir, `followup-${role}`));
    if (!steps) fail(`fake-codex: no followup script for role ${role}`);
  } else {
    role = /^Role: .*\(([a-z][a-z0-9_]*)\)\s*$/m.exec(prompt)?.[1];
    const entry = (role && script[role]) ?? script["*"];
    if (!entry) fail(`fake-codex: no script for role ${role ?? "(none found in the prompt)"}`);
    steps = pickSteps(entry, nextCount(stateDir, role ?? "_"));
    if (!steps) fail(`fake-codex: invalid script entry for role ${role}`);
    threadId = uuidv7();
    thread = { role, cwd };
    writeFileSync(join(stateDir, "threads", `${threadId}.json`), JSON.stringify(thread));
    writeFileSync(join(stateDir, "last-thread"), threadId);
  }

  let itemSeq = 0;
  let usage = { input_tokens: 1200, cached_input_tokens: 200, output_tokens: 345 };
  /** The turn's last agent message: written to -o (and, without --json, to stdout) when the turn completes. */
  let lastAgentMessage;
  const emit = (event) => {
    if (opts.json) process.stdout.write(`${JSON.stringify(event)}\n`);
    if (event.type === "item.completed" && event.item?.type === "agent_message") lastAgentMessage = event.item.text;
  };
  const item = (body, started = false) => {
    const it = { id: `item_${itemSeq++}`, ...body };
    if (started) emit({ type: "item.started", item: { ...it, ...(it.type === "command_execution" ? { aggregated_output: "", exit_code: null, status: "in_progress" } : {}) } });
    emit({ type: "item.completed", item: it });
  };
  const fileChange = (changes) => item({ type: "file_change", changes, status: "completed" });
  const writeLastMessage = (text) => {
    if (opts.lastMessage !== undefined) writeFileSync(resolve(cwd, opts.lastMessage), text);
  };
  // After a failed turn codex leaves -o as it was, creating it empty when it did not exist.
  const touchLastMessage = () => {
    if (opts.lastMessage !== undefined) appendFileSync(resolve(cwd, opts.lastMessage), "");
  };

  emit({ type: "thread.started", thread_id: threadId });
  emit({ type: "turn.started" });

  for (const step of steps) {
    if (step.write) {
      const path = resolve(cwd, step.write.path);
      const kind = existsSync(path) ? "update" : "add";
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, step.write.content ?? "");
      fileChange([{ path, kind }]);
    } else if (step.delete !== undefined) {
      const path = resolve(cwd, step.delete);
      rmSync(path, { force: true, recursive: true });
      fileChange([{ path, kind: "delete" }]);
    } else if (step.rename) {
      const from = resolve(cwd, step.rename[0]);
      const to = resolve(cwd, step.rename[1]);
      mkdirSync(dirname(to), { recursive: true });
      renameSync(from, to);
      fileChange([{ path: from, kind: "delete" }, { path: to, kind: "add" }]);
    } else if (step.emit !== undefined) {
      if (opts.json) process.stdout.write(`${JSON.stringify(step.emit)}\n`);
    } else if (step.command !== undefined) {
      item({ type: "command_execution", command: step.command, aggregated_output: step.output ?? "", exit_code: step.exitCode ?? 0,
        status: (step.exitCode ?? 0) === 0 ? "completed" : "failed" }, true);
    } else if (step.shell !== undefined) {
      let output = "";
      let exitCode = 0;
      try {
        output = execFileSync("bash", ["-c", step.shell], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      } catch (error) {
        exitCode = typeof error.status === "number" ? error.status : 1;
        output = `${error.stdout ?? ""}${error.stderr ?? ""}`;
      }
      item({ type: "command_execution", command: step.shell, aggregated_output: output, exit_code: exitCode,
        status: exitCode === 0 ? "completed" : "failed" }, true);
    } else if (step.message !== undefined) {
      item({ type: "agent_message", text: String(step.message) });
    } else if (step.sleep !== undefined) {
      sleep(Number(step.sleep));
    } else if (step.result !== undefined) {
      const text = typeof step.result === "string" ? step.result : JSON.stringify(step.result);
      item({ type: "agent_message", text });
    } else if (step.bigOutput !== undefined) {
      const bytes = Math.max(0, Number(step.bigOutput));
      if (step.to === "stdout") {
        item({ type: "command_execution", command: "cat big-output", aggregated_output: "x".repeat(bytes), exit_code: 0, status: "completed" }, true);
      } else {
        const half = Math.floor(bytes / 2);
        const result = { role, label: role, status: "completed", summary: "s".repeat(half),
          claims: Array.from({ length: Math.max(1, Math.floor(half / 1000)) }, (_, i) => `claim ${i} ${"c".repeat(990)}`),
          objections: [], openQuestions: [], evidenceRefs: [], error: "" };
        writeLastMessage(JSON.stringify(result));
      }
    } else if (step.stdout !== undefined) {
      process.stdout.write(String(step.stdout));
    } else if (step.stderr !== undefined) {
      process.stderr.write(String(step.stderr));
    } else if (step.usage !== undefined) {
      usage = { ...usage, ...step.usage };
    } else if (step.fail !== undefined) {
      emit({ type: "error", message: String(step.fail) });
      emit({ type: "turn.failed", error: { message: String(step.fail) } });
      touchLastMessage();
      return typeof step.exit === "number" ? step.exit : 1;
    } else if (step.exit !== undefined) {
      return Number(step.exit);
    } else if (step.hang) {
      setInterval(() => {}, 1 << 30);
      return undefined;
    } else {
      fail(`fake-codex: unknown step ${JSON.stringify(step)}`);
    }
  }
  const total = { ...usage };
  for (const [name, value] of Object.entries(thread?.usage ?? {})) {
    if (typeof value === "number" && typeof total[name] === "number") total[name] += value;
  }
  writeFileSync(join(stateDir, "threads", `${threadId}.json`), JSON.stringify({ ...thread, usage: total }));
  if (lastAgentMessage !== undefined) {
    writeLastMessage(lastAgentMessage);
    if (!opts.json) process.stdout.write(`${lastAgentMessage}\n`);
  }
  emit({ type: "turn.completed", usage: total });
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const code = main();
  // process.exitCode (not exit()) lets stdout drain first; undefined = hang until killed.
  if (code !== undefined) process.exitCode = code;
}
