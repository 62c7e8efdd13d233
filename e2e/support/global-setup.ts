import { mkdtempSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeFakeCodex } from "../../test/support/fake-codex";
import { e2eFakeCodexScript, gatesDirOf } from "./fake-script";
import { plantFoundRun } from "./found-on-disk";
import { makeE2eRepo, startServer } from "./server";

export default async function globalSetup() {
  // Workers run a scripted fake codex (no network, no model): see ./fake-script.ts.
  const codexDir = realpathSync(mkdtempSync(join(tmpdir(), "ltp-e2e-codex-")));
  const codexBin = await makeFakeCodex(codexDir, e2eFakeCodexScript(gatesDirOf(join(codexDir, "codex"))));
  // A run record the server finds on disk (e2e/found-on-disk.spec.ts): planted before it starts.
  const repo = makeE2eRepo();
  plantFoundRun(repo);
  // The fake keeps its script and the gates in codexDir: a folder the agents' sandbox lets it see.
  const s = await startServer({ repo, env: { LONGTABLE_CODEX_BIN: codexBin, LONGTABLE_SANDBOX_WRITABLE: codexDir } });
  s.child.unref();
  process.env.LTP_BASE_URL = s.baseURL;
  process.env.LTP_PORT = String(s.port);
  process.env.LTP_TOKEN = s.token;
  process.env.LTP_VIEWER_TOKEN = s.viewerToken;
  process.env.LTP_DATA_DIR = s.dataDir;
  process.env.LTP_REPO = s.repo;
  process.env.LTP_SERVER_PID = String(s.child.pid);
  process.env.LTP_TMUX_SOCKET = s.tmuxSocket;
  process.env.LTP_CODEX_BIN = codexBin;
}
