import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startServer } from "@/server/main";
import { testConfig } from "../support/panel";
import { removeDir } from "../support/repo";

describe("server start", () => {
  it("refuses a non-loopback address without an explicit token, and creates no token file", async () => {
    const config = testConfig({ host: "0.0.0.0", port: 0, token: undefined });
    await expect(startServer({ config, log: () => undefined })).rejects.toThrow(/not a loopback address/);
    expect(existsSync(join(config.dataDir, "token"))).toBe(false);
    removeDir(config.dataDir);
  });
});
