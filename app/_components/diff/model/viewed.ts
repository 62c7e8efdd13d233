"use client";

import { useCallback, useEffect, useState } from "react";

const PREFIX = "longtable-panel:viewed:v1";

/** The localStorage key of one worker diff at one head commit: marks reset when the worker commits again. */
export const viewedKey = (runId: string, workerId: string, headCommit: string) => `${PREFIX}:${runId}:${workerId}:${headCommit}`;

function read(key: string): Set<string> {
  try {
    const raw = window.localStorage.getItem(key);
    const parsed = raw ? (JSON.parse(raw) as unknown) : [];
    return new Set(Array.isArray(parsed) ? parsed.filter((p): p is string => typeof p === "string") : []);
  } catch {
    return new Set();
  }
}

/**
 * "Viewed" marks per file, kept in localStorage under run / worker / head commit (a JSON list of
 * paths), so they survive reloads and follow other tabs. Without a head commit nothing is kept.
 */
export function useViewed(runId: string, workerId: string, headCommit: string | undefined) {
  const key = headCommit ? viewedKey(runId, workerId, headCommit) : undefined;
  const [viewed, setViewed] = useState<ReadonlySet<string>>(() => new Set());

  useEffect(() => {
    setViewed(key ? read(key) : new Set());
    if (!key) return;
    const onStorage = (e: StorageEvent) => {
      if (e.key === key) setViewed(read(key));
    };
    window.addEventListener("storage", onStorage);
    return () => window.removeEventListener("storage", onStorage);
  }, [key]);

  const setMark = useCallback(
    (path: string, on?: boolean) => {
      if (!key) return;
      const next = read(key);
      const value = on ?? !next.has(path);
      if (value) next.add(path);
      else next.delete(path);
      try {
        if (next.size) window.localStorage.setItem(key, JSON.stringify([...next]));
        else window.localStorage.removeItem(key);
      } catch {
        /* storage full or blocked: the mark lasts for this page only */
      }
      setViewed(next);
    },
    [key],
  );

  return { viewed, toggle: (path: string) => setMark(path), set: setMark, enabled: key !== undefined };
}
