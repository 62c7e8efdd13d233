import { timingSafeEqual } from "node:crypto";
import type { Role } from "../trpc/init";

/** The HTTP guard passes the caller's role to the route bundle as `<secret>:<role>`. */
export const GUARD_HEADER = "x-longtable-guard";

export function guardHeaderValue(secret: string, role: Role): string {
  return `${secret}:${role}`;
}

export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

export function roleFromGuardHeader(value: string | null | undefined, secret: string): Role | undefined {
  if (!value) return undefined;
  const i = value.lastIndexOf(":");
  if (i < 0) return undefined;
  const role = value.slice(i + 1);
  if (!safeEqual(value.slice(0, i), secret)) return undefined;
  return role === "operator" || role === "viewer" ? role : undefined;
}
