/**
 * Provision + launch 8 workers, on repos of three sizes (1,000 files / 2 MB, 10,000 files / 20 MB
 * and, full run only, 10,000 files / 200 MB).
 *
 * ours:     the real server (bin/longtable-panel.mjs, HTTP, bearer token), a run of 8 members
 *           created beforehand (not timed); timed from the `runs.launch` call until the API
 *           reports all 8 workers running (launch answers once every window is open; the agent
 *           is the bench's bash stand-in that waits, so "running" stays true).
 * floors:   serial   — a bash script doing the same 8 `git worktree add -b …` + `tmux new-window`
 *                      (the first one `new-session`) one after another;
 *           parallel — the same work run 4 at a time (`xargs -P 4`), as ours runs 4 checkouts at
 *                      once: the honest distance to what this machine can do.
 * Iterations rotate which of the three goes first; worktrees, branches and tmux sessions are
 * cleaned (untimed, then `sync`) between them. Reported: medians, ratio to each floor.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeBenchAgent } from "./agent";
import {
  benchTempDir, generateRepo, log, median, now, PROJECT_ROOT, sh, shAsync, startBenchServer, waitUntil, type BenchOptions, type BenchServer, type Row,
} from "./lib";

const WORKERS = 8;
const ROLES = ["reviewer", "theory_critic", "methods_critic", "measurement_auditor", "editor", "ethics_reviewer", "voice_keeper", "venue_strategist"];

const SERIAL_FLOOR = `#!/usr/bin/env bash
# 8 × (git worktree add + tmux new-window), one after another: the serial floor of provision + launch.
set -eu
repo=$1 sock=$2 base=$3 tag=$4 n=$5
cd "$repo"
for i in $(seq 1 "$n"); do
  git worktree add -q -b "bench-floor/$tag/w$i" "$base/w$i" HEAD
  if [ "$i" = 1 ]; then
    tmux -L "$sock" -f /dev/null new-session -d -s "floor-$tag" -n "w$i" -c "$base/w$i" -x 200 -y 50
  else
    tmux -L "$sock" -f /dev/null new-window -d -t "floor-$tag:" -n "w$i" -c "$base/w$i"
  fi
done
`;

const PARALLEL_FLOOR = `#!/usr/bin/env bash
# The same 8 × (git worktree add + tmux new-window), 4 at a time: the parallel floor.
set -eu
repo=$1 sock=$2 base=$3 tag=$4 n=$5
cd "$repo"
tmux -L "$sock" -f /dev/null new-session -d -s "floor-$tag" -n main -c "$repo" -x 200 -y 50
one() {
  git worktree add -q -b "bench-floor/$tag/w$1" "$base/w$1" HEAD
  tmux -L "$sock" -f /dev/null new-window -d -t "floor-$tag:" -n "w$1" -c "$base/w$1"
}
export -f one
export repo sock base tag
seq 1 "$n" | xargs -P 4 -I{} bash -c 'one "$1"' _ {}
`;

interface RunView {
  id: string;
  status: string;
  workers: { id: string; status: string; executionState: string; failureReason?: string; error?: string }[];
}

/** Remove every extra worktree and branch but main, kill the floors' tmux sessions, sync. */
async function cleanRepo(repo: string, socket: string): Promise<void> {
  const sessions = (await shAsync(repo, "tmux", ["-L", socket, "list-sessions", "-F", "#{session_name}"])).stdout.split("\n").filter((s) => s.startsWith("floor-"));
  for (const s of sessions) await shAsync(repo, "tmux", ["-L", socket, "kill-session", "-t", `=${s}`]);
  const list = sh(repo, "git", ["worktree", "list", "--porcelain"]);
  const paths = list.split("\n").filter((l) => l.startsWith("worktree ")).map((l) => l.slice(9)).filter((p) => p !== repo);
  for (const p of paths) await shAsync(repo, "git", ["worktree", "remove", "--force", "--force", p]);
  sh(repo, "git", ["worktree", "prune"]);
  const branches = sh(repo, "git", ["for-each-ref", "--format=%(refname:short)", "refs/heads/"]).split("\n").filter((b) => b && b !== "main");
  for (let i = 0; i < branches.length; i += 100) sh(repo, "git", ["branch", "-D", "-q", ...branches.slice(i, i + 100)]);
  sh(repo, "rm", ["-rf", `${repo}-floor`]);
  sh(repo, "sync", []);
}

async function oursOnce(server: BenchServer, i: number): Promise<number> {
  const created = await server.call<RunView>("runs.create", { repoPath: server.repo, prompt: `Benchmark: provision and launch #${i}. [bench:hang]`, roles: ROLES.slice(0, WORKERS), mode: "review" }, "mutation");
  const t = now();
  let view = await server.call<RunView>("runs.launch", { runId: created.id }, "mutation");
  if (!view.workers.every((w) => w.status === "running")) {
    view = await waitUntil(async () => {
      const r = await server.call<RunView>("runs.get", { runId: created.id });
      if (r.workers.some((w) => w.status === "failed")) throw new Error(`a worker failed: ${r.workers.map((w) => `${w.id} ${w.status} ${w.failureReason ?? ""} ${w.error ?? ""}`).join("; ")}`);
      return r.workers.every((w) => w.status === "running") ? r : undefined;
    }, "all 8 workers running", 120_000, 20);
  }
  const ms = now() - t;
  await server.call("runs.stop", { runId: created.id }, "mutation");
  return ms;
}

export async function run(opts: BenchOptions): Promise<Row[]> {
  const sizes = [
    { files: 1_000, mb: 2, target: 1.0, label: "1k files / 2 MB" },
    { files: 10_000, mb: 20, target: 0.8, label: "10k files / 20 MB" },
    ...(opts.quick ? [] : [{ files: 10_000, mb: 200, target: 0.6, label: "10k files / 200 MB" }]),
  ];
  // Quick: 3 rounds on the small repo, 2 on the 10k one; full: 5, and 3 on the 200 MB one.
  const { dir } = benchTempDir("provision");
  const serialScript = join(dir, "serial-floor.sh");
  const parallelScript = join(dir, "parallel-floor.sh");
  writeFileSync(serialScript, SERIAL_FLOOR, { mode: 0o755 });
  writeFileSync(parallelScript, PARALLEL_FLOOR, { mode: 0o755 });
  const agent = await makeBenchAgent(join(dir, "agent"));
  const rows: Row[] = [];

  for (const size of sizes) {
    const iterations = size.mb >= 200 ? 3 : opts.quick && size.files > 1000 ? 2 : opts.quick ? 3 : 5;
    log(`provision: generating a repo of ${size.files} files / ${size.mb} MB…`);
    const t0 = now();
    const repo = generateRepo(join(dir, `repo-${size.files}-${size.mb}`), { files: size.files, bytes: size.mb * 1024 * 1024 });
    log(`provision: repo ready in ${((now() - t0) / 1000).toFixed(1)} s; starting the server…`);
    const server = await startBenchServer({ codexBin: agent.bin, repo, tag: `prov${size.mb}`, sandboxWritable: [agent.dir] });
    const times: Record<"ours" | "serial" | "parallel", number[]> = { ours: [], serial: [], parallel: [] };
    try {
      // One launch not timed: the server's first launch probes tmux, git and the sandbox.
      await oursOnce(server, -1);
      for (let i = 0; i < iterations; i++) {
        const order = (["serial", "parallel", "ours"] as const).map((_, k, all) => all[(k + i) % 3]!);
        for (const side of order) {
          await cleanRepo(repo, server.tmuxSocket);
          let ms: number;
          if (side === "ours") ms = await oursOnce(server, i);
          else {
            const t = now();
            const r = await shAsync(repo, "bash", [side === "serial" ? serialScript : parallelScript, repo, server.tmuxSocket, `${repo}-floor`, `${side}${i}`, String(WORKERS)]);
            ms = now() - t;
            if (r.code !== 0) throw new Error(`${side} floor script failed: ${r.stderr}`);
          }
          times[side].push(ms);
          log(`provision ${size.label}: ${side} #${i + 1}: ${ms.toFixed(0)} ms`);
        }
      }
    } finally {
      await cleanRepo(repo, server.tmuxSocket).catch(() => undefined);
      await server.stop();
      sh(PROJECT_ROOT, "rm", ["-rf", repo]);
    }
    const [o, s, p] = [median(times.ours), median(times.serial), median(times.parallel)];
    const list = (xs: number[]) => xs.map((x) => x.toFixed(0)).join("/");
    const note = `${size.label}, median of ${iterations}: ours ${list(times.ours)} ms; serial floor ${list(times.serial)} ms; parallel floor (4 at a time) ${list(times.parallel)} ms`;
    rows.push({ name: `launch 8 workers (${size.label}) vs serial floor`, ours: o, floor: s, ratio: o / s, target: `≤ ${size.target.toFixed(1)}×`, unit: "ms", ok: o / s <= size.target, note });
    rows.push({ name: `launch 8 workers (${size.label}) vs parallel floor`, ours: o, floor: p, ratio: o / p, target: "≤ 1.2×", unit: "ms", ok: o / p <= 1.2 });
  }
  return rows;
}
