/**
 * The process-wide panel: config, database, bus and per-run locks. It lives on globalThis so
 * the custom server and the Next.js route bundles (two module graphs, one process) share it.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { migrationsFolderFor, openDatabase, type Db, type DbHandle } from "../../db/client";
import { closeRevResolvers } from "../bridge/rev-batch";
import { Tmux } from "../bridge/tmux";
import { configFromEnv, type PanelConfig } from "../config";
import { EventBus } from "../events/bus";
import { KeyedMutex } from "../core/mutex";

export interface Panel {
  config: PanelConfig;
  dbh: DbHandle;
  db: Db;
  bus: EventBus;
  locks: KeyedMutex;
  /** tmux on the panel's dedicated socket. */
  tmux: Tmux;
  /** Per-process secret the HTTP guard uses to hand the caller's role to the route bundle. */
  guardSecret: string;
  /** Background services (supervisor) register their stop functions here. */
  closers: Array<() => Promise<void> | void>;
  /** The supervisor, when running (the server starts one; tests may). */
  supervisor?: { checkRun(runId: string): Promise<void> };
}

const KEY = "__longtablePanel" as const;
type Global = typeof globalThis & { [KEY]?: Panel };

export function createPanel(config: PanelConfig): Panel {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const dbh = openDatabase(join(config.dataDir, "panel.db"), migrationsFolderFor(config.root));
  return {
    config,
    dbh,
    db: dbh.db,
    bus: new EventBus(),
    locks: new KeyedMutex(),
    tmux: new Tmux(config.tmuxSocket),
    guardSecret: randomBytes(24).toString("hex"),
    closers: [],
  };
}

/** The panel of this process; created from the environment on first use. */
export function getPanel(): Panel {
  const g = globalThis as Global;
  g[KEY] ??= createPanel(configFromEnv());
  return g[KEY];
}

export function installPanel(panel: Panel): void {
  (globalThis as Global)[KEY] = panel;
}

export async function closePanel(panel: Panel): Promise<void> {
  for (const close of panel.closers.splice(0).reverse()) await close();
  closeRevResolvers();
  panel.dbh.close();
  const g = globalThis as Global;
  if (g[KEY] === panel) delete g[KEY];
}
