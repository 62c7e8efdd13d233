/**
 * The panel's record files (server/bridge/safe-fs.mjs) against what an agent can leave at their
 * paths in its worktree or outbox: a FIFO must be refused at once, never waited on (the finish step
 * reads the agent's final message this way; a blocked read would leave the worker running with
 * no result for good).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { appendFileNoFollowSync, readFileNoFollowSync } from "@/server/bridge/safe-fs.mjs";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function fifo(): string {
  const dir = mkdtempSync(join(tmpdir(), "ltp-safe-fs-"));
  dirs.push(dir);
  const path = join(dir, "last-message.json");
  execFileSync("mkfifo", [path]);
  return path;
}

describe("safe-fs on a FIFO the agent made", () => {
  it("refuses to read it, at once, as not a regular file", () => {
    expect(() => readFileNoFollowSync(fifo(), 1024)).toThrow(/not a regular file/);
  });

  it("refuses to append to it without a reader, at once", () => {
    expect(() => appendFileNoFollowSync(fifo(), "line\n")).toThrow();
  });

  it("still reads a regular file", () => {
    const dir = mkdtempSync(join(tmpdir(), "ltp-safe-fs-"));
    dirs.push(dir);
    writeFileSync(join(dir, "f.json"), "{}");
    expect(readFileNoFollowSync(join(dir, "f.json"), 1024)?.data.toString()).toBe("{}");
  });
});
