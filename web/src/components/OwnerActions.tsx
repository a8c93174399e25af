/**
 * "Edit …" and "Delete …" on what the signed-in person wrote (a post, a comment); the delete is asked first in
 * the app's confirmation dialog, where its error shows if it fails.
 *
 *   {mine && !editing && <OwnerActions noun="post" onEdit={() => setEditing(true)} deleting={remove}
 *                                      warning="This can't be undone." />}
 */
import { useState } from "react";
import { ConfirmDialog } from "./Dialog";

/** The part of a react-query mutation these actions use. */
interface Deletion {
  mutate: () => void;
  reset: () => void;
  isPending: boolean;
  error: unknown;
}

interface Props {
  noun: "post" | "comment";
  onEdit: () => void;
  deleting: Deletion;
  warning: string;
}

export function OwnerActions({ noun, onEdit, deleting, warning }: Props) {
  const [confirming, setConfirming] = useState(false);
  return (
    <span className="owner-actions">
      <button type="button" className="link" onClick={onEdit}>
        Edit {noun}
      </button>
      <button
        type="button"
        className="link danger-link"
        onClick={() => {
          deleting.reset();
          setConfirming(true);
        }}
      >
        Delete {noun}
      </button>
      <ConfirmDialog
        open={confirming}
        title={`Delete ${noun}?`}
        confirmLabel="Delete"
        tone="danger"
        pending={deleting.isPending}
        error={deleting.error}
        onConfirm={() => deleting.mutate()}
        onClose={() => setConfirming(false)}
      >
        <p>{warning}</p>
      </ConfirmDialog>
    </span>
  );
}
