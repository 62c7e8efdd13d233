import { stopServer } from "./server";

export default async function globalTeardown() {
  const pid = Number(process.env.LTP_SERVER_PID);
  if (pid) await stopServer(pid);
}
