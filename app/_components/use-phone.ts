"use client";

import { useSyncExternalStore } from "react";

/** The phone layout's breakpoint; the same width as the `@media` blocks in app/phone.css and run.css. */
export const PHONE_QUERY = "(max-width: 640px)";

function subscribe(onChange: () => void) {
  const mq = window.matchMedia(PHONE_QUERY);
  mq.addEventListener("change", onChange);
  return () => mq.removeEventListener("change", onChange);
}

/** Is the page laid out for a phone (a narrow viewport)? False while rendering on the server. */
export function useIsPhone(): boolean {
  return useSyncExternalStore(
    subscribe,
    () => window.matchMedia(PHONE_QUERY).matches,
    () => false,
  );
}
