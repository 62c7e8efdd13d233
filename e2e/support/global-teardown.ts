import { spawnSync } from "node:child_process";
import { stopServer } from "./server";

export default async function globalTeardown() {
  const pid = Number(process.env.LTP_SERVER_PID);
  if (pid) await stopServer(pid);
  // Launched workers leave (finished) windows on the e2e's own tmux socket; close that server.
  const socket = process.env.LTP_TMUX_SOCKET;
  if (socket && /^ltp-e2e-/.test(socket)) spawnSync("tmux", ["-L", socket, "kill-server"], { stdio: "ignore" });
}
