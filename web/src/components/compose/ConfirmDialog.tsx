/**
 * A modal question with a destructive answer ("Delete this post?"): a native <dialog> shown with showModal(),
 * so focus moves in, the page behind is inert and Escape closes it; focus returns to the opener on close.
 *
 *   <ConfirmDialog open={asking} title="Delete post?" confirm="Delete" onConfirm={remove} onClose={() => setAsking(false)}
 *                  pending={removing.isPending} error={removing.error}>This can't be undone.</ConfirmDialog>
 */
import { useEffect, useId, useRef, type ReactNode } from "react";
import { describe } from "../../api/errors";

interface Props {
  open: boolean;
  title: string;
  confirm: string;
  onConfirm: () => void;
  onClose: () => void;
  pending?: boolean;
  error?: unknown;
  children?: ReactNode;
}

export function ConfirmDialog({ open, title, confirm, onConfirm, onClose, pending = false, error, children }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const opener = useRef<Element | null>(null);
  const id = useId();

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) {
      opener.current = document.activeElement;
      element.showModal();
    } else if (!open && element.open) {
      element.close();
    }
  }, [open]);

  useEffect(() => {
    // Unmounted while open (the post was deleted): give focus back all the same.
    const element = dialog.current;
    return () => {
      if (element?.open) element.close();
    };
  }, []);

  return (
    <dialog
      ref={dialog}
      className="confirm-dialog"
      aria-labelledby={`${id}-title`}
      aria-describedby={children ? `${id}-body` : undefined}
      aria-modal="true"
      onClose={() => {
        if (opener.current instanceof HTMLElement && opener.current.isConnected) opener.current.focus();
        onClose();
      }}
    >
      <h2 id={`${id}-title`}>{title}</h2>
      {children && <div id={`${id}-body`}>{children}</div>}
      {error != null && (
        <p className="notice error" role="alert">
          {describe(error)}
        </p>
      )}
      <div className="row dialog-actions">
        <button type="button" className="secondary" onClick={() => dialog.current?.close()} disabled={pending} autoFocus>
          Cancel
        </button>
        <button type="button" className="danger" onClick={onConfirm} disabled={pending}>
          {pending ? `${confirm}…` : confirm}
        </button>
      </div>
    </dialog>
  );
}
