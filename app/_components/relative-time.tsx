"use client";

import { useEffect, useState } from "react";
import { relativeTime } from "@/app/_lib/format";

/** "5 minutes ago", refreshed every 30 s, with the exact ISO time on hover and for machines. */
export function RelativeTime({ iso }: { iso: string }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);
  return (
    <time dateTime={iso} title={iso}>
      {relativeTime(iso, now)}
    </time>
  );
}
