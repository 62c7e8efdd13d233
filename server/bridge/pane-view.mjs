/**
 * pane-view.mjs <agent> [--finish-on <go file> -- <finish step arguments…>] — turns an agent's
 * event stream (on stdin) into short human lines for the worker's tmux pane, with the agent's own
 * renderer (server/agents/<agent>/pane.mjs).
 * launch.sh runs: <agent> … | tee -a <events file> > >(node pane-view.mjs <agent> …)
 *
 * It must never make the agent fail: every line is rendered inside try/catch, stdin is always
 * drained to the end (so tee never sees a broken pipe), and write errors on stdout are ignored.
 *
 * With --finish-on, once stdin ended it waits (bounded) for launch.sh to write the go file: the
 * agent's exit code when the agent ended on its own — then this process, already started, runs
 * the finish step (worker-finish.mjs, same arguments) and exits 0 when it wrote the result — or
 * "cold", when launch.sh runs the finish step itself (a signal, a reason). Bench: this saves a
 * Node start-up between the agent's exit and its result.
 */
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { paneText } from "../agents/pane-text.mjs";

const AGENTS = ["codex", "claude", "command"];

async function main(agent) {
  process.stdout.on("error", () => {
    // The pane went away: keep draining stdin so the agent's output still reaches the events file.
  });
  let render = (line) => (line.trim() ? [paneText(line, 400)] : []);
  if (AGENTS.includes(agent)) {
    try {
      render = (await import(`../agents/${agent}/pane.mjs`)).renderEventLine;
    } catch {
      // no renderer: show the raw lines
    }
  }
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    try {
      const out = render(line);
      if (out.length > 0) process.stdout.write(`${out.join("\n")}\n`);
    } catch {
      // never let one odd event stop the view
    }
  }
}

/** How long after the end of the agent's output the go file may take to appear (launch.sh writes it at once). */
const GO_WAIT_MS = 10_000;

/** The go file's word: an exit code, or undefined ("cold", missing, anything else). */
async function waitForGo(path) {
  const deadline = Date.now() + GO_WAIT_MS;
  for (;;) {
    let text;
    try {
      text = readFileSync(path, "utf8").trim();
    } catch {
      text = undefined;
    }
    if (text !== undefined && text !== "") return /^-?\d{1,4}$/.test(text) ? text : undefined;
    if (Date.now() > deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 3));
  }
}

/** After the view: the finish step, when launch.sh says the agent ended on its own. The exit code of this process. */
async function finishIfTold(goFile, finishArgs) {
  const code = await waitForGo(goFile);
  if (code === undefined) return 3;
  process.stdout.write("\n");
  const { main: finish } = await import("./worker-finish.mjs");
  return finish([...finishArgs, "--exit-code", code]);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const finishOn = args[1] === "--finish-on" && args[3] === "--" ? { goFile: args[2], finishArgs: args.slice(4) } : undefined;
  main(args[0] ?? "codex")
    .catch(() => {
      process.stdin.resume();
    })
    .then(async () => {
      if (finishOn) process.exitCode = await finishIfTold(finishOn.goFile, finishOn.finishArgs).catch(() => 1);
    });
}
