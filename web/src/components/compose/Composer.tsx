/**
 * Writing a post: text (up to 2,000 characters), up to four photos or one video (file picker, drag and drop
 * or paste), each uploaded at once with its alt text. "Post" waits for the uploads; the new post goes to the
 * top of the feed. A retry of the same draft reuses its Idempotency-Key, so a lost answer never posts twice.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useRef, useState, type DragEvent } from "react";
import { api, idempotencyKey } from "../../api/client";
import { describe } from "../../api/errors";
import { keys } from "../../api/keys";
import { describeMedia, IMAGE_TYPES, VIDEO_TYPES } from "../../api/media";
import type { Post } from "../../api/types";
import { useSession } from "../../auth/useSession";
import { Avatar } from "../Avatar";
import { AttachmentPreview } from "./AttachmentPreview";
import { CharCount, length } from "./CharCount";
import { prependToFeed } from "./postCache";
import { MAX_PHOTOS, useAttachments, type Attachment } from "./useAttachments";

export const MAX_POST = 2000;

interface Draft {
  content: string;
  media: { id: string; alt: string }[];
}

async function publish(draft: Draft, key: string): Promise<Post> {
  // Alt text first: the post's answer then carries it (PATCH is idempotent, so a retry may repeat it).
  await Promise.all(draft.media.filter((m) => m.alt.trim()).map((m) => describeMedia(m.id, m.alt.trim())));
  return api.post<Post>("/posts", { content: draft.content, media_ids: draft.media.map((m) => m.id) }, {
    idempotencyKey: key,
  });
}

export function Composer() {
  const id = useId();
  const client = useQueryClient();
  const user = useSession();
  const [content, setContent] = useState("");
  const [dragging, setDragging] = useState(false);
  const [announcement, setAnnouncement] = useState("");
  const files = useRef<HTMLInputElement>(null);
  const textarea = useRef<HTMLTextAreaElement>(null);
  const attempt = useRef<{ key: string; body: string } | null>(null);
  const { attachments, problem, add, remove, retry, setAlt, clear, ready } = useAttachments();

  const posting = useMutation({
    mutationFn: (draft: Draft) => {
      const body = JSON.stringify(draft);
      if (attempt.current?.body !== body) attempt.current = { key: idempotencyKey(), body };
      return publish(draft, attempt.current.key);
    },
    onSuccess: (post) => {
      attempt.current = null;
      prependToFeed(client, [post]);
      if (user) {
        void client.invalidateQueries({ queryKey: keys.userPosts(user.username) });
        void client.invalidateQueries({ queryKey: keys.user(user.username) });
      }
      setContent("");
      clear();
      setAnnouncement("Your post is published.");
      textarea.current?.focus();
    },
  });

  const used = length(content);
  const hasVideo = attachments.some((item) => item.kind === "video");
  const full = hasVideo || attachments.length >= MAX_PHOTOS;
  const canPost = content.trim() !== "" && used <= MAX_POST && ready && !posting.isPending;

  const submit = (event: { preventDefault(): void }) => {
    event.preventDefault();
    if (!canPost) return;
    setAnnouncement("");
    posting.mutate({
      content,
      media: attachments.map((item: Attachment) => ({ id: item.media!.id, alt: item.alt })),
    });
  };

  const drop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    if (event.dataTransfer.files.length) add(event.dataTransfer.files);
  };

  let photoNumber = 0;
  return (
    <form
      className={`composer card${dragging ? " dragging" : ""}`}
      onSubmit={submit}
      onDragOver={(event) => {
        if (!event.dataTransfer.types.includes("Files")) return;
        event.preventDefault();
        setDragging(true);
      }}
      onDragLeave={(event) => {
        if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setDragging(false);
      }}
      onDrop={drop}
    >
      <div className="composer-main">
        {user && <Avatar username={user.username} size={44} />}
        <div className="field composer-field">
          <label htmlFor={`${id}-text`}>What's happening?</label>
          <textarea
            id={`${id}-text`}
            ref={textarea}
            value={content}
            placeholder="Share something… #hashtags and @mentions work"
            aria-describedby={`${id}-count`}
            aria-invalid={used > MAX_POST ? true : undefined}
            onChange={(event) => setContent(event.target.value)}
            onPaste={(event) => {
              if (event.clipboardData.files.length) {
                event.preventDefault();
                add(event.clipboardData.files);
              }
            }}
            onKeyDown={(event) => {
              // Ctrl/Cmd+Enter posts, as in most social apps.
              if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) submit(event);
            }}
          />
        </div>
      </div>

      {attachments.length > 0 && (
        <ul className={`attachments count-${attachments.length}`} aria-label="Attachments">
          {attachments.map((item) => (
            <AttachmentPreview
              key={item.key}
              item={item}
              number={item.kind === "image" ? ++photoNumber : 0}
              onAlt={(alt) => setAlt(item.key, alt)}
              onRemove={() => remove(item.key)}
              onRetry={() => retry(item.key)}
            />
          ))}
        </ul>
      )}

      {problem && (
        <p className="notice error" role="alert">
          {problem}
        </p>
      )}
      {posting.isError && (
        <p className="notice error" role="alert">
          {describe(posting.error)}
        </p>
      )}

      <div className="composer-bar">
        <div className="composer-files">
          <label htmlFor={`${id}-files`} className={`button secondary file-button${full ? " disabled" : ""}`}>
            Add photos or a video
          </label>
          <input
            id={`${id}-files`}
            ref={files}
            className="file-input"
            type="file"
            accept={[...IMAGE_TYPES, ...VIDEO_TYPES].join(",")}
            multiple
            disabled={full || posting.isPending}
            onChange={(event) => {
              if (event.target.files) add(event.target.files);
              event.target.value = ""; // choosing the same file again still fires
            }}
          />
        </div>
        <CharCount id={`${id}-count`} text={content} max={MAX_POST} />
        <button type="submit" disabled={!canPost}>
          {posting.isPending ? "Posting…" : "Post"}
        </button>
      </div>
      {!ready && attachments.length > 0 && (
        <p className="muted composer-hint">Post is available once the uploads are done.</p>
      )}
      <p className="visually-hidden" role="status" aria-live="polite">
        {announcement}
      </p>
    </form>
  );
}
