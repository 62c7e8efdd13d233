/**
 * pane-view.mjs <agent> — turns an agent's event stream (on stdin) into short human lines for the
 * worker's tmux pane, with the agent's own renderer (server/agents/<agent>/pane.mjs).
 * launch.sh runs: <agent> … | tee -a <events file> | node pane-view.mjs <agent>
 *
 * It must never make the agent fail: every line is rendered inside try/catch, stdin is always
 * drained to the end (so tee never sees a broken pipe), and write errors on stdout are ignored.
 */
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

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv[2] ?? "codex").catch(() => {
    process.stdin.resume();
  });
}
