import { REVIEW_SHORTCUTS } from "../model/shortcuts";

/** The keyboard shortcuts, always visible under the review toolbar. */
export function ShortcutHint() {
  return (
    <p className="shortcut-hint" data-testid="shortcut-hint" aria-label="Keyboard shortcuts">
      {REVIEW_SHORTCUTS.map((s) => (
        <span key={s.what} className="shortcut">
          {s.keys.map((k, i) => (
            <span key={k}>
              {i > 0 ? <span className="muted">/</span> : null}
              <kbd>{k}</kbd>
            </span>
          ))}{" "}
          {s.what}
        </span>
      ))}
    </p>
  );
}
