"use client";

import { useCallback, useEffect, useState } from "react";
import type { DiffViewMode } from "@/app/_components/diff/model/types";

const KEY = "longtable-panel:diff-mode";

/** Unified or split, remembered in localStorage for every review. */
export function useDiffMode(): [DiffViewMode, (m: DiffViewMode) => void] {
  const [mode, setModeState] = useState<DiffViewMode>("unified");
  useEffect(() => {
    try {
      if (window.localStorage.getItem(KEY) === "split") setModeState("split");
    } catch {
      /* no storage */
    }
  }, []);
  const setMode = useCallback((m: DiffViewMode) => {
    setModeState(m);
    try {
      window.localStorage.setItem(KEY, m);
    } catch {
      /* no storage */
    }
  }, []);
  return [mode, setMode];
}
