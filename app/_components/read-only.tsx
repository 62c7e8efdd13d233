import type { ReactNode } from "react";

/** Shown in place of a create form when the session uses the viewer token. */
export function ReadOnlyNotice({ children }: { children?: ReactNode }) {
  return (
    <div className="notice notice-info" data-testid="read-only-notice">
      <p className="notice-title">Read-only session</p>
      <p>
        {children ?? "You opened the panel with the viewer token, so you can look but not change anything."} To make
        changes, open the panel with the operator token URL printed when <code>longtable-panel</code> started.
      </p>
    </div>
  );
}
