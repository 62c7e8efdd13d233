import type { RouterOutputs } from "@/app/_lib/types";

/** `workers.diff` as the browser receives it (plain JSON). */
export type WorkerDiffOut = RouterOutputs["workers"]["diff"];
/** One changed file of a worker diff. */
export type DiffFileOut = WorkerDiffOut["files"][number];
/** One hunk of a file patch (`workers.diff` with `path`). */
export type HunkOut = NonNullable<WorkerDiffOut["hunks"]>[number];
export type DiffLineOut = HunkOut["lines"][number];
/** The patch facts of one file (binary, tooLarge, size, limits). */
export type FilePatchOut = NonNullable<WorkerDiffOut["patch"]>;

export type DiffViewMode = "unified" | "split";
