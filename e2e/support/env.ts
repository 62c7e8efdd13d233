import type { APIRequestContext, BrowserContext } from "@playwright/test";

export const env = () => ({
  baseURL: process.env.LTP_BASE_URL!,
  port: Number(process.env.LTP_PORT),
  token: process.env.LTP_TOKEN!,
  viewerToken: process.env.LTP_VIEWER_TOKEN!,
  repo: process.env.LTP_REPO!,
  dataDir: process.env.LTP_DATA_DIR!,
  tmuxSocket: process.env.LTP_TMUX_SOCKET!,
});

/** Log a browser context in the way a user does: open the start URL with ?token=. */
export async function login(context: BrowserContext, token = env().token) {
  const page = await context.newPage();
  await page.goto(`${env().baseURL}/?token=${encodeURIComponent(token)}`);
  return page;
}

export async function api<T>(request: APIRequestContext, proc: string, input: unknown, token = env().token): Promise<T> {
  const res = await request.get(`${env().baseURL}/api/trpc/${proc}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (!res.ok()) throw new Error(`${proc} → ${res.status()}: ${await res.text()}`);
  return ((await res.json()) as { result: { data: T } }).result.data;
}

/** A mutation the way a script sends it: POST with JSON and a bearer token (no Origin needed). */
export async function mutate<T>(request: APIRequestContext, proc: string, input: unknown, token = env().token): Promise<T> {
  const res = await request.post(`${env().baseURL}/api/trpc/${proc}`, {
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    data: JSON.stringify(input),
  });
  if (!res.ok()) throw new Error(`${proc} → ${res.status()}: ${await res.text()}`);
  return ((await res.json()) as { result: { data: T } }).result.data;
}

export interface E2eRun {
  id: string;
  status: string;
  workers: { id: string; role: string; label: string; status: string }[];
}

/** Create a run in the e2e repo through the API (operator token). */
export function createRun(request: APIRequestContext, roles: string[], prompt = "Review src/app.txt and write notes.") {
  return mutate<E2eRun>(request, "runs.create", { repoPath: env().repo, prompt, roles, mode: "review" });
}
