/**
 * A post's comments, oldest first (a conversation reads top down), the form to add one, and editing or
 * deleting your own. Counts on every copy of the post follow along.
 */
import { useMutation, useQueryClient, type InfiniteData } from "@tanstack/react-query";
import { useId, useRef, useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { api, idempotencyKey } from "../../api/client";
import { describe } from "../../api/errors";
import { keys } from "../../api/keys";
import type { Comment, Page, Post } from "../../api/types";
import { useSession } from "../../auth/useSession";
import { Avatar } from "../../components/Avatar";
import { CharCount, length } from "../../components/compose/CharCount";
import { OwnerActions } from "../../components/OwnerActions";
import { InlineEditor } from "../../components/compose/InlineEditor";
import { findPost, patchPost } from "../../components/compose/postCache";
import { PagedList } from "../../components/PagedList";
import { RelativeTime } from "../../components/RelativeTime";
import { RichText } from "../../components/RichText";

const MAX_COMMENT = 2000;
type Comments = InfiniteData<Page<Comment>, unknown>;

function useCommentCount(postId: string) {
  const client = useQueryClient();
  return (delta: number) => {
    const post = findPost(client, postId);
    if (post) patchPost(client, postId, { comments_count: Math.max(0, post.comments_count + delta) });
  };
}

function CommentItem({ comment }: { comment: Comment }) {
  const client = useQueryClient();
  const user = useSession();
  const bump = useCommentCount(comment.post_id);
  const mine = user?.username === comment.author;
  const [editing, setEditing] = useState(false);
  const key = keys.comments(comment.post_id);
  const path = `/posts/${comment.post_id}/comments/${comment.id}`;

  const replace = (change: (item: Comment) => Comment | null) =>
    client.setQueryData<Comments>(key, (data) =>
      data && {
        ...data,
        pages: data.pages.map((page) => ({
          ...page,
          items: page.items.flatMap((item) => {
            if (item.id !== comment.id) return [item];
            const next = change(item);
            return next ? [next] : [];
          }),
        })),
      },
    );

  const saving = useMutation({
    mutationFn: (content: string) => api.patch<Comment>(path, { content }),
    onSuccess: (saved) => {
      replace(() => saved);
      setEditing(false);
    },
  });
  const deleting = useMutation({
    mutationFn: () => api.del(path),
    onSuccess: () => {
      // The card (or comment) leaves the list, and its dialog with it.
      replace(() => null);
      bump(-1);
    },
  });

  return (
    <article className="comment" aria-labelledby={`comment-${comment.id}-author`}>
      <Avatar username={comment.author} size={32} />
      <div className="comment-body">
        <div className="comment-meta">
          <Link to={`/u/${comment.author}`} id={`comment-${comment.id}-author`} className="comment-author">
            @{comment.author}
          </Link>
          <span className="muted">
            <RelativeTime iso={comment.created_at} />
            {comment.edited_at && " (edited)"}
          </span>
        </div>
        {editing ? (
          <InlineEditor
            label="Comment text"
            initial={comment.content}
            max={MAX_COMMENT}
            pending={saving.isPending}
            error={saving.error}
            onSave={(content) => saving.mutate(content)}
            onCancel={() => {
              saving.reset();
              setEditing(false);
            }}
          />
        ) : (
          <RichText text={comment.content} className="comment-text" />
        )}
        {mine && !editing && (
          <OwnerActions noun="comment" onEdit={() => setEditing(true)} deleting={deleting}
                        warning="This can't be undone." />
        )}
      </div>
    </article>
  );
}

function CommentForm({ postId }: { postId: string }) {
  const id = useId();
  const client = useQueryClient();
  const bump = useCommentCount(postId);
  const [content, setContent] = useState("");
  const [announcement, setAnnouncement] = useState("");
  const attempt = useRef<{ key: string; content: string } | null>(null);
  const used = length(content);

  const adding = useMutation({
    mutationFn: (text: string) => {
      if (attempt.current?.content !== text) attempt.current = { key: idempotencyKey(), content: text };
      return api.post<Comment>(`/posts/${postId}/comments`, { content: text }, { idempotencyKey: attempt.current.key });
    },
    onSuccess: (comment) => {
      attempt.current = null;
      const data = client.getQueryData<Comments>(keys.comments(postId));
      const last = data?.pages[data.pages.length - 1];
      if (data && last && !last.next_cursor) {
        // Every page is here: the new comment goes at the end, where the list (oldest first) puts it.
        client.setQueryData<Comments>(keys.comments(postId), {
          ...data,
          pages: [...data.pages.slice(0, -1), { ...last, items: [...last.items, comment] }],
        });
      } else {
        void client.invalidateQueries({ queryKey: keys.comments(postId) });
      }
      bump(1);
      setContent("");
      setAnnouncement("Your comment is added.");
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (content.trim() === "" || used > MAX_COMMENT || adding.isPending) return;
    setAnnouncement("");
    adding.mutate(content);
  };

  return (
    <form className="comment-form stack" onSubmit={submit}>
      <div className="field">
        <label htmlFor={`${id}-text`}>Add a comment</label>
        <textarea
          id={`${id}-text`}
          value={content}
          aria-describedby={`${id}-count`}
          aria-invalid={used > MAX_COMMENT ? true : undefined}
          onChange={(event) => setContent(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) submit(event);
          }}
        />
      </div>
      {adding.isError && (
        <p className="notice error" role="alert">
          {describe(adding.error)}
        </p>
      )}
      <div className="row comment-form-bar">
        <CharCount id={`${id}-count`} text={content} max={MAX_COMMENT} />
        <button type="submit" disabled={content.trim() === "" || used > MAX_COMMENT || adding.isPending}>
          {adding.isPending ? "Commenting…" : "Comment"}
        </button>
      </div>
      <p className="visually-hidden" role="status" aria-live="polite">
        {announcement}
      </p>
    </form>
  );
}

const renderComment = (comment: Comment) => <CommentItem comment={comment} />;

export function CommentsSection({ post }: { post: Post }) {
  return (
    <section className="comments stack" aria-labelledby="comments-title">
      <h2 id="comments-title">Comments</h2>
      <CommentForm postId={post.id} />
      <PagedList<Comment>
        queryKey={keys.comments(post.id)}
        path={`/posts/${post.id}/comments`}
        label="Comments"
        render={renderComment}
        empty="No comments yet. Be the first to say something."
      />
    </section>
  );
}
