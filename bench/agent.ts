/**
 * The benchmarks' stand-in for codex: a bash script (no Node start-up per worker, so 128 of them
 * fit on a 2-core machine) that speaks codex's `exec --json` JSONL and writes its final message to
 * the `-o` file, as the codex adapter expects. What it does is chosen by a marker in the run's
 * prompt (the task on stdin carries it):
 *
 *   [bench:hang]              one agent message, then it waits for ever (still "running");
 *   [bench:busy:<every>]      an agent message every <every> s until the file `<dir>/quiet` exists,
 *                             then it waits for ever;
 *   [bench:trigger]           waits on a FIFO `<dir>/trigger/<runId>-<workerId>.fifo` (made by the
 *                             agent; the bench writes a line to it), then writes a valid result to
 *                             `-o` and, as its very last act, `<dir>/trigger/<runId>-<workerId>.exit`
 *                             holding the wall-clock time in µs ($EPOCHREALTIME) — the moment the
 *                             agent exits and the finish step starts;
 *   anything else             writes a valid result and exits at once.
 *
 * The server must be started with LONGTABLE_SANDBOX_WRITABLE=<dir> (startBenchServer does it),
 * so the script and its trigger folder are visible inside the panel's sandbox (a private /tmp).
 */
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { shellQuote } from "../server/bridge/launcher";

export interface BenchAgent {
  /** The script: pass it as the codex binary. */
  bin: string;
  /** The folder to make writable inside the sandbox (the script and the trigger folder). */
  dir: string;
  /** Made by the bench: [bench:busy] agents stop writing. */
  quietFile: string;
  /** Where [bench:trigger] agents put their FIFO and exit stamp. */
  triggerDir: string;
}

// The result's role and label are the worker's (the task's "Role: <label> (<role>)" line), else
// the supervisor fails it as a role mismatch; bench labels have no quotes or backslashes.
const RESULT_REST = JSON.stringify({ status: "completed", summary: "Benchmark result.", claims: ["a claim"], objections: [], openQuestions: [], evidenceRefs: [], error: "" }).slice(1);

export async function makeBenchAgent(dir: string): Promise<BenchAgent> {
  const triggerDir = join(dir, "trigger");
  await mkdir(triggerDir, { recursive: true });
  const bin = join(dir, "codex");
  const script = `#!/usr/bin/env bash
# Benchmark stand-in for codex (bench/agent.ts). Not for tests: it fakes only what the bench needs.
set -u
trigger_dir=${shellQuote(triggerDir)}
rest=${shellQuote(RESULT_REST)}
quiet=${shellQuote(join(dir, "quiet"))}
out="" wt=""
while [ $# -gt 0 ]; do
  case "$1" in
    -o) out=$2; shift 2 ;;
    -C) wt=$2; shift 2 ;;
    *) shift ;;
  esac
done
task=$(cat)
role_line=$(printf '%s\n' "$task" | grep -m1 '^Role: ')
label=\${role_line#Role: }; role=\${label##*(}; role=\${role%)}; label=\${label% (*}
result="{\\"role\\":\\"$role\\",\\"label\\":\\"$label\\",$rest"
n=0
msg() { n=$((n + 1)); printf '{"type":"item.completed","item":{"id":"item_%d","type":"agent_message","text":"%s"}}\\n' "$n" "$1"; }
printf '{"type":"thread.started","thread_id":"0190bench-%s"}\\n{"type":"turn.started"}\\n' "$$"
case "$task" in
  *"[bench:hang]"*)
    msg "working"
    exec sleep infinity ;;
  *"[bench:busy:"*)
    every=\${task#*\\[bench:busy:}; every=\${every%%]*}
    while [ ! -e "$quiet" ]; do
      msg "step $n: reading the draft, section $((n % 17))"
      sleep "$every"
    done
    exec sleep infinity ;;
  *"[bench:trigger]"*)
    run=\${wt#*/panel-runs/}; run=\${run%%/*}
    id="$run-\${wt##*/}"
    fifo="$trigger_dir/$id.fifo"
    mkfifo "$fifo"
    msg "waiting for the trigger"
    read -r _ < "$fifo"
    printf '%s' "$result" > "$out"
    printf '{"type":"turn.completed","usage":{"input_tokens":1,"cached_input_tokens":0,"output_tokens":1}}\\n'
    printf '%s\\n' "$EPOCHREALTIME" > "$trigger_dir/$id.exit"
    exit 0 ;;
  *)
    printf '%s' "$result" > "$out"
    exit 0 ;;
esac
`;
  await writeFile(bin, script);
  await chmod(bin, 0o755);
  return { bin, dir, triggerDir, quietFile: join(dir, "quiet") };
}

/** An exit stamp ($EPOCHREALTIME, seconds with µs; "," in some locales) as epoch milliseconds. */
export function stampMs(text: string): number {
  return Number(text.trim().replace(",", ".")) * 1000;
}

/** Wall-clock now in epoch milliseconds with sub-millisecond resolution (comparable to stampMs). */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}
