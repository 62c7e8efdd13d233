"use client";

import { useRef, type KeyboardEvent, type ReactNode } from "react";

export interface Tab {
  id: string;
  label: ReactNode;
  panel: ReactNode;
}

/**
 * The prefix of each page's tab class names and element ids: the run pages' styles are in
 * runs/[runId]/run.css (`tabs`, `tab`, …), the review pages' in globals.css (`rv-tabs`, `rv-tab`, …).
 */
const PREFIX = { run: "", review: "rv-" } as const;

/**
 * WAI-ARIA tabs: arrow keys / Home / End move between tabs; only the selected panel renders, and
 * the panel itself is focusable. Each tab's test id is `testIdPrefix` + its id.
 */
export function Tabs({
  tabs,
  selected,
  onSelect,
  label,
  testIdPrefix,
  variant = "run",
}: {
  tabs: Tab[];
  selected: string;
  onSelect: (id: string) => void;
  label: string;
  testIdPrefix: string;
  variant?: keyof typeof PREFIX;
}) {
  const refs = useRef<Record<string, HTMLButtonElement | null>>({});
  const current = tabs.find((t) => t.id === selected) ?? tabs[0]!;
  const p = PREFIX[variant];
  function onKey(e: KeyboardEvent<HTMLDivElement>) {
    const i = tabs.findIndex((t) => t.id === current.id);
    let next = -1;
    if (e.key === "ArrowRight") next = (i + 1) % tabs.length;
    else if (e.key === "ArrowLeft") next = (i - 1 + tabs.length) % tabs.length;
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = tabs.length - 1;
    if (next < 0) return;
    e.preventDefault();
    const id = tabs[next]!.id;
    onSelect(id);
    refs.current[id]?.focus();
  }
  return (
    <div className={`${p}tabs`}>
      <div role="tablist" aria-label={label} className={`${p}tablist`} onKeyDown={onKey}>
        {tabs.map((t) => (
          <button
            key={t.id}
            ref={(el) => {
              refs.current[t.id] = el;
            }}
            type="button"
            role="tab"
            id={`${p}tab-${t.id}`}
            aria-selected={t.id === current.id}
            aria-controls={`${p}panel-${t.id}`}
            tabIndex={t.id === current.id ? 0 : -1}
            className={`${p}tab`}
            data-testid={`${testIdPrefix}${t.id}`}
            onClick={() => onSelect(t.id)}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${p}panel-${current.id}`} aria-labelledby={`${p}tab-${current.id}`} className={`${p}tabpanel`} tabIndex={0}>
        {current.panel}
      </div>
    </div>
  );
}
