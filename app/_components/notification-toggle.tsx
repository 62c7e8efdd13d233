"use client";

import { useEffect, useState } from "react";

type Permission = NotificationPermission | "unsupported" | "unknown";

/**
 * Asks for notification permission only when the user presses the button (never on load).
 * Notifications then tell a background tab that a worker finished or failed.
 */
export function NotificationToggle() {
  const [permission, setPermission] = useState<Permission>("unknown");
  useEffect(() => {
    setPermission(typeof Notification === "undefined" ? "unsupported" : Notification.permission);
  }, []);

  if (permission === "unknown" || permission === "unsupported") return null;
  if (permission === "granted") {
    return (
      <span className="muted small" data-testid="notifications-on" title="A browser notification appears when a worker finishes or fails while this tab is in the background">
        Notifications on
      </span>
    );
  }
  if (permission === "denied") {
    return (
      <span className="muted small" title="Allow notifications for this site in the browser settings to get them">
        Notifications blocked
      </span>
    );
  }
  return (
    <button
      type="button"
      className="button button-secondary button-small"
      data-testid="enable-notifications"
      onClick={async () => {
        try {
          setPermission(await Notification.requestPermission());
        } catch {
          setPermission(Notification.permission);
        }
      }}
      title="Get a browser notification when a worker finishes or fails while this tab is in the background"
    >
      Notify me when workers finish
    </button>
  );
}
