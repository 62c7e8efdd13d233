/**
 * The sandbox's bubblewrap arguments (bridge/sandbox.ts): mounts go parent before child, so a
 * writable folder never brings back a hidden one or the git dir; the user's extra writable folders
 * that contain or sit inside a hidden place are refused — by bwrapArgs at launch, when
 * LONGTABLE_SANDBOX_WRITABLE is read, and in a host's settings.
 */
import { describe, expect, it } from "vitest";
import { bwrapArgs, writableConflict } from "@/server/bridge/sandbox";
import { configFromEnv } from "@/server/config";
import { hostInputSchema } from "@/server/panel/hosts/schemas";

/** The mounts after the fixed prefix, as [flag, target] pairs in order. */
function mounts(args: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 9; i < args.length && args[i] !== "--chdir"; ) {
    if (args[i] === "--tmpfs") {
      out.push(["--tmpfs", args[i + 1]!]);
      i += 2;
    } else {
      out.push([args[i]!, args[i + 2]!]);
      i += 3;
    }
  }
  return out;
}
const at = (m: Array<[string, string]>, flag: string, path: string) => m.findIndex(([f, p]) => f === flag && p === path);

describe("bwrapArgs", () => {
  it("keeps the fixed prefix, then mounts parent before child, and ends with the agent's argv separator", () => {
    const args = bwrapArgs({
      worktree: "/home/u/repo/.longtable/panel-runs/r1/worktrees/w1",
      gitCommonDir: "/home/u/repo/.git",
      hide: ["/home/u/repo/.longtable", "/home/u/.longtable-panel", "/run/user"],
      mask: ["/run/docker.sock"],
      writable: ["/home/u/repo/.longtable/panel-runs/r1/outbox/w1", "/home/u/repo/.longtable/panel-runs/r1/home/w1"],
      userWritable: ["/srv/cache"],
      readable: ["/home/u/repo/.longtable/panel-runs/r1/schema.json"],
    });
    expect(args.slice(0, 9)).toEqual(["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]);
    expect(args.slice(-7)).toEqual(["--chdir", "/home/u/repo/.longtable/panel-runs/r1/worktrees/w1", "--unshare-all", "--share-net", "--die-with-parent", "--new-session", "--"]);
    const m = mounts(args);
    // The worktree, outbox, home and the schema are inside the hidden run folders: bound after the tmpfs over them.
    const hideRuns = at(m, "--tmpfs", "/home/u/repo/.longtable");
    expect(hideRuns).toBeGreaterThanOrEqual(0);
    for (const [flag, p] of [["--bind", "/home/u/repo/.longtable/panel-runs/r1/worktrees/w1"], ["--bind", "/home/u/repo/.longtable/panel-runs/r1/outbox/w1"], ["--ro-bind", "/home/u/repo/.longtable/panel-runs/r1/schema.json"]] as const) {
      expect(at(m, flag, p)).toBeGreaterThan(hideRuns);
    }
    expect(at(m, "--tmpfs", "/run/user")).toBeGreaterThanOrEqual(0);
    expect(args.join(" ")).toContain("--ro-bind /dev/null /run/docker.sock");
    expect(at(m, "--ro-bind", "/home/u/repo/.git")).toBeGreaterThanOrEqual(0);
  });

  it("puts the hides and the git dir's read-only bind after a writable parent of theirs (the panel's own writable folders)", () => {
    // The reviewer's case, with the parent given as one of the panel's own writable folders (not checked).
    const m = mounts(bwrapArgs({ worktree: "/w/wt", gitCommonDir: "/home/repo/.git", hide: ["/home/panel"], writable: ["/home"] }));
    expect(at(m, "--bind", "/home")).toBeLessThan(at(m, "--tmpfs", "/home/panel"));
    expect(at(m, "--bind", "/home")).toBeLessThan(at(m, "--ro-bind", "/home/repo/.git"));
  });

  it("keeps the worktree writable over a git dir at the same path, and a hidden place hidden over a writable one at the same path", () => {
    const same = mounts(bwrapArgs({ worktree: "/w/x", gitCommonDir: "/w/x", hide: ["/w/h"], writable: ["/w/h"] }));
    expect(at(same, "--ro-bind", "/w/x")).toBeLessThan(at(same, "--bind", "/w/x"));
    expect(at(same, "--bind", "/w/h")).toBeLessThan(at(same, "--tmpfs", "/w/h"));
  });

  it("hides a place under /tmp only when a bind would bring it back (the private /tmp hides the rest)", () => {
    expect(mounts(bwrapArgs({ worktree: "/srv/wt", gitCommonDir: "/srv/g", hide: ["/tmp/data"], writable: [] })).some(([, p]) => p === "/tmp/data")).toBe(false);
    const m = mounts(bwrapArgs({ worktree: "/tmp/a/wt", gitCommonDir: "/srv/g", hide: ["/tmp/a/wt/secret"], writable: [] }));
    expect(at(m, "--tmpfs", "/tmp/a/wt/secret")).toBeGreaterThan(at(m, "--bind", "/tmp/a/wt"));
  });

  it("refuses a user's writable folder that contains or sits inside a hidden place, a socket or the git dir, saying what to do", () => {
    const base = { worktree: "/w/wt", gitCommonDir: "/home/u/repo/.git", hide: ["/home/u/.longtable-panel", "/run/user"], mask: ["/run/docker.sock"], writable: [] };
    expect(() => bwrapArgs({ ...base, userWritable: ["/home/u"] })).toThrow(/\/home\/u contains \/home\/u\/\.longtable-panel .*remove it from LONGTABLE_SANDBOX_WRITABLE/);
    expect(() => bwrapArgs({ ...base, userWritable: ["/home/u/repo"] })).toThrow(/contains \/home\/u\/repo\/\.git \(the repository's git dir/);
    expect(() => bwrapArgs({ ...base, userWritable: ["/home/u/repo/.git/hooks"] })).toThrow(/is inside \/home\/u\/repo\/\.git/);
    expect(() => bwrapArgs({ ...base, userWritable: ["/run"] })).toThrow(/contains \/run\/user/);
    expect(() => bwrapArgs({ ...base, userWritable: ["/"] })).toThrow(/sandbox folder \/ contains/);
    expect(bwrapArgs({ ...base, userWritable: ["/home/u/.cache"] }).join(" ")).toContain("--bind /home/u/.cache /home/u/.cache");
    expect(writableConflict("/home/u/.longtable-panel-cache", [{ path: "/home/u/.longtable-panel", what: "x" }])).toBeUndefined();
  });
});

describe("refused extra writable folders in the settings", () => {
  it("LONGTABLE_SANDBOX_WRITABLE: a folder containing the data dir, /run/user or the default repo's git dir is refused when the config is read", () => {
    const env = { LONGTABLE_PANEL_DATA_DIR: "/srv/u/.longtable-panel", LONGTABLE_PANEL_REPO: "/srv/u/repo" } as unknown as NodeJS.ProcessEnv;
    expect(() => configFromEnv({ ...env, LONGTABLE_SANDBOX_WRITABLE: "/srv/cache:/srv/u" })).toThrow(/^LONGTABLE_SANDBOX_WRITABLE: the extra writable sandbox folder \/srv\/u contains \/srv\/u\/\.longtable-panel \(the panel's data dir\)/);
    expect(() => configFromEnv({ ...env, LONGTABLE_SANDBOX_WRITABLE: "/srv/u/repo/.longtable/x" })).toThrow(/is inside \/srv\/u\/repo\/\.longtable/);
    expect(() => configFromEnv({ ...env, LONGTABLE_SANDBOX_WRITABLE: "/run" })).toThrow(/contains \/run\/user/);
    expect(configFromEnv({ ...env, LONGTABLE_SANDBOX_WRITABLE: "/srv/cache:/srv/u/other" }).sandboxWritable).toEqual(["/srv/cache", "/srv/u/other"]);
  });

  it("a host's sandboxWritable: a folder containing the clone's git dir or run folders, or the panel folder, is refused", () => {
    const host = { id: "box", destination: "box", clonePath: "/home/u/repo", panelDir: "/home/u/.lp" };
    const bad = hostInputSchema.safeParse({ ...host, sandboxWritable: ["/opt/cache", "/home/u"] });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(["sandboxWritable", 1]);
    expect(bad.error?.issues[0]?.message).toMatch(/\/home\/u contains \/home\/u\/repo\/\.git \(the clone's git dir\).*name a folder/);
    expect(hostInputSchema.safeParse({ ...host, sandboxWritable: ["/home/u/repo/.longtable/panel-runs"] }).error?.issues[0]?.message).toMatch(/is inside \/home\/u\/repo\/\.longtable/);
    expect(hostInputSchema.safeParse({ ...host, sandboxWritable: ["/home/u/.lp/scripts"] }).success).toBe(false);
    expect(hostInputSchema.safeParse({ ...host, sandboxWritable: ["/opt/cache", "/home/u/.cache"] }).success).toBe(true);
  });
});
