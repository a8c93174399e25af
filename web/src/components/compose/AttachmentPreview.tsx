/**
 * One attached file while the post is written: its preview, the upload's progress (a labelled <progress>),
 * its alt text (photos) and a button to remove it.
 */
import { useId } from "react";
import { MAX_ALT_TEXT } from "../../api/media";
import type { Attachment } from "./useAttachments";

interface Props {
  item: Attachment;
  /** 1-based among the photos ("Alt text for photo 2"). */
  number: number;
  onAlt: (alt: string) => void;
  onRemove: () => void;
  onRetry: () => void;
}

function status(item: Attachment): string {
  switch (item.state) {
    case "uploading":
      return `Uploading… ${Math.round(item.progress * 100)}%`;
    case "processing":
      return "Processing…";
    case "ready":
      return "Ready";
    case "failed":
      return item.error ?? "The upload failed.";
  }
}

export function AttachmentPreview({ item, number, onAlt, onRemove, onRetry }: Props) {
  const id = useId();
  const name = item.kind === "video" ? "video" : `photo ${number}`;
  return (
    <li className={`attachment ${item.state}`}>
      <div className="attachment-preview">
        {item.kind === "image" ? (
          <img src={item.preview} alt={item.alt || `Preview of ${name}`} />
        ) : (
          <video src={item.preview} muted playsInline controls preload="metadata" aria-label="Preview of the video" />
        )}
        <button type="button" className="attachment-remove" aria-label={`Remove ${name}`} onClick={onRemove}>
          <span aria-hidden="true">×</span>
        </button>
      </div>
      {item.state === "failed" ? (
        <p className="field-error attachment-status" role="alert">
          {status(item)}{" "}
          <button type="button" className="link" onClick={onRetry}>
            Try again
          </button>
        </p>
      ) : item.state === "ready" ? (
        <p className="attachment-status muted">Ready</p>
      ) : (
        <div className="attachment-status">
          <label htmlFor={`${id}-progress`} className="muted">
            {status(item)}
            <span className="visually-hidden"> ({name})</span>
          </label>
          <progress
            id={`${id}-progress`}
            max={1}
            value={item.state === "processing" ? undefined : item.progress}
          />
        </div>
      )}
      {item.kind === "image" && (
        <div className="field">
          <label htmlFor={`${id}-alt`}>
            Alt text for photo {number}
          </label>
          <input
            id={`${id}-alt`}
            type="text"
            value={item.alt}
            maxLength={MAX_ALT_TEXT}
            placeholder="Describe the photo"
            onChange={(event) => onAlt(event.target.value)}
          />
        </div>
      )}
    </li>
  );
}
