/** Call the panel's tRPC API over HTTP as a script would (bearer token, plain JSON). */
export async function trpc<T>(baseURL: string, token: string, proc: string, input: unknown, kind: "query" | "mutation"): Promise<T> {
  const url = `${baseURL}/api/trpc/${proc}`;
  const res = kind === "query"
    ? await fetch(input === undefined ? url : `${url}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers: { authorization: `Bearer ${token}` } })
    : await fetch(url, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(input) });
  const body = (await res.json()) as { result?: { data: T }; error?: { message: string } };
  if (!res.ok || !body.result) throw new Error(`${proc}: ${res.status} ${body.error?.message ?? JSON.stringify(body)}`);
  return body.result.data;
}
