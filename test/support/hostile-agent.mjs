/**
 * A hostile agent for tests (ARCHITECTURE.md §6): it takes `codex exec` arguments, writes ONLY
 * inside its worktree (-C), and tries every trick that would make the panel's unsandboxed steps
 * (launcher, finish step, server, git) run its code or write through its links:
 *
 *   - rewrites `.longtable-worker/launch.sh` (where the LongTable CLI keeps the launcher) to touch a marker;
 *   - plants symlinks to an outside file at every runtime file name of the CLI layout, and at its
 *     own `-o` target (then writes its final message through that link, as codex's host would);
 *   - writes git hooks under `.husky/_` (the test points core.hooksPath there) that touch markers;
 *   - replaces the worktree's `.git` file with one pointing at a repository of its own whose
 *     config sets core.fsmonitor and hooksPath to commands that touch markers;
 *   - makes a nested repository with the same config (a would-be submodule);
 *   - forges a completed result in the CLI's place, then waits for a gate before its real work;
 *   - empties .gitignore and writes .env (to be merged over the user's ignored .env);
 *   - writes a git config with a clean filter into its private HOME.
 * (Its wrapper, made by the test, first writes a line to every inherited descriptor past stderr.)
 *
 * Instructions come from its prompt (stdin), as lines `NAME=value`: MARKERS (a folder for
 * markers), VICTIM (an outside file), GATE (a file to wait for), ESCAPE (an outside path to try
 * to write, which only the sandbox stops). What it tried is reported as JSON lines on stdout
 * (kind "attempt"), which the launcher keeps in the events file.
 */
import { execFileSync } from "node:child_process";
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

const args = process.argv.slice(2);
if (args[0] === "--version") {
  process.stdout.write("codex-cli 0.169.0\n");
  process.exit(0);
}
if (args[0] === "login") {
  process.stdout.write("Logged in using an API key\n");
  process.exit(0);
}
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const wt = opt("-C");
const lastMessage = opt("-o");
const resumeAt = args.indexOf("resume");
const prompt = readFileSync(0, "utf8");
const value = (name) => new RegExp(`^${name}=(.*)$`, "m").exec(prompt)?.[1]?.trim();
const role = /^Role: .*\(([a-z_]+)\)$/m.exec(prompt)?.[1] ?? "reviewer";
const label = /^Role: (.*) \([a-z_]+\)$/m.exec(prompt)?.[1] ?? "Reviewer";
const markers = value("MARKERS");
const victim = value("VICTIM");
const gate = value("GATE");
const escape = value("ESCAPE");

const emit = (e) => process.stdout.write(`${JSON.stringify(e)}\n`);
const attempt = (what, fn) => {
  try {
    fn();
    emit({ type: "item.completed", item: { id: what, type: "attempt", what, ok: true } });
  } catch (error) {
    emit({ type: "item.completed", item: { id: what, type: "attempt", what, ok: false, error: String(error?.message ?? error).slice(0, 200) } });
  }
};
const marker = (name) => `touch '${join(markers, name)}'`;
const exe = (path, text) => {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  chmodSync(path, 0o755);
};
const runtime = join(wt, ".longtable-worker");

emit({ type: "thread.started", thread_id: "0199a213-81c0-7800-8aa1-bbab2a035a53" });
emit({ type: "turn.started" });
if (resumeAt < 0) {
  attempt("forged-result", () => {
    mkdirSync(runtime, { recursive: true });
    writeFileSync(join(runtime, "result.json"), JSON.stringify({ role, label, status: "completed", summary: "forged", claims: [], objections: [], openQuestions: [], evidenceRefs: [], error: "" }));
    writeFileSync(join(runtime, "result.exit.json"), JSON.stringify({ exitCode: 0, completedAt: new Date().toISOString() }));
    writeFileSync(join(runtime, "result.json.commit"), `${"0".repeat(40)}\n`);
  });
  attempt("launcher-rewrite", () => {
    exe(join(runtime, "launch.sh"), `#!/bin/sh\n${marker("launcher-ran")}\n`);
  });
  for (const name of ["worker.log", "task.md", "mailbox.jsonl", "followup-2.md", "state.json", "last-message.json", "agent-events.jsonl"]) {
    attempt(`symlink-${name}`, () => symlinkSync(victim, join(runtime, name)));
  }
  attempt("hooks", () => {
    for (const hook of ["pre-commit", "prepare-commit-msg", "commit-msg", "post-commit", "post-merge", "post-checkout", "reference-transaction", "pre-merge-commit", "post-rewrite", "pre-auto-gc"]) {
      exe(join(wt, ".husky", "_", hook), `#!/bin/sh\n${marker(`hook-${hook}`)}\n`);
    }
  });
  attempt("git-file-redirect", () => {
    const evil = join(wt, ".evil-git");
    execFileSync("git", ["init", "-q", "--bare", evil]);
    appendFileSync(join(evil, "config"), `[core]\n\tfsmonitor = "${marker("fsmonitor-ran")}; true"\n\thooksPath = ${join(wt, ".husky", "_")}\n`);
    writeFileSync(join(wt, ".git"), `gitdir: ${evil}\n`);
  });
  attempt("nested-repo", () => {
    const nested = join(wt, "nested");
    execFileSync("git", ["init", "-q", nested]);
    writeFileSync(join(nested, "x.txt"), "x\n");
    appendFileSync(join(nested, ".git", "config"), `[core]\n\tfsmonitor = "${marker("nested-fsmonitor-ran")}; true"\n[filter "evil"]\n\tclean = "${marker("nested-filter-ran")}; cat"\n`);
    writeFileSync(join(nested, ".gitattributes"), "* filter=evil\n");
  });
  attempt("gitignore-env", () => {
    writeFileSync(join(wt, ".gitignore"), "");
    writeFileSync(join(wt, ".env"), "SECRET=from-the-agent\n");
  });
  if (escape) attempt("escape-write", () => writeFileSync(escape, "escaped\n"));
  if (gate) {
    emit({ type: "item.completed", item: { id: "waiting", type: "agent_message", text: "waiting at the gate" } });
    for (let i = 0; i < 2400 && !existsSync(gate); i++) execFileSync("sleep", ["0.05"]);
  }
  // Its private HOME is writable: a global git config whose filter would run in any git that
  // reads this HOME and adds a file (the finish step's `git add -A`, if it got the agent's env).
  attempt("home-git-config", () => {
    const home = process.env.HOME;
    if (!home || !existsSync(home)) throw new Error("no HOME of its own");
    writeFileSync(join(home, ".gitconfig"), `[filter "evil"]\n\tclean = "${marker("home-filter-ran")}; cat"\n\trequired = true\n`);
    mkdirSync(join(home, ".config", "git"), { recursive: true });
    writeFileSync(join(home, ".config", "git", "attributes"), "* filter=evil\n");
  });
  writeFileSync(join(wt, "work.txt"), "the real work\n");
}
// The final message, written through whatever the agent left at the -o path (a symlink to the
// victim, planted here), as codex's own process would write it.
attempt("last-message-symlink", () => {
  rmSync(lastMessage, { force: true });
  symlinkSync(victim, lastMessage);
});
const result = { role, label, status: "completed", summary: resumeAt < 0 ? "did the work" : "followed up", claims: [], objections: [], openQuestions: [], evidenceRefs: [], error: "" };
attempt("write-last-message", () => writeFileSync(lastMessage, JSON.stringify(result)));
emit({ type: "item.completed", item: { id: "final", type: "agent_message", text: JSON.stringify(result) } });
emit({ type: "turn.completed", usage: { input_tokens: 1, cached_input_tokens: 0, output_tokens: 1 } });
