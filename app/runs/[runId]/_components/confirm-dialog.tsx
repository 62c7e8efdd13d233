"use client";

import { useEffect, useId, useRef, type ReactNode } from "react";

/**
 * A modal confirmation (native <dialog>: focus stays inside, Escape cancels). Focus starts on
 * Cancel, so Enter never confirms a destructive action by accident.
 */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  danger,
  busy,
  onConfirm,
  onCancel,
  testId,
}: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
  testId?: string;
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
  return (
    <dialog
      ref={ref}
      className="dialog"
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
      <h2 id={`${ids}-title`} className="dialog-title">
        {title}
      </h2>
      <div id={`${ids}-body`} className="dialog-body">
        {children}
      </div>
      <div className="dialog-actions">
        <button ref={cancelRef} type="button" className="button button-secondary" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className={`button${danger ? " button-danger" : ""}`} onClick={onConfirm} disabled={busy} data-testid="confirm-action">
          {busy ? "Working…" : confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
