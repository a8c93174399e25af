/**
 * One post: author (avatar, display name, @username), when (a link to the post's page), its text with #tags
 * and @mentions linked, its photos or video, a like button (optimistic, rolled back on error) and the
 * comment count. The author also gets "Edit post" (in place) and "Delete post" (after a confirmation).
 *
 *   <PostCard post={post} />                                   // in any list
 *   <PostCard post={post} onDeleted={() => navigate("/")} />   // on the post's own page
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { Link } from "react-router-dom";
import { api } from "../api/client";
import { describe } from "../api/errors";
import { keys } from "../api/keys";
import type { LikeState, Post } from "../api/types";
import { useSession } from "../auth/useSession";
import { Avatar } from "./Avatar";
import { OwnerActions } from "./OwnerActions";
import { InlineEditor } from "./compose/InlineEditor";
import { patchPost, removePost } from "./compose/postCache";
import { MediaGrid } from "./media/MediaGrid";
import { RelativeTime } from "./RelativeTime";
import { RichText } from "./RichText";

const MAX_POST = 2000;

function LikeButton({ post }: { post: Post }) {
  const client = useQueryClient();
  const id = useId();
  const liked = post.liked;
  const like = useMutation({
    mutationFn: (want: boolean) =>
      want ? api.put<LikeState>(`/posts/${post.id}/like`) : api.del<LikeState>(`/posts/${post.id}/like`),
    onMutate: (want: boolean) => {
      const before = { liked, likes_count: post.likes_count };
      patchPost(client, post.id, { liked: want, likes_count: Math.max(0, post.likes_count + (want ? 1 : -1)) });
      return before;
    },
    onError: (_error, _want, before) => {
      if (before) patchPost(client, post.id, before);
    },
    onSuccess: (state) => patchPost(client, post.id, state),
  });
  // The count sits beside the button, not in it: the button's name stays exactly "Like" (its visible
  // content is only the heart), and the count describes it.
  return (
    <span className="like">
      <button
        type="button"
        className={`icon-button like-button${liked ? " liked" : ""}`}
        aria-label="Like"
        aria-pressed={liked}
        aria-describedby={`${id}-count`}
        disabled={like.isPending}
        onClick={() => like.mutate(!liked)}
      >
        <span aria-hidden="true" className="like-icon">
          {liked ? "♥" : "♡"}
        </span>
      </button>
      <span id={`${id}-count`} className={`like-count${liked ? " liked" : ""}`}>
        {post.likes_count}
        <span className="visually-hidden"> {post.likes_count === 1 ? "like" : "likes"}</span>
      </span>
      {like.isError && (
        <span className="field-error small" role="alert">
          {describe(like.error)}
        </span>
      )}
    </span>
  );
}

function Header({ post }: { post: Post }) {
  const name = post.author_display_name || post.author;
  return (
    <header className="post-header">
      <Link to={`/u/${post.author}`} className="post-author" id={`post-${post.id}-author`}>
        <Avatar username={post.author} src={post.author_avatar} />
        <span className="post-names">
          <strong>{name}</strong>
          {name !== post.author && <span className="muted"> @{post.author}</span>}
        </span>
      </Link>
      <span className="post-when muted">
        <Link to={`/posts/${post.id}`} className="muted">
          <RelativeTime iso={post.created_at} />
        </Link>
        {post.edited_at && (
          <span className="edited" title={`Edited ${new Date(post.edited_at).toLocaleString()}`}>
            {" "}
            (edited)
          </span>
        )}
      </span>
    </header>
  );
}

export function PostCard({ post, onDeleted }: { post: Post; onDeleted?: () => void }) {
  const client = useQueryClient();
  const user = useSession();
  const mine = user?.username === post.author;
  const [editing, setEditing] = useState(false);

  const saving = useMutation({
    mutationFn: (content: string) => api.patch<Post>(`/posts/${post.id}`, { content }),
    onSuccess: (saved) => {
      // The answer may lack the viewer's fields (liked, author's name): keep what we know.
      patchPost(client, post.id, { content: saved.content, edited_at: saved.edited_at, hashtags: saved.hashtags,
                                   mentions: saved.mentions });
      setEditing(false);
    },
  });
  const deleting = useMutation({
    mutationFn: () => api.del(`/posts/${post.id}`),
    onSuccess: () => {
      // The card (or comment) leaves the list, and its dialog with it.
      onDeleted?.();
      removePost(client, post.id);
      if (user) {
        void client.invalidateQueries({ queryKey: keys.user(user.username) });
      }
    },
  });

  return (
    <article className="post" aria-labelledby={`post-${post.id}-author`}>
      <Header post={post} />
      {editing ? (
        <InlineEditor
          label="Post text"
          initial={post.content}
          max={MAX_POST}
          pending={saving.isPending}
          error={saving.error}
          onSave={(content) => saving.mutate(content)}
          onCancel={() => {
            saving.reset();
            setEditing(false);
          }}
        />
      ) : (
        <RichText text={post.content} />
      )}
      <MediaGrid media={post.media} />
      <footer className="post-actions">
        <LikeButton post={post} />
        <Link to={`/posts/${post.id}`} className="comments-link">
          {post.comments_count} {post.comments_count === 1 ? "comment" : "comments"}
        </Link>
        {mine && !editing && (
          <OwnerActions
            noun="post"
            onEdit={() => setEditing(true)}
            deleting={deleting}
            warning="The post, its likes and comments go for good. This can't be undone."
          />
        )}
      </footer>
    </article>
  );
}
