/**
 * Edit a text in place (a post's or a comment's): a labelled text box with Save and Cancel; Escape cancels.
 *
 *   <InlineEditor label="Post text" initial={post.content} max={2000} pending={saving.isPending}
 *                 error={saving.error} onSave={(text) => saving.mutate(text)} onCancel={() => setEditing(false)} />
 */
import { useId, useState, type FormEvent } from "react";
import { describe } from "../../api/errors";
import { CharCount, length } from "./CharCount";

interface Props {
  label: string;
  initial: string;
  max: number;
  pending: boolean;
  error: unknown;
  onSave: (text: string) => void;
  onCancel: () => void;
}

export function InlineEditor({ label, initial, max, pending, error, onSave, onCancel }: Props) {
  const [text, setText] = useState(initial);
  const id = useId();
  const used = length(text);
  const blank = text.trim() === "";
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!blank && used <= max && !pending) onSave(text);
  };
  return (
    <form className="inline-editor stack" onSubmit={submit}>
      <div className="field">
        <label htmlFor={id}>{label}</label>
        <textarea
          id={id}
          value={text}
          autoFocus
          aria-describedby={`${id}-count`}
          aria-invalid={used > max ? true : undefined}
          onChange={(event) => setText(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === "Escape") {
              event.preventDefault();
              onCancel();
            }
          }}
        />
        <CharCount id={`${id}-count`} text={text} max={max} />
      </div>
      {error != null && (
        <p className="notice error" role="alert">
          {describe(error)}
        </p>
      )}
      <div className="row">
        <button type="submit" disabled={pending || blank || used > max}>
          {pending ? "Saving…" : "Save"}
        </button>
        <button type="button" className="secondary" onClick={onCancel} disabled={pending}>
          Cancel
        </button>
      </div>
    </form>
  );
}
