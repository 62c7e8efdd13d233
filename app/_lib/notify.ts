/*
 * Worker-finished notifications while the tab is in the background: a browser Notification
 * (only when the user allowed it from a button) and an "(n) " prefix on the document title,
 * cleared when the tab is visible again. Browser-only; every function is a no-op on the server.
 */
import type { BusEvent } from "./live";

/** A worker finished or failed; a failed preflight means none of the run's workers could start. */
const NOTIFY_TYPES = new Set(["worker_result", "worker_failed", "preflight_failed"]);
const PREFIX = /^\(\d+\)\s+/;

let unseen = 0;
let installed = false;
const notified = new Set<number>();
/** Events older than this (the page's own backlog) never notify. */
const pageStartedAt = typeof window === "undefined" ? 0 : Date.now();

function baseTitle() {
  return document.title.replace(PREFIX, "");
}

function applyTitle() {
  const want = unseen > 0 ? `(${unseen}) ${baseTitle()}` : baseTitle();
  if (document.title !== want) document.title = want;
}

function install() {
  if (installed || typeof document === "undefined") return;
  installed = true;
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) {
      unseen = 0;
      applyTitle();
    }
  });
  // Next.js rewrites <title> on navigation; keep the badge on the new title while it counts.
  const observer = new MutationObserver(() => {
    if (unseen > 0 && !PREFIX.test(document.title)) applyTitle();
  });
  observer.observe(document.head, { subtree: true, childList: true, characterData: true });
}

/** Call for every live event; notifies once per event, only for new worker results/failures in a hidden tab. */
export function notifyIfBackground(e: BusEvent, context: { runLabel?: string } = {}) {
  if (typeof document === "undefined" || !NOTIFY_TYPES.has(e.type)) return;
  install();
  if (notified.has(e.seq)) return;
  const at = Date.parse(e.createdAt);
  if (!Number.isNaN(at) && at < pageStartedAt - 5_000) return;
  if (!document.hidden) return;
  notified.add(e.seq);
  unseen += 1;
  applyTitle();
  if (typeof Notification !== "undefined" && Notification.permission === "granted") {
    const title =
      e.type === "worker_result" ? `Worker finished: ${e.workerId ?? ""}` : e.type === "worker_failed" ? `Worker failed: ${e.workerId ?? ""}` : "Workers could not start";
    try {
      const n = new Notification(title, { body: `${context.runLabel ? `${context.runLabel} — ` : ""}${e.message}`.slice(0, 300), tag: `ltp-${e.seq}` });
      n.onclick = () => {
        window.focus();
        n.close();
      };
    } catch {
      /* some browsers only allow notifications from a service worker; the title badge still shows */
    }
  }
}

/** How many finished-worker notices arrived while the tab was hidden (for tests and the UI). */
export const unseenCount = () => unseen;
