import { diffWordsWithSpace } from "diff";
import type { Range } from "./highlight";

const MAX_LINE = 1000;

/**
 * Word-level changes between a removed line and the added line that replaced it: the ranges of
 * `oldText` that were removed and of `newText` that were added. Lines that share too little
 * (less than a third unchanged) get no word highlights: the whole line changed.
 */
export function wordRanges(oldText: string, newText: string): { old: Range[]; new: Range[] } | null {
  if (oldText.length > MAX_LINE || newText.length > MAX_LINE || oldText === newText) return null;
  const parts = diffWordsWithSpace(oldText, newText);
  const oldRanges: Range[] = [];
  const newRanges: Range[] = [];
  let o = 0;
  let n = 0;
  let same = 0;
  for (const part of parts) {
    const len = part.value.length;
    if (part.removed) {
      push(oldRanges, o, o + len);
      o += len;
    } else if (part.added) {
      push(newRanges, n, n + len);
      n += len;
    } else {
      if (part.value.trim()) same += len;
      o += len;
      n += len;
    }
  }
  const longest = Math.max(oldText.trim().length, newText.trim().length);
  if (longest > 0 && same / longest < 1 / 3) return null;
  return { old: bridgeSpaces(oldRanges, oldText), new: bridgeSpaces(newRanges, newText) };
}

/** Changed words separated only by whitespace read as one change: join them. */
function bridgeSpaces(ranges: Range[], text: string): Range[] {
  const out: Range[] = [];
  for (const r of ranges) {
    const last = out[out.length - 1];
    if (last && text.slice(last.end, r.start).trim() === "") last.end = r.end;
    else out.push({ ...r });
  }
  return out;
}

function push(ranges: Range[], start: number, end: number) {
  if (end <= start) return;
  const last = ranges[ranges.length - 1];
  if (last && last.end === start) last.end = end;
  else ranges.push({ start, end });
}
