"use client";

import { useSearchParams } from "next/navigation";
import { useCallback } from "react";

/**
 * Review state kept in the URL (?file=…&since=previous&compare=…&tab=…) so a reload or a shared
 * link opens the same view. Written with history.replaceState: no navigation, no server round trip.
 */
export function useUrlState() {
  const params = useSearchParams();
  const get = useCallback((name: string) => params.get(name) ?? undefined, [params]);
  const set = useCallback((changes: Record<string, string | undefined>) => {
    const next = new URLSearchParams(window.location.search);
    for (const [k, v] of Object.entries(changes)) {
      if (v === undefined || v === "") next.delete(k);
      else next.set(k, v);
    }
    const qs = next.toString();
    window.history.replaceState(null, "", `${window.location.pathname}${qs ? `?${qs}` : ""}`);
  }, []);
  return { get, set };
}
