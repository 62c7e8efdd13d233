/** Inputs of the hosts procedures (ARCHITECTURE.md §3 "Transports"); the router uses these as is. */
import { z } from "zod";
import { SYSTEM_HIDDEN_DIRS, SYSTEM_SOCKETS, writableConflict } from "../../bridge/sandbox";
import { HOST_ID_PATTERN, SSH_DESTINATION_PATTERN, SSH_OPTION_PATTERN, SSH_OPTIONS_RESERVED } from "../../core/hosts";
import { runIdSchema, workerIdSchema } from "../../core/ids";

/** A path on the host or here: absolute, one line (it is quoted wherever it goes, never interpolated). */
const absolutePath = z
  .string()
  .min(2)
  .max(4096)
  .refine((p) => p.startsWith("/") && !/[\0\r\n]/.test(p), "an absolute path (starting with /, one line)")
  .refine((p) => !p.split("/").includes(".."), "a path without .. parts")
  .transform((p) => (p.length > 1 ? p.replace(/\/+$/, "") : p));

/** A command name (found on the host's PATH) or an absolute path there. */
const binary = z
  .string()
  .max(4096)
  .refine((b) => /^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,99}$/.test(b) || (b.startsWith("/") && !/[\0\r\n]/.test(b)), "a command name (letters, digits, . _ + -) or an absolute path");

export const hostIdSchema = z
  .string()
  .regex(HOST_ID_PATTERN, "a host name is lower-case letters, digits and -, starting with a letter or digit (at most 40)")
  .refine((id) => id !== "local", "\"local\" means this machine: give the host another name");

export const hostInputSchema = z.object({
  id: hostIdSchema,
  destination: z.string().regex(SSH_DESTINATION_PATTERN, "an ssh destination as in ~/.ssh/config: an alias or user@host (no spaces, quotes, : or /, not starting with -)"),
  clonePath: absolutePath,
  panelDir: absolutePath.optional(),
  tmuxSocket: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, "a tmux socket name is letters, digits, . _ -").default("longtable-panel"),
  nodeBin: binary.default("node"),
  agentBins: z.object({ codex: binary.optional(), claude: binary.optional(), command: binary.optional() }).strict().default({}),
  sshConfig: absolutePath.optional(),
  sshOptions: z
    .array(z.string().regex(SSH_OPTION_PATTERN, "an ssh option is Key=value (as ssh -o), without quotes"))
    .max(20)
    .refine((opts) => opts.every((o) => !SSH_OPTIONS_RESERVED.includes(o.split("=")[0]!.toLowerCase())), "ControlMaster, ControlPath, ProxyCommand, LocalCommand … are the panel's to set: leave them out (a ProxyJump or an alias in your ssh config works)")
    .default([]),
  sandboxWritable: z.array(absolutePath).max(20).default([]),
}).superRefine((h, ctx) => {
  // A writable folder that contains or sits inside a place the sandbox hides there would bring it
  // back (ARCHITECTURE.md §6). The places known here; the default panel folder (in the host's
  // HOME) and symlinks are known only there and are checked again at launch.
  const guarded = [
    { path: `${h.clonePath}/.git`, what: "the clone's git dir" },
    { path: `${h.clonePath}/.longtable`, what: "the clone's run folders" },
    ...(h.panelDir ? [{ path: h.panelDir, what: "the panel's folder on the host" }] : []),
    ...[...SYSTEM_HIDDEN_DIRS, ...SYSTEM_SOCKETS].map((path) => ({ path, what: "the user's sockets, hidden from agents" })),
  ];
  h.sandboxWritable.forEach((w, i) => {
    const conflict = writableConflict(w, guarded);
    if (conflict) ctx.addIssue({ code: "custom", path: ["sandboxWritable", i], message: conflict });
  });
});
export type HostInput = z.infer<typeof hostInputSchema>;

export const hostRefSchema = z.object({ id: hostIdSchema });
export const hostWorkerSchema = z.object({ runId: runIdSchema, workerId: workerIdSchema });
