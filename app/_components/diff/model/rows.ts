import type { Range } from "./highlight";
import type { DiffLineOut, HunkOut } from "./types";
import { wordRanges } from "./word-diff";

export interface LineCell {
  line: DiffLineOut;
  /** Word-level changed ranges, for a removed/added line paired with its replacement. */
  ranges?: Range[];
}

export type DiffRow =
  | { kind: "hunk"; key: string; hunkIndex: number; hunk: HunkOut; hidden: number }
  | { kind: "line"; key: string; hunkIndex: number; cell: LineCell }
  | { kind: "pair"; key: string; hunkIndex: number; left?: LineCell; right?: LineCell };

interface Block {
  context?: DiffLineOut;
  dels: LineCell[];
  adds: LineCell[];
}

/** A hunk as blocks: single context lines, and runs of removed lines followed by the added lines that replace them (paired for word diffs). */
function blocksOf(hunk: HunkOut): Block[] {
  const blocks: Block[] = [];
  let i = 0;
  const lines = hunk.lines;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.type === "context") {
      blocks.push({ context: line, dels: [], adds: [] });
      i++;
      continue;
    }
    const dels: LineCell[] = [];
    const adds: LineCell[] = [];
    while (i < lines.length && lines[i]!.type === "del") dels.push({ line: lines[i++]! });
    while (i < lines.length && lines[i]!.type === "add") adds.push({ line: lines[i++]! });
    const pairs = Math.min(dels.length, adds.length);
    for (let k = 0; k < pairs; k++) {
      const w = wordRanges(dels[k]!.line.text, adds[k]!.line.text);
      if (w) {
        if (w.old.length) dels[k]!.ranges = w.old;
        if (w.new.length) adds[k]!.ranges = w.new;
      }
    }
    blocks.push({ dels, adds });
  }
  return blocks;
}

/** Lines between the previous hunk's end and this hunk's start (in the new file), not shown. */
function hiddenBefore(hunks: readonly HunkOut[], i: number): number {
  const h = hunks[i]!;
  if (i === 0) return Math.max(0, h.newStart - 1);
  const prev = hunks[i - 1]!;
  return Math.max(0, h.newStart - (prev.newStart + prev.newLines));
}

export function unifiedRows(hunks: readonly HunkOut[]): DiffRow[] {
  const rows: DiffRow[] = [];
  hunks.forEach((hunk, h) => {
    rows.push({ kind: "hunk", key: `h${h}`, hunkIndex: h, hunk, hidden: hiddenBefore(hunks, h) });
    let n = 0;
    for (const block of blocksOf(hunk)) {
      if (block.context) rows.push({ kind: "line", key: `h${h}-${n++}`, hunkIndex: h, cell: { line: block.context } });
      for (const cell of block.dels) rows.push({ kind: "line", key: `h${h}-${n++}`, hunkIndex: h, cell });
      for (const cell of block.adds) rows.push({ kind: "line", key: `h${h}-${n++}`, hunkIndex: h, cell });
    }
  });
  return rows;
}

export function splitRows(hunks: readonly HunkOut[]): DiffRow[] {
  const rows: DiffRow[] = [];
  hunks.forEach((hunk, h) => {
    rows.push({ kind: "hunk", key: `h${h}`, hunkIndex: h, hunk, hidden: hiddenBefore(hunks, h) });
    let n = 0;
    for (const block of blocksOf(hunk)) {
      if (block.context) {
        const cell = { line: block.context };
        rows.push({ kind: "pair", key: `h${h}-${n++}`, hunkIndex: h, left: cell, right: cell });
        continue;
      }
      const count = Math.max(block.dels.length, block.adds.length);
      for (let k = 0; k < count; k++) rows.push({ kind: "pair", key: `h${h}-${n++}`, hunkIndex: h, left: block.dels[k], right: block.adds[k] });
    }
  });
  return rows;
}

/** Row index of each hunk header, for ]/[ navigation. */
export const hunkStarts = (rows: readonly DiffRow[]) => rows.flatMap((r, i) => (r.kind === "hunk" ? [i] : []));
