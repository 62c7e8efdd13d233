/**
 * `npm run bench` — every benchmark on generated repos in temp dirs, with real git and tmux;
 * one line per figure: name, ours, the floor measured in the same run, their ratio, the target.
 * `npm run bench -- --quick` runs a smaller version (a few minutes once the app is built).
 * `--only provision,sse` picks benchmarks by name. Every run writes bench/results/<timestamp>.json,
 * latest.json and latest.md (git-ignored); `--publish` also writes
 * bench/results/published/<date>-<full|quick>[-<benchmarks>].{json,md}, the files the README's table is pasted
 * from (committed). The machine's load average at the start and the end is part of the results.
 * Not part of `npm test`.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { execFileSync } from "node:child_process";
import { ensureAppBuilt, fmt, fmtRatio, log, PROJECT_ROOT, runCleanups, type BenchModule, type BenchOptions, type Row } from "./lib";

interface Entry {
  name: string;
  /** Needs the built app (starts the real server). */
  server: boolean;
  load(): Promise<BenchModule | undefined>;
}

/** bench/diff.ts is written separately; accept `run(opts)` or a default export returning rows. */
async function loadOptional(file: string): Promise<BenchModule | undefined> {
  const path = join(PROJECT_ROOT, "bench", file);
  if (!existsSync(path)) return undefined;
  const mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  const fn = [mod.run, mod.default, (mod.default as Record<string, unknown> | undefined)?.run].find((f) => typeof f === "function") as
    | ((opts: BenchOptions) => Promise<unknown>)
    | undefined;
  if (!fn) throw new Error(`bench/${file} exports no run(opts) function`);
  return { run: async (opts) => normalizeRows(await fn(opts)) };
}

/** Rows from a module that may use slightly different field names. */
function normalizeRows(value: unknown): Row[] {
  const list = Array.isArray(value) ? value : value && typeof value === "object" && Array.isArray((value as { rows?: unknown }).rows) ? (value as { rows: unknown[] }).rows : [value];
  return list.filter((r): r is Record<string, unknown> => !!r && typeof r === "object").map((r) => {
    const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
    const ours = num(r.ours ?? r.value ?? r.ms);
    const floor = num(r.floor ?? r.baseline);
    const ratio = num(r.ratio) ?? (ours !== null && floor ? ours / floor : null);
    return {
      name: String(r.name ?? r.label ?? "?"),
      ours, floor, ratio,
      target: String(r.target ?? ""),
      unit: String(r.unit ?? "ms"),
      ok: typeof r.ok === "boolean" ? r.ok : typeof r.met === "boolean" ? r.met : null,
      note: r.note === undefined ? undefined : String(r.note),
    };
  });
}

const BENCHES: Entry[] = [
  { name: "provision", server: false, load: async () => await import("./provision") },
  { name: "sse", server: true, load: async () => await import("./sse") },
  { name: "diff", server: false, load: () => loadOptional("diff.ts") },
  { name: "runs-list", server: true, load: async () => await import("./runs-list") },
  { name: "resources", server: true, load: async () => await import("./resources") },
  { name: "queue", server: false, load: async () => await import("./queue") },
];

function table(rows: Row[]): string {
  const head = ["benchmark", "ours", "floor", "ratio", "target", "met?"];
  const body = rows.map((r) => [r.name, fmt(r.ours, r.unit), fmt(r.floor, r.unit), fmtRatio(r.ratio), r.target, r.ok === null ? "—" : r.ok ? "yes" : "NO"]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}

/** The rows as a Markdown table (README "Performance"). */
function markdown(rows: Row[], report: { startedAt: string; seconds: number; quick: boolean; commit: string | null; command: string; machine: { cpus: number; memoryGB: number; node: string }; load: { start: number[]; end: number[] } }): string {
  const cell = (s: string) => s.replace(/\|/g, "\\|");
  const la = (l: number[]) => l.map((x) => x.toFixed(2)).join(", ");
  const met = rows.filter((r) => r.ok === true).length;
  const judged = rows.filter((r) => r.ok !== null).length;
  const lines = [
    `${report.quick ? "Quick" : "Full"} run of ${report.startedAt.slice(0, 10)} at ${report.commit ?? "?"} (\`${report.command}\`, ${Math.round(report.seconds / 60)} min), ${report.machine.cpus} CPUs, ${report.machine.memoryGB} GB, Node ${report.machine.node}; ` +
      `load average (1, 5, 15 min) ${la(report.load.start)} at the start, ${la(report.load.end)} at the end — ${met} of ${judged} targets met.`,
    "",
    "| benchmark | ours | floor | ratio | target | met? |",
    "|---|---:|---:|---:|---|---|",
    ...rows.map((r) => `| ${cell(r.name)} | ${fmt(r.ours, r.unit)} | ${fmt(r.floor, r.unit)} | ${fmtRatio(r.ratio)} | ${cell(r.target || "—")} | ${r.ok === null ? "(info)" : r.ok ? "yes" : "**no**"} |`),
  ];
  return `${lines.join("\n")}\n`;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const quick = argv.includes("--quick");
  const onlyArg = argv.find((a) => a.startsWith("--only"));
  const only = onlyArg ? (onlyArg.includes("=") ? onlyArg.split("=")[1]! : argv[argv.indexOf(onlyArg) + 1] ?? "").split(",").filter(Boolean) : undefined;
  const selected = BENCHES.filter((b) => !only || only.includes(b.name));
  if (only && selected.length === 0) {
    console.error(`unknown benchmark(s) ${only.join(", ")}; known: ${BENCHES.map((b) => b.name).join(", ")}`);
    return 2;
  }
  const opts: BenchOptions = { quick };
  const started = new Date();
  log(`${quick ? "quick" : "full"} run: ${selected.map((b) => b.name).join(", ")}`);
  if (selected.some((b) => b.server)) {
    log("checking the app build (builds once when the sources changed; not timed)…");
    await ensureAppBuilt();
  }
  // The commit measured: taken at the start (docs edited while a long run goes on are not in it).
  const commit = (() => {
    try {
      const git = (args: string[]) => execFileSync("git", args, { cwd: PROJECT_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
      // Changes to tracked files not yet committed are named: the figures are not of that commit.
      return `${git(["rev-parse", "--short", "HEAD"])}${git(["status", "--porcelain", "--untracked-files=no"]) ? " (with uncommitted changes)" : ""}`;
    } catch {
      return null;
    }
  })();
  const rows: Row[] = [];
  const errors: { bench: string; error: string }[] = [];
  const loadStart = loadavg();
  log(`load average: ${loadStart.map((x) => x.toFixed(2)).join(", ")} (${cpus().length} CPUs)`);
  const t0 = Date.now();
  for (const b of selected) {
    const mod = await b.load();
    if (!mod) {
      log(`${b.name}: skipped (bench/${b.name}.ts not present)`);
      continue;
    }
    const tb = Date.now();
    try {
      const out = await mod.run(opts);
      rows.push(...out);
      for (const r of out) {
        console.log(`${r.name}: ours ${fmt(r.ours, r.unit)}, floor ${fmt(r.floor, r.unit)}, ratio ${fmtRatio(r.ratio)}, target ${r.target}: ${r.ok === null ? "info" : r.ok ? "met" : "NOT MET"}`);
      }
    } catch (error) {
      const message = (error as Error).stack ?? String(error);
      errors.push({ bench: b.name, error: message });
      log(`${b.name} FAILED: ${message}`);
    } finally {
      await runCleanups();
    }
    log(`${b.name}: ${((Date.now() - tb) / 1000).toFixed(1)} s`);
  }
  const seconds = (Date.now() - t0) / 1000;
  console.log(`\n${table(rows)}\n`);
  for (const r of rows.filter((r) => r.note)) console.log(`  ${r.name}: ${r.note}`);
  console.log(`\n${rows.filter((r) => r.ok === true).length}/${rows.filter((r) => r.ok !== null).length} targets met; ${errors.length} benchmark(s) failed; ${seconds.toFixed(0)} s`);


  const loadEnd = loadavg();
  const report = {
    startedAt: started.toISOString(),
    seconds,
    quick,
    command: `npm run bench${argv.length ? ` -- ${argv.join(" ")}` : ""}`,
    commit,
    load: { start: loadStart, end: loadEnd },
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? null, memoryGB: Math.round(totalmem() / 2 ** 30), node: process.version },
    rows,
    errors,
  };
  const dir = join(PROJECT_ROOT, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const stamp = started.toISOString().replace(/[:.]/g, "-");
  writeFileSync(join(dir, `${stamp}${quick ? "-quick" : ""}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(dir, "latest.json"), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(dir, "latest.md"), markdown(rows, report));
  log(`results: bench/results/${stamp}${quick ? "-quick" : ""}.json, bench/results/latest.json and latest.md`);
  if (argv.includes("--publish")) {
    const published = join(dir, "published");
    mkdirSync(published, { recursive: true });
    // A run of some benchmarks only is named after them (it never replaces a whole run's file).
    const name = `${started.toISOString().slice(0, 10)}-${quick ? "quick" : "full"}${only ? `-${selected.map((b) => b.name).join("-")}` : ""}`;
    writeFileSync(join(published, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(published, `${name}.md`), markdown(rows, report));
    log(`published: bench/results/published/${name}.json and .md (commit them; the README's table is pasted from the .md)`);
  }
  return errors.length ? 1 : 0;
}

let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log(`${signal}: cleaning up…`);
    void runCleanups().finally(() => process.exit(130));
  });
}

main()
  .then(async (code) => {
    await runCleanups();
    process.exit(code);
  })
  .catch(async (error) => {
    console.error(error);
    await runCleanups();
    process.exit(1);
  });
