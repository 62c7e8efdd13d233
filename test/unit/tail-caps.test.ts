/**
 * The local side of a host's tail never buffers without bound (ssh/mirror.ts): a line over the
 * cap is skipped as it streams and reported; event bytes over a chunk and result files over the
 * result cap are dropped before they are decoded.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { cappedLines, MAX_EVENTS_CHUNK, TailMirror, type RemoteResultFiles, type WatchEntry } from "@/server/bridge/ssh/mirror";
import type { RemoteMachine } from "@/server/bridge/ssh/remote";
import { MAX_RESULT_BYTES } from "@/server/bridge/worker-files";

describe("cappedLines", () => {
  it("passes lines split across chunks, drops a line over the cap (reporting its length) and goes on with the next", async () => {
    const input = new PassThrough();
    const lines: string[] = [];
    const over: number[] = [];
    cappedLines(input, 10, (l) => lines.push(l), (n) => over.push(n));
    input.write("ab");
    input.write("c\nexactly-10\n0123");
    input.write("456789ABCDEF");
    input.write("GHIJ\n\nlast\n");
    input.end();
    await new Promise((r) => input.on("end", r));
    expect(lines).toEqual(["abc", "exactly-10", "", "last"]);
    expect(over).toEqual([20]);
  });
});

describe("the tail mirror's caps", () => {
  it("drops event bytes over one chunk and a result.json over the result cap, with a warning each; within them they come", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ltp-tail-caps-"));
    try {
      const results: RemoteResultFiles[] = [];
      const mirror = new TailMirror({ host: { id: "box" } } as unknown as RemoteMachine, { onResult: async (_e, f) => void results.push(f), onActivity: () => undefined });
      const entry: WatchEntry = { key: "k", runId: "r", workerId: "w", repo: dir, attempt: 1, remoteDir: "/x", localEvents: join(dir, "events.jsonl") };
      writeFileSync(entry.localEvents, "");
      mirror.entries.set("k", entry);
      const warnings: string[] = [];
      const handle = (msg: object) => (mirror as unknown as { handle(l: string, w: (m: string) => void): Promise<void> }).handle(JSON.stringify(msg), (m) => warnings.push(m));
      const b64 = (n: number) => Buffer.alloc(n, 97).toString("base64");

      await handle({ kind: "events", key: "k", attempt: 1, offset: 0, b64: b64(MAX_EVENTS_CHUNK + 1) });
      expect(readFileSync(entry.localEvents).length).toBe(0);
      expect(warnings.pop()).toMatch(/event bytes over 1048576 in one line for k were dropped/);
      await handle({ kind: "events", key: "k", attempt: 1, offset: 0, b64: b64(MAX_EVENTS_CHUNK) });
      expect(readFileSync(entry.localEvents).length).toBe(MAX_EVENTS_CHUNK);

      await handle({ kind: "result", key: "k", attempt: 1, exit: b64(2), result: b64(MAX_RESULT_BYTES + 1) });
      expect(results.pop()?.result).toBeNull();
      expect(warnings.pop()).toMatch(/a result.json over 8388608 bytes for k was dropped/);
      await handle({ kind: "result", key: "k", attempt: 1, exit: b64(2), result: Buffer.from('{"status":"completed"}').toString("base64") });
      expect(results.pop()?.result?.toString()).toBe('{"status":"completed"}');
      expect(warnings).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
