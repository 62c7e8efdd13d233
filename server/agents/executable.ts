/** Finding an executable the way a shell would (PATH search), without a shell. */
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";

/** Resolve a command to an absolute executable path, the way a shell would (PATH search). */
export function resolveExecutable(cmd: string, pathEnv = process.env.PATH ?? ""): string | undefined {
  const candidates = cmd.includes("/") ? [isAbsolute(cmd) ? cmd : resolve(cmd)] : pathEnv.split(delimiter).filter(Boolean).map((d) => join(d, cmd));
  for (const c of candidates) {
    try {
      if (existsSync(c) && statSync(c).isFile()) {
        accessSync(c, constants.X_OK);
        return c;
      }
    } catch {
      /* not executable */
    }
  }
  return undefined;
}
