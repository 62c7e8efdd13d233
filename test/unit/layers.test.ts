/**
 * The layer rules of ARCHITECTURE.md §3, checked on the source: who may import whom, no import
 * cycles among server modules, no file that writes run records or publishes outside the door.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(__dirname, "..", "..");
const LAYERS = ["server/core", "server/agents", "server/bridge", "server/events", "db", "server/panel", "server/supervisor", "server/trpc", "server/http"] as const;
/** What each layer may import (besides itself). */
const MAY: Record<(typeof LAYERS)[number], readonly string[]> = {
  "server/core": [],
  "server/agents": ["server/core"],
  "server/bridge": ["server/core", "server/agents"],
  "server/events": ["server/core"],
  db: [],
  "server/panel": ["server/core", "server/agents", "server/bridge", "server/events", "db"],
  "server/supervisor": ["server/core", "server/agents", "server/bridge", "server/events", "db", "server/panel"],
  "server/trpc": ["server/core", "server/agents", "server/bridge", "server/events", "db", "server/panel", "server/supervisor", "server/http"],
  "server/http": ["server/core", "server/trpc"],
};

function files(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === "migrations" ? [] : files(join(dir, e.name))) : /\.(ts|mjs)$/.test(e.name) && !e.name.endsWith(".d.ts") ? [join(dir, e.name)] : [],
  );
}

const SOURCES = [...LAYERS.flatMap((l) => files(l))];
const layerOf = (file: string) => LAYERS.find((l) => file === l || file.startsWith(`${l}/`));

/** Relative imports of a file, resolved to repo paths (type-only imports included: they bind layers too). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^"'`;]*?from\s*["']([^"']+)["']|import\(\s*[`"']([^`"'$]+)[`"']\s*\)/g)) {
    const spec = m[1] ?? m[2]!;
    if (!spec.startsWith(".")) continue;
    const target = relative(ROOT, resolve(ROOT, dirname(file), spec));
    const found = [target, `${target}.ts`, `${target}/index.ts`, target.replace(/\.mjs$/, ".mjs")].find((c) => SOURCES.includes(c));
    if (found) out.push(found);
  }
  return out;
}

describe("layers (ARCHITECTURE.md §3)", () => {
  it("no module imports a layer above its own", () => {
    // (the check sees the imports: a few hundred edges among the server's modules)
    expect(SOURCES.reduce((n, f) => n + importsOf(f).length, 0)).toBeGreaterThan(200);
    const wrong: string[] = [];
    for (const file of SOURCES) {
      const from = layerOf(file)!;
      for (const target of importsOf(file)) {
        const to = layerOf(target)!;
        if (to !== from && !MAY[from].includes(to)) wrong.push(`${file} → ${target}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("there are no import cycles among server modules", () => {
    const graph = new Map(SOURCES.map((f) => [f, importsOf(f)]));
    const cycles: string[] = [];
    const state = new Map<string, 1 | 2>();
    const visit = (f: string, path: string[]) => {
      state.set(f, 1);
      for (const t of graph.get(f) ?? []) {
        if (state.get(t) === 1) cycles.push([...path.slice(path.indexOf(t)), t].join(" → "));
        else if (!state.has(t)) visit(t, [...path, t]);
      }
      state.set(f, 2);
    };
    for (const f of SOURCES) if (!state.has(f)) visit(f, [f]);
    expect(cycles).toEqual([]);
  });

  it("only the door writes run records and events, and only the door publishes", () => {
    const offenders: string[] = [];
    for (const file of SOURCES) {
      if (file === "server/panel/door.ts") continue;
      const text = readFileSync(join(ROOT, file), "utf8");
      if (/bus\.publish\(/.test(text)) offenders.push(`${file}: bus.publish`);
      if (/appendEvents\(/.test(text) && file !== "server/bridge/run-files.ts") offenders.push(`${file}: appendEvents`);
      if (/run\.json`|"run\.json"/.test(text) && /write/i.test(text.split("\n").find((l) => /run\.json/.test(l)) ?? "")) offenders.push(`${file}: writes run.json`);
      if (/insert\(t\.(events|runs|workers|merges|activity|decisions)\)/.test(text)) offenders.push(`${file}: inserts run rows`);
    }
    expect(offenders).toEqual([]);
  });
});
