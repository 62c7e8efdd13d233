"use client";

import "./live.css";

export type LiveState = "connecting" | "live" | "reconnecting" | "disconnected";

/** "live" / "reconnecting…" for an event stream, announced politely to screen readers. */
export function LiveIndicator({ state, onRetry, testId = "live-state" }: { state: LiveState; onRetry?: () => void; testId?: string }) {
  const text = { connecting: "connecting…", live: "live", reconnecting: "reconnecting…", disconnected: "disconnected" }[state];
  const title = {
    connecting: "Opening the event stream",
    live: "Updates arrive as they happen",
    reconnecting: "The event stream dropped; reconnecting and catching up on what was missed",
    disconnected: "The event stream stopped; the page shows the last known state",
  }[state];
  return (
    <span className="live-wrap">
      <span className={`live live-${state}`} data-testid={testId} data-state={state} role="status" aria-live="polite" title={title}>
        <span className="live-dot" aria-hidden="true" />
        {text}
      </span>
      {state === "disconnected" && onRetry ? (
        <button type="button" className="link-button small" onClick={onRetry}>
          Reconnect
        </button>
      ) : null}
    </span>
  );
}

/** Map a tRPC subscription status onto what the user sees. */
export function liveStateOf(status: "idle" | "connecting" | "pending" | "error", wasLive: boolean): LiveState {
  if (status === "pending") return "live";
  if (status === "error") return "disconnected";
  if (status === "idle") return "disconnected";
  return wasLive ? "reconnecting" : "connecting";
}
