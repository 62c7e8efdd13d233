import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { realOrSame, SYSTEM_HIDDEN_DIRS, SYSTEM_SOCKETS, writableConflict } from "./bridge/sandbox";
import type { AgentId } from "./core/enums";

function sandboxMode(env: NodeJS.ProcessEnv): PanelConfig["sandbox"] {
  const v = (env.LONGTABLE_SANDBOX ?? "auto").trim().toLowerCase();
  if (v === "off" || v === "bwrap" || v === "auto") return v;
  throw new Error(`LONGTABLE_SANDBOX must be auto, bwrap or off (got ${JSON.stringify(env.LONGTABLE_SANDBOX)})`);
}

/** LONGTABLE_PORT_RANGE ("41000-41999"): the ports the panel gives workers. */
function parsePortRange(value: string | undefined): [number, number] {
  const v = (value ?? "").trim() || "41000-41999";
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(v);
  const lo = Number(m?.[1]);
  const hi = Number(m?.[2]);
  if (!m || lo < 1024 || hi > 65535 || lo > hi) throw new Error(`LONGTABLE_PORT_RANGE must be like 41000-41999 (within 1024-65535), got ${JSON.stringify(value)}`);
  return [lo, hi];
}

export interface PanelConfig {
  /** Project root (where db/migrations lives). */
  root: string;
  dataDir: string;
  /** The repo to add at start (the current directory when it is a git work tree). */
  defaultRepo?: string;
  host: string;
  /**
   * The TCP port; 0 picks a free one. With `socket` nothing listens on TCP and this is only the
   * local port the printed tunnel command and URL use (default 4400).
   */
  port: number;
  /** Listen on this Unix socket (mode 0600) instead of TCP: for machines shared with other users. */
  socket?: string;
  tmuxSocket: string;
  /** Each agent's binary (LONGTABLE_CODEX_BIN, LONGTABLE_CLAUDE_BIN, LONGTABLE_COMMAND_AGENT_BIN). */
  agentBins: Record<AgentId, string>;
  /** The panel's sandbox around agents: auto (bubblewrap when it works), bwrap (required), off. */
  sandbox: "auto" | "bwrap" | "off";
  /** Extra folders agents may write inside the sandbox (LONGTABLE_SANDBOX_WRITABLE, colon-separated), e.g. a shared build cache. */
  sandboxWritable: string[];
  /** The ports the panel gives workers (LONGTABLE_PORT_RANGE, default 41000-41999). */
  portRange: [number, number];
  token?: string;
  viewerToken?: string;
}

/**
 * LONGTABLE_SANDBOX_WRITABLE's folders, refused when one contains or sits inside a place the
 * sandbox hides (the data dir, /run/user, the docker socket) or the default repository's git dir or
 * run folders: bound writable, it would bring them back. Other repositories' are checked at launch.
 */
function sandboxWritable(env: NodeJS.ProcessEnv, dataDir: string, defaultRepo: string | undefined): string[] {
  const list = (env.LONGTABLE_SANDBOX_WRITABLE ?? "").split(":").filter((p) => p.trim() !== "").map((p) => resolve(p));
  const guarded = [
    { path: realOrSame(dataDir), what: "the panel's data dir" },
    ...[...SYSTEM_HIDDEN_DIRS, ...SYSTEM_SOCKETS].map((path) => ({ path: realOrSame(path), what: "the user's sockets, hidden from agents" })),
    ...(defaultRepo ? [{ path: realOrSame(join(defaultRepo, ".git")), what: "the repository's git dir" }, { path: realOrSame(join(defaultRepo, ".longtable")), what: "the repository's run folders" }] : []),
  ];
  for (const w of list) {
    const conflict = writableConflict(realOrSame(w), guarded);
    if (conflict) throw new Error(`LONGTABLE_SANDBOX_WRITABLE: ${conflict}`);
  }
  return list;
}

/** Configuration from the environment; bin/longtable-panel.mjs maps flags onto these names. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): PanelConfig {
  const dataDir = resolve(/*turbopackIgnore: true*/ env.LONGTABLE_PANEL_DATA_DIR ?? resolve(/*turbopackIgnore: true*/ homedir(), ".longtable-panel"));
  const defaultRepo = env.LONGTABLE_PANEL_REPO ? resolve(env.LONGTABLE_PANEL_REPO) : undefined;
  return {
    root: resolve(/*turbopackIgnore: true*/ env.LONGTABLE_PANEL_ROOT ?? process.cwd()),
    dataDir,
    defaultRepo,
    host: env.LONGTABLE_PANEL_HOST ?? "127.0.0.1",
    port: Number(env.PORT ?? 4400),
    socket: env.LONGTABLE_PANEL_SOCKET ? resolve(/*turbopackIgnore: true*/ env.LONGTABLE_PANEL_SOCKET) : undefined,
    tmuxSocket: env.LONGTABLE_TMUX_SOCKET ?? "longtable-panel",
    agentBins: {
      codex: env.LONGTABLE_CODEX_BIN || "codex",
      claude: env.LONGTABLE_CLAUDE_BIN || "claude",
      command: env.LONGTABLE_COMMAND_AGENT_BIN || "longtable-agent",
    },
    sandbox: sandboxMode(env),
    sandboxWritable: sandboxWritable(env, dataDir, defaultRepo),
    portRange: parsePortRange(env.LONGTABLE_PORT_RANGE),
    token: env.LONGTABLE_PANEL_TOKEN || undefined,
    viewerToken: env.LONGTABLE_PANEL_VIEWER_TOKEN || undefined,
  };
}
