/**
 * Crash points for the crash-safety tests (ARCHITECTURE.md §7 "Crash safety"). With
 * LONGTABLE_PANEL_FAILPOINT=<name> in the server's environment, reaching `failpoint(name)` kills
 * the server's whole process group with SIGKILL — the server and the git it runs, as an
 * out-of-memory kill or a closed terminal would — so a test can crash it at an exact step. Only
 * when the server leads its own process group (started detached), so that a stray variable can
 * never kill the shell or test runner it was started from; otherwise the server alone dies.
 * Without the variable this is a no-op. (The server's environment is the user's, never a file an
 * agent can write.)
 */
import { readFileSync } from "node:fs";

const armed = process.env.LONGTABLE_PANEL_FAILPOINT;

function leadsOwnGroup(): boolean {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const pgrp = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
    return pgrp === process.pid;
  } catch {
    return false;
  }
}

export function failpoint(name: string): void {
  if (armed === undefined || armed !== name) return;
  process.kill(leadsOwnGroup() ? 0 : process.pid, "SIGKILL");
}
