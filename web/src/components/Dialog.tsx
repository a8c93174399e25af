/**
 * An accessible confirmation: a native modal <dialog> (focus is trapped, the page behind is inert), labelled by
 * its title, closed by Escape or "Cancel", and focus goes back to whatever opened it.
 *
 *   <ConfirmDialog open={asking} title="Delete post?" confirmLabel="Delete" tone="danger"
 *                  pending={remove.isPending} error={remove.error} onConfirm={() => remove.mutate()}
 *                  onClose={() => setAsking(false)}>
 *     <p>This can't be undone.</p>
 *   </ConfirmDialog>
 */
import { useEffect, useId, useRef, type ReactNode } from "react";
import { describe } from "../api/errors";

interface Props {
  open: boolean;
  title: string;
  children?: ReactNode;
  confirmLabel?: string;
  cancelLabel?: string;
  /** "danger" paints the confirm button red (deleting, leaving). */
  tone?: "default" | "danger";
  /** While the action runs, both buttons are disabled and Escape does nothing. */
  pending?: boolean;
  /** The action's failure, shown inside the dialog so the person can retry or cancel. */
  error?: unknown;
  onConfirm: () => void;
  onClose: () => void;
}

export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel = "Confirm",
  cancelLabel = "Cancel",
  tone = "default",
  pending = false,
  error,
  onConfirm,
  onClose,
}: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const opener = useRef<HTMLElement | null>(null);
  const titleId = useId();
  const bodyId = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      dialog.showModal();
    } else if (!open && dialog.open) {
      dialog.close();
      // Browsers differ on where focus goes after close(): put it back on the opener ourselves.
      opener.current?.focus();
      opener.current = null;
    }
  }, [open]);

  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={titleId}
      aria-describedby={children ? bodyId : undefined}
      onCancel={(event) => {
        // Escape: let React's state close it (so `open` stays the truth), and not mid-request.
        event.preventDefault();
        if (!pending) onClose();
      }}
    >
      {open && (
        <form
          method="dialog"
          className="stack"
          onSubmit={(event) => {
            event.preventDefault();
            if (!pending) onConfirm();
          }}
        >
          <h2 id={titleId} className="dialog-title">
            {title}
          </h2>
          {children && <div id={bodyId}>{children}</div>}
          {error != null && (
            <p className="notice error" role="alert">
              {describe(error)}
            </p>
          )}
          <div className="row dialog-actions">
            <button type="button" className="secondary" onClick={onClose} disabled={pending} autoFocus>
              {cancelLabel}
            </button>
            <button
              type="submit"
              className={tone === "danger" ? "danger" : undefined}
              disabled={pending}
              aria-busy={pending}
            >
              {confirmLabel}
            </button>
          </div>
        </form>
      )}
    </dialog>
  );
}
