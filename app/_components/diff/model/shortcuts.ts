"use client";

import { useEffect, useRef } from "react";

/** The review's keyboard shortcuts, as shown in the hint. */
export const REVIEW_SHORTCUTS: { keys: string[]; what: string }[] = [
  { keys: ["j", "n"], what: "next file" },
  { keys: ["k", "p"], what: "previous file" },
  { keys: ["]", "J"], what: "next hunk" },
  { keys: ["[", "K"], what: "previous hunk" },
  { keys: ["v"], what: "mark the file viewed / not viewed" },
  { keys: ["s"], what: "switch unified / split" },
];

export type ShortcutAction = "nextFile" | "prevFile" | "nextHunk" | "prevHunk" | "toggleViewed" | "toggleMode";

const KEYMAP: Record<string, ShortcutAction> = {
  j: "nextFile", n: "nextFile", k: "prevFile", p: "prevFile",
  "]": "nextHunk", J: "nextHunk", "[": "prevHunk", K: "prevHunk",
  v: "toggleViewed", s: "toggleMode",
};

function typingInto(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || !el.tagName) return false;
  const tag = el.tagName;
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
}

/**
 * Single-key shortcuts for the diff review (no modifier keys; ignored while typing in a field or
 * while a dialog is open).
 */
export function useReviewShortcuts(handler: (action: ShortcutAction) => void, enabled = true) {
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    if (!enabled) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
      if (typingInto(e.target) || document.querySelector("dialog[open]")) return;
      const action = KEYMAP[e.key];
      if (!action) return;
      e.preventDefault();
      ref.current(action);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [enabled]);
}
