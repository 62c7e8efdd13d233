"use client";

import { useEffect, useId, useRef, type ReactNode } from "react";

/**
 * The class names of each page's dialog styles: the run pages' are in runs/[runId]/run.css
 * (`dialog`, `button-danger`), the review pages' in globals.css (`rv-dialog`, `rv-button-danger`).
 */
const CLASS_PREFIX = { run: "", review: "rv-" } as const;

/**
 * A modal confirmation on the native <dialog> (focus stays inside, Escape cancels, labelled by its
 * title and described by its body). Focus starts on Cancel, so Enter never confirms a destructive
 * action by accident.
 */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  danger,
  busy,
  confirmDisabled,
  onConfirm,
  onCancel,
  testId,
  confirmTestId = "confirm-action",
  variant = "run",
}: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  confirmDisabled?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
  testId?: string;
  /** The confirm button's test id. */
  confirmTestId?: string;
  /** Whose styles: the run pages' or the review pages'. */
  variant?: keyof typeof CLASS_PREFIX;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const ids = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      d.showModal();
      cancelRef.current?.focus();
    } else if (!open && d.open) d.close();
  }, [open]);
  const p = CLASS_PREFIX[variant];
  return (
    <dialog
      ref={ref}
      className={`${p}dialog`}
      aria-labelledby={`${ids}-title`}
      aria-describedby={`${ids}-body`}
      data-testid={testId}
      onCancel={(e) => {
        e.preventDefault();
        onCancel();
      }}
      onClick={(e) => {
        if (e.target === ref.current) onCancel(); // a click on the backdrop
      }}
    >
      <h2 id={`${ids}-title`} className={`${p}dialog-title`}>
        {title}
      </h2>
      <div id={`${ids}-body`} className={`${p}dialog-body`}>
        {children}
      </div>
      <div className={`${p}dialog-actions`}>
        <button ref={cancelRef} type="button" className="button button-secondary" onClick={onCancel}>
          Cancel
        </button>
        <button
          type="button"
          className={`button${danger ? ` ${p}button-danger` : ""}`}
          onClick={onConfirm}
          disabled={busy || confirmDisabled}
          data-testid={confirmTestId}
        >
          {busy ? "Working…" : confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
