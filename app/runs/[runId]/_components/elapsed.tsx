"use client";

import { useEffect, useState } from "react";
import { duration } from "@/app/_lib/format-extra";

/** Time from `start` to `end` (or now, ticking every second while `running`). */
export function Elapsed({ start, end, running }: { start?: string; end?: string; running: boolean }) {
  const [now, setNow] = useState<number | null>(null);
  useEffect(() => {
    setNow(Date.now());
    if (!running || end) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [running, end]);
  if (!start) return <span className="muted">—</span>;
  const from = Date.parse(start);
  const to = end ? Date.parse(end) : now;
  if (Number.isNaN(from) || to === null || Number.isNaN(to)) return <span className="muted">—</span>;
  return (
    <span className="elapsed" data-testid="worker-elapsed" title={`started ${start}${end ? `, ended ${end}` : ""}`}>
      {duration(to - from)}
    </span>
  );
}
