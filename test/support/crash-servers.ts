/**
 * What a crash test starts — real servers (killed and started again), their tmux sockets and
 * temp folders — ended after the file's tests: only servers still running (a pid of one that
 * exited may belong to someone else by now), then the sockets' tmux servers, then the folders.
 */
import { afterAll } from "vitest";
import { stopServer, type RunningServer } from "../../e2e/support/server";
import { Tmux } from "@/server/bridge/tmux";
import { removeDir } from "./repo";

export function crashTestResources(): { started: RunningServer[]; dirs: string[]; tmuxSockets: Set<string> } {
  const r = { started: [] as RunningServer[], dirs: [] as string[], tmuxSockets: new Set<string>() };
  afterAll(async () => {
    for (const s of r.started) if (s.child.exitCode === null && s.child.signalCode === null) await stopServer(s.child.pid!);
    for (const socket of r.tmuxSockets) await new Tmux(socket).killServer();
    for (const d of r.dirs) removeDir(d);
  }, 120_000);
  return r;
}
