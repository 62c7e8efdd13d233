import { startServer } from "./server";

export default async function globalSetup() {
  const s = await startServer();
  s.child.unref();
  process.env.LTP_BASE_URL = s.baseURL;
  process.env.LTP_PORT = String(s.port);
  process.env.LTP_TOKEN = s.token;
  process.env.LTP_VIEWER_TOKEN = s.viewerToken;
  process.env.LTP_DATA_DIR = s.dataDir;
  process.env.LTP_REPO = s.repo;
  process.env.LTP_SERVER_PID = String(s.child.pid);
  process.env.LTP_TMUX_SOCKET = s.tmuxSocket;
}
