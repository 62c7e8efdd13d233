/**
 * Provision + launch 8 workers on a big repo (10,000 files / 200 MB; quick: 2,000 / 20 MB).
 *
 * ours:  runs.create + runs.launch through the tRPC caller of an in-process panel (real git,
 *        real tmux on a throw-away socket, supervisor running, a fake codex that exits at once),
 *        until launch returns with every worker launched.
 * floor: a bash script doing the same 8 `git worktree add -b …` + `tmux new-window` (the first
 *        one `new-session`) one after another.
 * Iterations alternate which side goes first; worktrees, branches and the tmux server are
 * cleaned (untimed, then `sync`) between them. Reported: the medians.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { configFromEnv } from "../server/config";
import { closePanel, createPanel, type Panel } from "../server/panel/panel";
import { Supervisor } from "../server/supervisor/supervisor";
import { createCaller } from "../server/trpc/root";
import { makeFakeCodex } from "../test/support/fake-codex.ts";
import {
  benchTempDir, benchTmuxSocket, CLK_TCK, generateRepo, killTmuxServer, log, median, now, onCleanup, PROJECT_ROOT, ratioRow, selfCpuSeconds, sh, shAsync,
  type BenchOptions, type Row,
} from "./lib";

const WORKERS = 8;
const ROLES = ["reviewer", "theory_critic", "methods_critic", "measurement_auditor", "editor", "ethics_reviewer", "voice_keeper", "venue_strategist"];

const FLOOR_SCRIPT = `#!/usr/bin/env bash
# 8 × (git worktree add + tmux new-window), one after another: the floor of provision + launch.
set -eu
repo=$1 sock=$2 base=$3 tag=$4 n=$5
cd "$repo"
for i in $(seq 1 "$n"); do
  git worktree add -b "bench-floor/$tag/w$i" "$base/w$i" HEAD 2>/dev/null
  if [ "$i" = 1 ]; then
    tmux -L "$sock" -f /dev/null new-session -d -s "floor-$tag" -n "w$i" -c "$base/w$i" -x 200 -y 50
  else
    tmux -L "$sock" -f /dev/null new-window -d -t "floor-$tag:" -n "w$i" -c "$base/w$i"
  fi
done
`;

/** CPU seconds used by the reaped children of the tmux server on `socket` (the workers' launchers). */
function tmuxChildrenCpuSeconds(socket: string): number {
  try {
    const pid = Number(sh(PROJECT_ROOT, "tmux", ["-L", socket, "display-message", "-p", "#{pid}"]).trim());
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[13]) + Number(f[14])) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/** Remove every extra worktree and every branch but main, prune, kill the tmux server, sync. */
async function cleanRepo(repo: string, socket: string): Promise<void> {
  await killTmuxServer(socket);
  const list = sh(repo, "git", ["worktree", "list", "--porcelain"]);
  const paths = list.split("\n").filter((l) => l.startsWith("worktree ")).map((l) => l.slice(9)).filter((p) => p !== repo);
  for (const p of paths) await shAsync(repo, "git", ["worktree", "remove", "--force", p]);
  sh(repo, "git", ["worktree", "prune"]);
  const branches = sh(repo, "git", ["for-each-ref", "--format=%(refname:short)", "refs/heads/"]).split("\n").filter((b) => b && b !== "main");
  for (let i = 0; i < branches.length; i += 100) sh(repo, "git", ["branch", "-D", "-q", ...branches.slice(i, i + 100)]);
  sh(repo, "rm", ["-rf", join(repo, ".longtable"), `${repo}-floor`]);
  sh(repo, "sync", []);
}

export async function run(opts: BenchOptions): Promise<Row[]> {
  const files = opts.quick ? 2_000 : 10_000;
  const bytes = opts.quick ? 20 * 1024 * 1024 : 200 * 1024 * 1024;
  const iterations = opts.quick ? 2 : 5;
  const { dir } = benchTempDir("provision");
  const { socket } = benchTmuxSocket("prov");

  log(`provision: generating a repo of ${files} files / ${bytes / 1024 / 1024} MB…`);
  const t0 = now();
  const repo = generateRepo(join(dir, "repo"), { files, bytes });
  log(`provision: repo ready in ${((now() - t0) / 1000).toFixed(1)} s`);
  const floorScript = join(dir, "floor.sh");
  writeFileSync(floorScript, FLOOR_SCRIPT, { mode: 0o755 });
  const codexBin = await makeFakeCodex(join(dir, "codex"), { "*": [{ exit: 0 }] });

  const panel: Panel = createPanel({
    ...configFromEnv({} as NodeJS.ProcessEnv),
    root: PROJECT_ROOT,
    dataDir: join(dir, "data"),
    tmuxSocket: socket,
    agentBins: { codex: codexBin, claude: "claude", command: "longtable-agent" },
    sandboxWritable: [join(dir, "codex")],
  });
  const supervisor = new Supervisor(panel);
  panel.supervisor = supervisor;
  panel.closers.push(() => supervisor.stop());
  const closeIt = onCleanup("provision panel", () => closePanel(panel));
  await supervisor.start();
  const api = createCaller({ panel, role: "operator" });

  const ours: number[] = [];
  const floor: number[] = [];
  const oursCpu: number[] = [];
  const floorCpu: number[] = [];
  const workerCpu: number[] = [];
  try {
    for (let i = 0; i < iterations; i++) {
      const order = i % 2 === 0 ? ["floor", "ours"] : ["ours", "floor"];
      for (const side of order) {
        await cleanRepo(repo, socket);
        if (side === "floor") {
          const c = selfCpuSeconds();
          const t = now();
          const r = await shAsync(repo, "bash", [floorScript, repo, socket, `${repo}-floor`, `i${i}`, String(WORKERS)]);
          const ms = now() - t;
          if (r.code !== 0) throw new Error(`floor script failed: ${r.stderr}`);
          floor.push(ms);
          floorCpu.push(selfCpuSeconds() - c);
          log(`provision: floor #${i + 1}: ${ms.toFixed(0)} ms (cpu ${floorCpu.at(-1)!.toFixed(2)} s)`);
        } else {
          const c = selfCpuSeconds();
          const t = now();
          const created = await api.runs.create({ repoPath: repo, prompt: "Benchmark: provision and launch.", roles: ROLES.slice(0, WORKERS), mode: "review" });
          const launched = await api.runs.launch({ runId: created.id });
          const ms = now() - t;
          const notLaunched = launched.workers.filter((w) => !["running", "result_ready"].includes(w.executionState));
          if (notLaunched.length) {
            throw new Error(`workers not launched: ${notLaunched.map((w) => `${w.id} ${w.executionState} ${w.failureReason ?? ""} ${w.error ?? ""}`).join("; ")}`);
          }
          ours.push(ms);
          oursCpu.push(selfCpuSeconds() - c);
          log(`provision: ours  #${i + 1}: ${ms.toFixed(0)} ms (cpu ${oursCpu.at(-1)!.toFixed(2)} s)`);
          // Let the supervisor record the workers' (instant) exits before the worktrees go.
          const deadline = Date.now() + 30_000;
          while (Date.now() < deadline) {
            const r = await api.runs.get({ runId: created.id });
            if (!r.workers.some((w) => w.status === "running")) break;
            await new Promise((res) => setTimeout(res, 200));
          }
          workerCpu.push(tmuxChildrenCpuSeconds(socket));
        }
      }
    }
  } finally {
    await cleanRepo(repo, socket).catch(() => undefined);
    await closeIt();
  }
  const note = `${files} files / ${bytes / 1024 / 1024} MB, median of ${iterations}; ours ${ours.map((x) => x.toFixed(0)).join("/")} ms, floor ${floor.map((x) => x.toFixed(0)).join("/")} ms; ` +
    `CPU of the panel process + its git/tmux children: ours ${median(oursCpu).toFixed(2)} s, floor ${median(floorCpu).toFixed(2)} s (the workers' own processes — launcher, fake codex, pane view, worker-finish with its git commit — run under tmux and used another ${median(workerCpu).toFixed(2)} s)`;
  return [ratioRow(`provision + launch ${WORKERS} workers (${opts.quick ? "2k files / 20 MB" : "10k files / 200 MB"})`, median(ours), median(floor), 1.0, "ms", note)];
}
