import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { sessionNameFor } from "@/server/bridge/tmux";
import { createPanel, type Panel } from "@/server/panel/panel";
import { Supervisor } from "@/server/supervisor/supervisor";
import { bridgeHarness, gitIn, resultFor, type BridgeHarness } from "../support/bridge";
import { callerFor, closePanel } from "../support/panel";
import { launchReviewerOnHost, startTestHost, type TestHost } from "../support/remote-host";
import { waitFor } from "../support/wait";

let h: BridgeHarness | undefined;
let host: TestHost | undefined;
let second: { panel: Panel; supervisor: Supervisor } | undefined;
afterEach(async () => {
  if (second) {
    await second.supervisor.stop();
    await closePanel(second.panel);
  }
  await h?.cleanup();
  await host?.cleanup();
  h = undefined;
  host = undefined;
  second = undefined;
});

describe("workers on a host outlive the server", () => {
  it("a worker keeps running on the host while the panel is down; the next start picks it up and its result arrives", async () => {
    h = await bridgeHarness({ "*": [] });
    const gate = join(h.dir, "gate");
    writeFileSync(join(h.dir, "fake-codex-script.json"), JSON.stringify({
      reviewer: [{ write: { path: "r.txt", content: "r\n" } }, { shell: `while [ ! -f '${gate}' ]; do sleep 0.05; done` }, { result: resultFor("reviewer", "Reviewer") }],
    }));
    host = await startTestHost(h.repo, { codex: h.codex }, [h.dir]);
    const { api, repo } = h;
    const { created, ref } = await launchReviewerOnHost(api, repo, host);
    const masterPid = (await api.hosts.list())[0]!.status.masterPid!;

    // The server stops: its supervisor and its SSH connection end; the worker does not.
    await h.supervisor.stop();
    await closePanel(h.panel);
    await waitFor(() => {
      try {
        process.kill(masterPid, 0);
        return false;
      } catch {
        return true;
      }
    }, "the panel's ssh master to end with the panel", 10_000);
    writeFileSync(gate, "go");
    const remoteResult = join(host.clone, ".longtable", "panel-runs", created.id, "workers", ref.workerId, "result.json");
    await waitFor(() => existsSync(remoteResult), "the worker to finish on the host while the panel is down", 30_000);
    expect((await host.tmux.listPanes()).filter((p) => p.session === sessionNameFor(created.id))).toHaveLength(1);

    // The next start (same data dir): the run is reconciled, the host connected again, the result brought here.
    const panel = createPanel(h.panel.config);
    const supervisor = new Supervisor(panel, { pollMs: 100 });
    panel.supervisor = supervisor;
    second = { panel, supervisor };
    await supervisor.start();
    const api2 = callerFor(panel);
    const run = await waitFor(async () => {
      const r = await api2.runs.get({ runId: created.id });
      return r.status === "running" ? undefined : r;
    }, "the run to settle after the restart", 45_000);
    expect(run.status, JSON.stringify(run.workers.map((w) => [w.id, w.status, w.failureReason]))).toBe("completed");
    expect(gitIn(repo, "show", "--name-only", "--format=", run.workers[0]!.worktreeCommit!).trim()).toBe("r.txt");
    expect((await api2.workers.activity(ref)).items.some((i) => i.kind === "file_change")).toBe(true);
  }, 180_000);
});
