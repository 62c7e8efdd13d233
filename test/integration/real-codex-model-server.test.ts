/**
 * The scripted model server on its own (plain HTTP, no codex): the SSE it streams, and that it
 * notices protocol mistakes — so `model.violations` staying empty in the real-codex tests means
 * something.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startModelServer, type ModelServer } from "../support/model-server";

let server: ModelServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const TOOLS = [{ type: "function", name: "exec_command" }, { type: "custom", name: "apply_patch" }];
const task = (role: string) => ({ type: "message", role: "user", content: [{ type: "input_text", text: `LongTable\n\nRole: Someone (${role})\nRun: x\n` }] });

async function post(s: ModelServer, input: unknown[], tools: unknown[] = TOOLS) {
  const res = await fetch(`${s.baseUrl}/responses`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify({ model: "gpt-5.5", stream: true, input, tools }),
  });
  const text = await res.text();
  if (!(res.headers.get("content-type") ?? "").startsWith("text/event-stream")) return { status: res.status, events: [], text };
  const events = text.split("\n\n").filter(Boolean).map((block) => {
    const type = /^event: (.*)$/m.exec(block)?.[1];
    const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? "null") as Record<string, unknown>;
    expect(data.type).toBe(type);
    return data;
  });
  return { status: res.status, events, text };
}

describe("scripted model server", () => {
  it("streams tool calls and a final message as Responses-API SSE, and checks the outputs that come back", async () => {
    server = await startModelServer({
      reviewer: [
        { tools: [{ exec: "ls", login: false }, { patch: "*** Begin Patch\n*** Add File: a\n+a\n*** End Patch\n" }], usage: { input_tokens: 5, output_tokens: 1 } },
        { message: { status: "completed" }, chunks: 4 },
      ],
    });
    const first = await post(server, [task("reviewer")]);
    expect(first.status).toBe(200);
    expect(first.events.map((e) => e.type)).toEqual([
      "response.created", "response.in_progress",
      "response.output_item.added", "response.output_item.done",
      "response.output_item.added", "response.output_item.done",
      "response.completed",
    ]);
    const calls = first.events.filter((e) => e.type === "response.output_item.done").map((e) => e.item as Record<string, string>);
    expect(calls[0]).toMatchObject({ type: "function_call", name: "exec_command", arguments: JSON.stringify({ cmd: "ls", login: false }) });
    expect(calls[1]).toMatchObject({ type: "custom_tool_call", name: "apply_patch", input: "*** Begin Patch\n*** Add File: a\n+a\n*** End Patch\n" });
    expect((first.events.at(-1)!.response as { usage: unknown }).usage).toEqual({
      input_tokens: 5, input_tokens_details: { cached_tokens: 0 }, output_tokens: 1, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 6,
    });

    // Codex answers both calls; then the final message arrives as deltas.
    const second = await post(server, [
      task("reviewer"),
      { type: "function_call_output", call_id: calls[0]!.call_id, output: "Process exited with code 0" },
      { type: "custom_tool_call_output", call_id: calls[1]!.call_id, output: "Success." },
    ]);
    const deltas = second.events.filter((e) => e.type === "response.output_text.delta").map((e) => e.delta).join("");
    expect(deltas).toBe(JSON.stringify({ status: "completed" }));
    expect(second.events.find((e) => e.type === "response.output_item.done")!.item).toMatchObject({
      type: "message", role: "assistant", content: [{ type: "output_text", text: deltas }],
    });
    expect(server.violations).toEqual([]);
    expect([...server.toolOutputs.values()].map((o) => [o.name, o.output])).toEqual([["exec_command", "Process exited with code 0"], ["apply_patch", "Success."]]);
    expect(server.usageSent("reviewer")).toEqual({ input_tokens: 105, cached_input_tokens: 10, output_tokens: 21 });
    expect(server.requestsFor("reviewer").map((r) => [r.turn, r.outcome])).toEqual([[0, "completed"], [1, "completed"]]);

    // Past the end of the script: a 500 and a violation.
    expect((await post(server, [task("reviewer")])).status).toBe(500);
    expect(server.violations).toEqual([expect.stringContaining("script for reviewer is exhausted")]);
  });

  it("records a missing output, an output for a call never made, a tool codex did not offer and an unknown key", async () => {
    server = await startModelServer({
      reviewer: [{ tools: [{ exec: "ls" }] }, { message: "x" }],
      editor: [{ tools: [{ patch: "*** Begin Patch\n*** End Patch\n" }] }],
    });
    await post(server, [task("reviewer")]);
    await post(server, [task("reviewer"), { type: "function_call_output", call_id: "call_invented", output: "?" }]);
    await post(server, [task("editor")], [{ type: "function", name: "exec_command" }]);
    expect((await post(server, [task("nobody")])).status).toBe(500);
    expect(server.violations).toEqual([
      expect.stringMatching(/output for call call_invented, which the model never made/),
      expect.stringMatching(/no output for exec_command call call_reviewer_1/),
      expect.stringMatching(/calls custom tool apply_patch, which codex did not offer/),
      expect.stringMatching(/no script for key "nobody"/),
    ]);
  });

  it("fails, cuts, stalls and errors on request; answers GET /v1/models; closes with a stalled stream open", async () => {
    server = await startModelServer({
      a: [{ fail: "overloaded", code: "server_is_overloaded" }],
      b: [{ cut: true, partial: "{\"sta" }],
      c: [{ http: 503, message: "down" }],
      d: [{ stall: true }],
    });
    const failed = await post(server, [task("a")]);
    expect(failed.events.at(-1)).toMatchObject({ type: "response.failed", response: { status: "failed", error: { code: "server_is_overloaded", message: "overloaded" } } });
    await expect(post(server, [task("b")])).rejects.toThrow(); // the body ends mid-stream
    expect(server.requestsFor("b")[0]!.outcome).toBe("cut");
    const down = await fetch(`${server.baseUrl}/responses`, { method: "POST", body: JSON.stringify({ model: "m", input: [task("c")] }) });
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ error: { message: "down", type: "server_error" } });
    expect(server.requestsFor("c")[0]).toMatchObject({ outcome: "http" });
    const models = await fetch(`${server.baseUrl}/models`);
    expect(models.status).toBe(200);
    expect(await models.json()).toMatchObject({ data: [] });

    const stalled = fetch(`${server.baseUrl}/responses`, { method: "POST", body: JSON.stringify({ model: "m", input: [task("d")] }) }).then((r) => r.text());
    await server.waitForRequest((r) => r.key === "d" && r.outcome === "stall", "the stalled request");
    await server.close();
    await expect(stalled).rejects.toThrow();
    expect(server.violations).toEqual([]);
    await expect(fetch(`${server.baseUrl}/models`)).rejects.toThrow(); // closed: nothing listens any more
  });
});
