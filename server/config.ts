import { homedir } from "node:os";
import { resolve } from "node:path";

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
  codexBin: string;
  token?: string;
  viewerToken?: string;
}

/** Configuration from the environment; bin/longtable-panel.mjs maps flags onto these names. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): PanelConfig {
  return {
    root: resolve(/*turbopackIgnore: true*/ env.LONGTABLE_PANEL_ROOT ?? process.cwd()),
    dataDir: resolve(/*turbopackIgnore: true*/ env.LONGTABLE_PANEL_DATA_DIR ?? resolve(/*turbopackIgnore: true*/ homedir(), ".longtable-panel")),
    defaultRepo: env.LONGTABLE_PANEL_REPO ? resolve(env.LONGTABLE_PANEL_REPO) : undefined,
    host: env.LONGTABLE_PANEL_HOST ?? "127.0.0.1",
    port: Number(env.PORT ?? 4400),
    socket: env.LONGTABLE_PANEL_SOCKET ? resolve(/*turbopackIgnore: true*/ env.LONGTABLE_PANEL_SOCKET) : undefined,
    tmuxSocket: env.LONGTABLE_TMUX_SOCKET ?? "longtable-panel",
    codexBin: env.LONGTABLE_CODEX_BIN ?? "codex",
    token: env.LONGTABLE_PANEL_TOKEN || undefined,
    viewerToken: env.LONGTABLE_PANEL_VIEWER_TOKEN || undefined,
  };
}
